package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/sig"
	"github.com/verinit/verinit/pkg/veritysig"
)

// TestSignCrossCheck: `verinit sign` output verifies with openssl cms, and
// `verinit verity format --sign-key` writes the DER and the DPS JSON.
func TestSignCrossCheck(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=sign test",
		"-keyout", p("k.pem"), "-out", p("c.pem")).CombinedOutput(); err != nil {
		t.Fatalf("openssl req (install openssl): %v\n%s", err, out)
	}
	const hash = "4e8b1c5e0d7f2a3b9c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"
	if out, code := run(t, "sign", "--key", p("k.pem"), "--cert", p("c.pem"), strings.ToUpper(hash), "-o", p("sig.p7s")); code != 0 {
		t.Fatalf("verinit sign: %s", out)
	}
	if err := os.WriteFile(p("hash.txt"), []byte(hash), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p("sig.p7s"),
		"-content", p("hash.txt"), "-CAfile", p("c.pem"), "-out", "/dev/null").CombinedOutput()
	if err != nil {
		t.Errorf("openssl cms -verify of verinit's signature over the lowercase hash: %v\n%s", err, out)
	}

	data := testData(t, 1<<20)
	if out, code := run(t, "verity", "format", data, p("tree"), "--sign-key", p("k.pem"), "--sign-cert", p("c.pem")); code != 0 {
		t.Fatalf("verity format --sign-key: %s", out)
	}
	js, err := os.ReadFile(p("tree.verity-sig.json"))
	if err != nil || !strings.HasPrefix(string(js), `{"rootHash":"`) {
		t.Errorf("DPS signature partition content %q, %v", js[:min(len(js), 40)], err)
	}
	if _, err := os.Stat(p("tree.p7s")); err != nil {
		t.Error(err)
	}
}

// TestSignVersion: `verinit sign --version N` binds N to the signature,
// in DER and in the root-verity-sig JSON; openssl cms -verify accepts it
// and the init's Verify reads N; a bad N is misuse.
func TestSignVersion(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
		"-subj", "/CN=sign version test", "-keyout", p("k.pem"), "-out", p("c.pem")).CombinedOutput(); err != nil {
		t.Fatalf("openssl req (install openssl): %v\n%s", err, out)
	}
	const hash = "4e8b1c5e0d7f2a3b9c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"
	if err := os.WriteFile(p("hash.txt"), []byte(hash), 0o644); err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(p("c.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots, err := sig.ParseCertificates(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "sign", "--key", p("k.pem"), "--cert", p("c.pem"), "--version", "18446744073709551615", hash, "-o", p("sig.p7s")); code != 0 {
		t.Fatalf("verinit sign --version: %s", out)
	}
	if out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p("sig.p7s"),
		"-content", p("hash.txt"), "-CAfile", p("c.pem"), "-out", "/dev/null").CombinedOutput(); err != nil {
		t.Errorf("openssl cms -verify of a versioned signature: %v\n%s", err, out)
	}
	der, err := os.ReadFile(p("sig.p7s"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := sig.Verify(der, hash, roots, sig.VerifyOptions{}); err != nil || !s.HasVersion || s.Version != 1<<64-1 {
		t.Errorf("Verify = %+v, %v; want version 2^64-1", s, err)
	}

	if out, code := run(t, "sign", "--key", p("k.pem"), "--cert", p("c.pem"), "--version", "42", "--verity-sig-json", hash, "-o", p("sig.json")); code != 0 {
		t.Fatalf("verinit sign --version --verity-sig-json: %s", out)
	}
	js, err := os.ReadFile(p("sig.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := veritysig.Parse(js)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := sig.Verify(v.Signature, v.RootHash, roots, sig.VerifyOptions{}); err != nil || !s.HasVersion || s.Version != 42 {
		t.Errorf("Verify of the JSON's signature = %+v, %v; want version 42", s, err)
	}

	if out, code := run(t, "sign", "--key", p("k.pem"), "--cert", p("c.pem"), hash, "-o", p("plain.p7s")); code != 0 {
		t.Fatalf("verinit sign: %s", out)
	}
	if der, err := os.ReadFile(p("plain.p7s")); err != nil {
		t.Fatal(err)
	} else if s, err := sig.Verify(der, hash, roots, sig.VerifyOptions{}); err != nil || s.HasVersion {
		t.Errorf("Verify of a signature without --version = %+v, %v; want no version", s, err)
	}

	for _, bad := range []string{"-1", "18446744073709551616", "0x10", "seven"} {
		out, code := run(t, "sign", "--key", p("k.pem"), "--cert", p("c.pem"), "--version", bad, hash)
		if code != 2 || !strings.Contains(out, `invalid value "`+bad+`" for flag -version: want an unsigned decimal integer up to 2^64-1`) {
			t.Errorf("--version %s: exit %d, %q", bad, code, out)
		}
	}
}
