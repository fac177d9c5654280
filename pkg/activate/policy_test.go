package activate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/halt"
	"github.com/verinit/verinit/pkg/sig/sign"
	"github.com/verinit/verinit/pkg/verity"
	"github.com/verinit/verinit/pkg/veritysig"
)

// A policyImage is one verified root in memory: a data device, its
// hash tree alone (a separate hash partition) and the two joined (the
// tree appended at byte appendAt), and its root hash signed by the
// trusted key.
type policyImage struct {
	name      string
	data      []byte
	hash      []byte
	joined    []byte
	rootHash  string
	signature []byte
}

const appendAt = 64 << 10

// policyWorld is what every generated case shares.
type policyWorld struct {
	images []*policyImage // sha256 A, sha256 B, sha1 A
	roots  Roots
	pem    string // the trusted certificate
	uuidA  string // the data and hash PARTUUIDs, any will do: the test hands Prepare the readers
}

var policyWorldOnce = sync.OnceValues(makePolicyWorld)

func makePolicyWorld() (*policyWorld, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "policy test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	w := &policyWorld{uuidA: "6b1d3c1e-a000-4000-8000-00000000000a"}
	w.pem = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if feature.Sig {
		if w.roots, err = parseRoots([]byte(w.pem)); err != nil {
			return nil, err
		}
	}
	rng := mrand.New(mrand.NewPCG(3, 4))
	for _, im := range []struct{ name, alg string }{{"a", "sha256"}, {"b", "sha256"}, {"a-sha1", "sha1"}} {
		data := make([]byte, appendAt)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		if im.name == "a-sha1" {
			copy(data, w.images[0].data)
		}
		p := verity.Params{HashType: 1, Algorithm: im.alg, DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: appendAt / 4096, Salt: []byte{1, 2, 3}}
		var hash writerAt
		root, err := verity.Format(bytes.NewReader(data), &hash, p, 1)
		if err != nil {
			return nil, err
		}
		rootHex := hex.EncodeToString(root)
		s, err := sign.RootHash(rootHex, key, cert, sign.Options{})
		if err != nil {
			return nil, err
		}
		w.images = append(w.images, &policyImage{name: im.name, data: data, hash: hash.b,
			joined: append(slices.Clip(data), hash.b...), rootHash: rootHex, signature: s})
	}
	return w, nil
}

// writerAt is an io.WriterAt on a growing buffer.
type writerAt struct{ b []byte }

func (w *writerAt) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(w.b) {
		w.b = append(w.b, make([]byte, end-len(w.b))...)
	}
	return copy(w.b[off:], p), nil
}

// policyCase is one generated boot: what the initramfs packs, the
// command line, and the signature the disk presents.
type policyCase struct {
	line      string
	policy    []byte // nil: none packed
	env       []byte // nil: none packed
	signature int    // index of the image whose signature is presented; -1 none, -2 garbage
}

func (pc policyCase) String() string {
	return fmt.Sprintf("line %q, policy %q, dm-verity.env %q, signature %d", pc.line, pc.policy, pc.env, pc.signature)
}

// checkPolicyInvariant runs a case the way the init does (config, then
// the root-hash checks that decide the table) and fails unless it was
// refused or the table it would load keeps the policy: a corruption
// mode of restart, panic or eio, no check_at_most_once, exactly the root
// hash that was signed (or pinned), no SHA-1 unless the packed policy
// allows it. It reports whether the case booted.
func checkPolicyInvariant(t *testing.T, w *policyWorld, pc policyCase) bool {
	t.Helper()
	c, err := config.Parse(cmdline.Parse(pc.line), config.Packed{Policy: pc.policy, VerityEnv: pc.env})
	pol := c.Policy
	if pol.Enforced() && pol.Shell != config.Allowed && c.OnFailure == halt.Shell {
		t.Fatalf("%v: the failure action is a shell the policy %s refuses", pc, pol)
	}
	if err != nil {
		return false
	}
	if pol.CmdlineKeys.Listed {
		words := cmdline.Parse(pc.line)
		if v, ok := words.Lookup("init"); ok && v != "/sbin/init" || words.Flag("systemd.debug_shell") || len(words.InitArgs) > 0 {
			t.Fatalf("%v: a word the policy %s does not list reaches the real init", pc, pol)
		}
	}
	v := c.Verity
	if v == nil {
		if pol.Enforced() {
			t.Fatalf("%v: policy %s, but the root would be mounted unverified", pc, pol)
		}
		return true
	}
	if v.Source == config.FromSignature {
		// The root hash is the one the signature partition names: the
		// presented signature's image, over image A's partitions.
		if pc.signature < 0 {
			return false // no JSON, no root hash
		}
		v.RootHash = w.images[pc.signature%len(w.images)].rootHash
	}
	im := w.images[0]
	for _, i := range w.images {
		if i.rootHash == v.RootHash && v.Source != config.FromSignature {
			im = i
		}
	}
	data, hash := io.ReaderAt(bytes.NewReader(im.data)), io.ReaderAt(bytes.NewReader(im.hash))
	size := int64(len(im.data))
	if v.HashOffset != 0 || v.HashOffsetFromFS {
		j := bytes.NewReader(im.joined)
		data, hash, size = j, j, int64(len(im.joined))
	}
	trust := Trust{Roots: w.roots, Policy: pol}
	presented := pc.signature
	if !feature.Sig { // the init gathers no signature, and refuses one
		if trust, err = UnsignedTrust(v, pol); err != nil {
			return false
		}
		presented = -1
	}
	signed := ""
	switch presented {
	case -1:
	case -2:
		trust.Sig, trust.SigFrom = []byte("garbage"), "test"
	default:
		s := w.images[pc.signature%len(w.images)]
		trust.Sig, trust.SigFrom, signed = s.signature, "test", s.rootHash
	}
	prep, err := Prepare(v, data, size, "data", hash, "hash", trust)
	if err != nil {
		return false
	}
	_, params, _, err := prep.Table("254:1", "254:2")
	if err != nil {
		t.Fatalf("%v: table: %v", pc, err)
	}
	if !pol.Enforced() {
		return true
	}
	fields := strings.Fields(params)
	if len(fields) < 10 {
		t.Fatalf("%v: table %q", pc, params)
	}
	root := fields[8]
	for _, bad := range []string{"ignore_corruption", "check_at_most_once"} {
		if slices.Contains(fields, bad) {
			t.Fatalf("%v: policy %s, table has %s: %s", pc, pol, bad, params)
		}
	}
	if fields[7] == "sha1" && !strings.Contains(string(pc.policy), "sha1=allowed") {
		t.Fatalf("%v: policy %s, SHA-1 table: %s", pc, pol, params)
	}
	if !pol.Pinned(root) {
		t.Fatalf("%v: policy %s, table root hash %s is not pinned", pc, pol, root)
	}
	if pol.Signature == config.Required && root != signed {
		t.Fatalf("%v: policy %s, table root hash %s, signed %q", pc, pol, root, signed)
	}
	return true
}

// genPolicyCase draws a case: packed policies, dm-verity.env contents
// and command lines built from every key and option that bears on
// what is verified, the lax ones among them.
func genPolicyCase(rng *mrand.Rand, w *policyWorld) policyCase {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	hashes := []string{w.images[0].rootHash, w.images[1].rootHash, w.images[2].rootHash}
	var pc policyCase
	if rng.IntN(4) > 0 {
		var p []string
		for _, kv := range [][]string{
			{"", "verity=optional", "verity=required"},
			{"", "signature=optional", "signature=required"},
			{"", "sha1=allowed", "sha1=refused"},
			{"", "shell=allowed"},
			{"", "", "", "roothash=" + hashes[0], "roothash=" + hashes[1] + "," + hashes[2]},
			{"", "", "", "", "cmdline-keys=", "cmdline-keys=quiet init=/sbin/init"},
		} {
			if s := pick(kv...); s != "" {
				p = append(p, s)
			}
		}
		pc.policy = []byte(strings.Join(p, "\n") + "\n")
	}
	if rng.IntN(4) == 0 {
		pc.env = []byte(fmt.Sprintf("ROOT_HASH=%s\nSEPARATE_HASH=1\nROOT_UUID=%s\nRHASH_UUID=%s\nHASH_ALGORITHM=%s\n",
			pick(hashes...), w.uuidA, w.uuidA, pick("sha256", "sha1")))
	}
	var words []string
	switch rng.IntN(6) {
	case 0: // DPS pairing
		words = append(words, "roothash="+pick(hashes...))
	case 1:
		words = append(words, "roothash="+pick(hashes...), "systemd.verity_root_data=PARTUUID="+w.uuidA, "systemd.verity_root_hash=/dev/vda2")
	case 2:
		words = append(words, "root=/dev/vda1", "roothash="+pick(hashes...), fmt.Sprintf("verinit.verity_hash_offset=%d", appendAt))
	case 3:
		words = append(words, "root=/dev/vda1")
	case 4: // dm-verity.env, if packed, or auto-discovery
	case 5: // the root hash from a signature partition
		words = append(words, "verinit.roothash_sig=PARTLABEL=sig", "systemd.verity_root_data=PARTUUID="+w.uuidA, "systemd.verity_root_hash=/dev/vda2")
	}
	lax := [][]string{
		{"verinit.verity_on_corruption=restart", "verinit.verity_on_corruption=panic", "verinit.verity_on_corruption=eio", "verinit.verity_on_corruption=ignore"},
		{"verinit.verity=optional", "verinit.verity=required"},
		{"verinit.signature=optional", "verinit.signature=required"},
		{"systemd.verity=no", "systemd.verity=yes"},
		{"verinit.on_failure=shell", "verinit.on_failure=reboot"},
		{"rootfstype=tmpfs", "rootfstype=squashfs", "rootflags=lowerdir=/", "rootflags=noatime"},
		{"verinit.roothashsig=/sig"},
		{"init=/bin/sh", "init=/sbin/init", "systemd.debug_shell", "quiet"}, // for the real init
	}
	for _, group := range lax {
		if rng.IntN(3) == 0 {
			words = append(words, pick(group...))
		}
	}
	if rng.IntN(2) == 0 {
		var opts []string
		for range rng.IntN(3) + 1 {
			opts = append(opts, pick("ignore-corruption", "restart-on-corruption", "panic-on-corruption", "check-at-most-once",
				"ignore-zero-blocks", "restart-on-error", "hash=sha1", "hash=sha256", "salt=010203", "superblock=yes"))
		}
		words = append(words, "systemd.verity_root_options="+strings.Join(opts, ","))
	}
	rng.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	if rng.IntN(8) == 0 {
		words = append(words, "--", "emergency")
	}
	pc.line = strings.Join(words, " ")
	pc.signature = rng.IntN(len(w.images)+2) - 2
	return pc
}

// TestPolicyInvariant is the property: over generated command lines ×
// packed policies × dm-verity.env contents × presented signatures,
// whatever boots keeps the policy. It also counts what booted under an
// enforced policy, so that the generator cannot drift into refusing
// everything.
func TestPolicyInvariant(t *testing.T) {
	w, err := policyWorldOnce()
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(17, 18))
	booted, enforcedBooted := 0, 0
	for range 6000 {
		pc := genPolicyCase(rng, w)
		if checkPolicyInvariant(t, w, pc) {
			booted++
			c, _ := config.Parse(cmdline.Parse(pc.line), config.Packed{Policy: pc.policy, VerityEnv: pc.env})
			if c.Policy.Enforced() && c.Verity != nil {
				enforcedBooted++
			}
			if !feature.Sig && (c.Policy.Signature == config.Required || c.Verity != nil && c.Verity.Sig.Given()) {
				t.Fatalf("%v: booted by an init without signature support, though it asks for a signature", pc)
			}
		}
	}
	t.Logf("6000 cases: %d booted, %d of them under a policy requiring verity", booted, enforcedBooted)
	if enforcedBooted < 100 {
		t.Errorf("only %d cases booted under an enforced policy: the generator no longer reaches the table", enforcedBooted)
	}
}

// FuzzPolicy checks the same invariant on fuzzed command lines, policies
// and dm-verity.env contents. Seeds in testdata/fuzz/FuzzPolicy.
func FuzzPolicy(f *testing.F) {
	w, err := policyWorldOnce()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string, policy, env []byte, signature int8) {
		// The fuzzer cannot guess the root hashes: $A, $B and $S (the
		// SHA-1 tree) stand for them. Empty means not packed.
		r := strings.NewReplacer("$A", w.images[0].rootHash, "$B", w.images[1].rootHash, "$S", w.images[2].rootHash)
		packed := func(b []byte) []byte {
			if len(b) == 0 {
				return nil
			}
			return []byte(r.Replace(string(b)))
		}
		pc := policyCase{line: r.Replace(line), policy: packed(policy), env: packed(env), signature: max(int(signature), -2)}
		checkPolicyInvariant(t, w, pc)
	})
}

// TestEnforce checks the last gate on its own, with tables config would
// never produce.
func TestEnforce(t *testing.T) {
	root := bytes.Repeat([]byte{0xab}, 32)
	rootHex := hex.EncodeToString(root)
	signer := &veritysig.Signer{Subject: "CN=x"}
	req := config.Policy{Verity: config.Required}
	for _, tc := range []struct {
		name   string
		p      config.Policy
		prep   Prepared
		signed string
		want   string
	}{
		{"plain", req, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Options: []string{config.ModeRestart}}, "", ""},
		{"ignore", req, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Options: []string{config.ModeIgnore}}, "", "table option ignore_corruption"},
		{"once", req, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Options: []string{"check_at_most_once"}}, "", "table option check_at_most_once"},
		{"unknown option", req, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Options: []string{"use_fec_from_device"}}, "", "table option use_fec_from_device"},
		{"optional policy lets anything through", config.Policy{}, Prepared{Params: verity.Params{Algorithm: "sha1"}, RootHash: root, Options: []string{config.ModeIgnore}}, "", ""},
		{"sha1", req, Prepared{Params: verity.Params{Algorithm: "sha1"}, RootHash: root}, "", "the hash tree uses sha1"},
		{"sha1 allowed", config.Policy{Verity: config.Required, SHA1: config.Allowed}, Prepared{Params: verity.Params{Algorithm: "sha1"}, RootHash: root}, "", ""},
		{"not pinned", config.Policy{Verity: config.Required, RootHashes: []string{strings.Repeat("cd", 32)}}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root}, "", "is not one the initramfs pins"},
		{"pinned", config.Policy{Verity: config.Required, RootHashes: []string{rootHex}}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root}, "", ""},
		{"signed another", config.Policy{Verity: config.Required, Signature: config.Required}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Signer: signer}, strings.Repeat("cd", 32), "is not the one signed"},
		{"unsigned", config.Policy{Verity: config.Required, Signature: config.Required}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root}, "", "is not the one signed"},
		{"signed", config.Policy{Verity: config.Required, Signature: config.Required}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Signer: signer}, rootHex, ""},
		{"no version", config.Policy{Verity: config.Required, Signature: config.Required, MinVersion: 2}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Signer: signer}, rootHex, "carries no version"},
		{"old version", config.Policy{Verity: config.Required, Signature: config.Required, MinVersion: 2}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Signer: &veritysig.Signer{Version: 1, HasVersion: true}}, rootHex, "the root is version 1, older than version 2"},
		{"new version", config.Policy{Verity: config.Required, Signature: config.Required, MinVersion: 2}, Prepared{Params: verity.Params{Algorithm: "sha256"}, RootHash: root, Signer: &veritysig.Signer{Version: 2, HasVersion: true}}, rootHex, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := enforce(tc.p, &tc.prep, tc.signed)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
