package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
