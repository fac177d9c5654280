package sig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/verinit/verinit/pkg/veritysig"
)

// testRootHash is the root hash the tests sign: a SHA-256 root hash as
// veritysetup prints it.
const testRootHash = "4392c5d6ff5bd6c3c0f2a8f5ae2a4c4b1e3e3f6c2b9d0a7e8f1c2d3e4f5a6b7c"

// otherRootHash is a second, different root hash.
const otherRootHash = "0b2c9a1e7d5f3b8c6a4e2d0f9b7c5a3e1d8f6b4c2a0e9d7f5b3c1a8e6d4f2b0a"

// openssl runs the openssl binary in dir and returns its stdout. It fails the
// test (not skips it) when openssl is missing or fails.
func openssl(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	out, err := opensslErr(dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// opensslErr runs openssl and returns stdout, or an error carrying stderr.
func opensslErr(dir string, args ...string) ([]byte, error) {
	path, err := exec.LookPath("openssl")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &opensslError{err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

type opensslError struct {
	err    error
	stderr string
}

func (e *opensslError) Error() string { return e.err.Error() + ": " + e.stderr }

// keyType selects how openssl makes a key.
type keyType string

const (
	rsaKey keyType = "rsa"
	ecKey  keyType = "ec"
)

func (k keyType) newkeyArgs() []string {
	if k == rsaKey {
		return []string{"-newkey", "rsa:2048"}
	}
	return []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}
}

// ident is a certificate and its key as files in a directory, and parsed.
type ident struct {
	name     string            // base name: name.pem, name.key
	cert     *x509.Certificate // as crypto/x509 reads it (the oracle's view)
	sc       *Certificate      // as this package reads it
	key      crypto.Signer
	certPath string // absolute
	keyPath  string // absolute
}

// pki is a set of identities made with openssl for one key type.
type pki struct {
	dir    string
	root   *ident // self-signed, CA:TRUE, signs directly
	ca     *ident // self-signed root of a chain
	inter  *ident // issued by ca
	leaf   *ident // issued by inter
	rogue  *ident // self-signed, never trusted
	hashF  string // file holding testRootHash, no newline
	otherF string // file holding otherRootHash
}

const extConf = `[v3_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

var (
	pkiOnce  = map[keyType]*sync.Once{rsaKey: {}, ecKey: {}}
	pkiCache = map[keyType]*pki{}
	pkiErr   = map[keyType]error{}
	pkiMu    sync.Mutex
)

// testPKI returns the openssl-made identities for k, made once per test
// binary in a temporary directory that is removed by TestMain.
func testPKI(t *testing.T, k keyType) *pki {
	t.Helper()
	pkiMu.Lock()
	once := pkiOnce[k]
	pkiMu.Unlock()
	once.Do(func() {
		p, err := makePKI(k)
		pkiMu.Lock()
		pkiCache[k], pkiErr[k] = p, err
		pkiMu.Unlock()
	})
	pkiMu.Lock()
	defer pkiMu.Unlock()
	if pkiErr[k] != nil {
		t.Fatalf("making the %s test PKI with openssl: %v", k, pkiErr[k])
	}
	return pkiCache[k]
}

var pkiDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range pkiDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func makePKI(k keyType) (*pki, error) {
	dir, err := os.MkdirTemp("", "sig-pki-")
	if err != nil {
		return nil, err
	}
	pkiMu.Lock()
	pkiDirs = append(pkiDirs, dir)
	pkiMu.Unlock()
	if err := os.WriteFile(filepath.Join(dir, "ext.cnf"), []byte(extConf), 0o644); err != nil {
		return nil, err
	}
	p := &pki{dir: dir, hashF: filepath.Join(dir, "roothash.txt"), otherF: filepath.Join(dir, "other.txt")}
	if err := os.WriteFile(p.hashF, []byte(testRootHash), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.otherF, []byte(otherRootHash), 0o644); err != nil {
		return nil, err
	}
	selfSigned := func(name, cn string) (*ident, error) {
		args := append([]string{"req", "-x509"}, k.newkeyArgs()...)
		args = append(args, "-nodes", "-keyout", name+".key", "-out", name+".pem", "-days", "36500",
			"-subj", "/CN="+cn, "-addext", "basicConstraints=critical,CA:TRUE",
			"-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
		if _, err := opensslErr(dir, args...); err != nil {
			return nil, err
		}
		return loadIdent(dir, name)
	}
	issued := func(name, cn, ext string, by *ident) (*ident, error) {
		args := append([]string{"req", "-new"}, k.newkeyArgs()...)
		args = append(args, "-nodes", "-keyout", name+".key", "-out", name+".csr", "-subj", "/CN="+cn)
		if _, err := opensslErr(dir, args...); err != nil {
			return nil, err
		}
		if _, err := opensslErr(dir, "x509", "-req", "-in", name+".csr", "-CA", by.name+".pem", "-CAkey", by.name+".key",
			"-set_serial", "0x"+randHex(), "-days", "36500", "-sha256", "-extfile", "ext.cnf", "-extensions", ext, "-out", name+".pem"); err != nil {
			return nil, err
		}
		return loadIdent(dir, name)
	}
	if p.root, err = selfSigned("root", "verinit test "+string(k)+" root signer"); err != nil {
		return nil, err
	}
	if p.ca, err = selfSigned("ca", "verinit test "+string(k)+" CA"); err != nil {
		return nil, err
	}
	if p.inter, err = issued("inter", "verinit test "+string(k)+" intermediate", "v3_int", p.ca); err != nil {
		return nil, err
	}
	if p.leaf, err = issued("leaf", "verinit test "+string(k)+" leaf", "v3_leaf", p.inter); err != nil {
		return nil, err
	}
	if p.rogue, err = selfSigned("rogue", "verinit test "+string(k)+" rogue"); err != nil {
		return nil, err
	}
	return p, nil
}

func randHex() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	return n.Text(16)
}

func loadIdent(dir, name string) (*ident, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, name+".pem"))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return nil, os.ErrInvalid
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	sc, err := ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, os.ErrInvalid
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	return &ident{name: name, cert: cert, sc: sc, key: k.(crypto.Signer),
		certPath: filepath.Join(dir, name+".pem"), keyPath: filepath.Join(dir, name+".key")}, nil
}

// goIssued makes a certificate with Go for cases openssl 3.0 cannot make
// (validity in the past): subject cn, issued by parent, with the given
// validity. It writes name.pem and name.key
// into dir so that openssl can sign with it.
func goIssued(t *testing.T, dir, name, cn string, isCA bool, notBefore, notAfter time.Time, parent *ident) *ident {
	t.Helper()
	if parent == nil {
		t.Fatal("goIssued needs a parent; its key type is used")
	}
	// A fresh key of the parent's type, made by openssl.
	kt := rsaKey
	if parent.cert.PublicKeyAlgorithm == x509.ECDSA {
		kt = ecKey
	}
	args := []string{"genpkey"}
	if kt == rsaKey {
		args = append(args, "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
	} else {
		args = append(args, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
	}
	args = append(args, "-out", name+".key")
	openssl(t, dir, args...)
	kb, _ := os.ReadFile(filepath.Join(dir, name+".key"))
	blk, _ := pem.Decode(kb)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(crypto.Signer)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		// Go writes a subject key identifier only for CAs; the kernel
		// finds an issuer only by it (or issuer and serial number).
		SubjectKeyId: keyID(key.Public()),
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.cert, key.Public(), parent.key)
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ident{name: name, cert: c, sc: sc, key: key, certPath: certPath, keyPath: filepath.Join(dir, name+".key")}
}

// cmsSign signs the file in with openssl and returns the DER signature.
// extra are added to the command (e.g. -noattr, -certfile x.pem). It
// passes -nosmimecap: openssl adds an S/MIME capabilities attribute to
// signed attributes by default, which the kernel refuses (see
// cmsSignWithCaps).
func cmsSign(t *testing.T, tool string, signer *ident, in string, extra ...string) []byte {
	t.Helper()
	return cmsSignWithCaps(t, tool, signer, in, append([]string{"-nosmimecap"}, extra...)...)
}

// cmsSignWithCaps is cmsSign with openssl's defaults: with signed
// attributes, an S/MIME capabilities one.
func cmsSignWithCaps(t *testing.T, tool string, signer *ident, in string, extra ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "sig.p7s")
	args := []string{tool, "-sign", "-binary", "-outform", "DER", "-signer", signer.certPath, "-inkey", signer.keyPath, "-in", in, "-out", out}
	args = append(args, extra...)
	openssl(t, dir, args...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fingerprint returns the lowercase hex SHA-256 of c's DER, as openssl
// prints it without colons.
func fingerprint(c *x509.Certificate) string {
	return oracleDescribe(c).FingerprintSHA256
}

// trust converts trusted certificates from crypto/x509 to this package's
// form, failing the test if one does not parse.
func trust(tb testing.TB, certs []*x509.Certificate) []*Certificate {
	tb.Helper()
	var out []*Certificate
	for _, c := range certs {
		if c == nil {
			out = append(out, nil)
			continue
		}
		sc, err := ParseCertificate(c.Raw)
		if err != nil {
			tb.Fatalf("ParseCertificate(%s): %v", c.Subject, err)
		}
		out = append(out, sc)
	}
	return out
}

// verifyBoth runs Verify and the oracle (the old smallstep/pkcs7 and
// crypto/x509 verifier) on the same input and fails the test unless they
// agree: both accept with the same signer, or both refuse with the same
// sentinel. It returns Verify's result.
func verifyBoth(tb testing.TB, der []byte, rootHash string, roots []*x509.Certificate, opts VerifyOptions) (*veritysig.Signer, error) {
	tb.Helper()
	s, err := Verify(der, rootHash, trust(tb, roots), opts)
	os, oerr := oracleVerify(der, rootHash, roots, opts)
	if msg := disagreement(s, err, os, oerr); msg != "" {
		tb.Errorf("Verify and the oracle disagree: %s", msg)
	}
	return s, err
}

// sentinels are the errors Verify's errors match.
var sentinels = []error{ErrMalformed, ErrUnsupported, ErrMismatch, ErrUntrusted}

// disagreement describes how two verdicts differ, or returns "".
func disagreement(s *veritysig.Signer, err error, os *veritysig.Signer, oerr error) string {
	switch {
	case err == nil && oerr == nil:
		if *s != *os {
			return fmt.Sprintf("signer %+v, oracle's %+v", s, os)
		}
	case err == nil || oerr == nil:
		return fmt.Sprintf("Verify: %v; oracle: %v", err, oerr)
	default:
		for _, e := range sentinels {
			if errors.Is(err, e) != errors.Is(oerr, e) {
				return fmt.Sprintf("Verify: %v; oracle: %v", err, oerr)
			}
		}
	}
	return ""
}

// librarySign signs as package sign's RootHash does (smallstep/pkcs7:
// SHA-256, no signed attributes, rsaEncryption or ecdsa-with-SHA256,
// detached, intermediates embedded); package sig cannot import package
// sign, which imports it.
func librarySign(t *testing.T, rootHash string, signer *ident, intermediates ...*x509.Certificate) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData([]byte(rootHash))
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(oracleOidSHA256)
	alg := oracleOidECDSASHA256
	if signer.cert.PublicKeyAlgorithm == x509.RSA {
		alg = oracleOidRSA
	}
	sd.SetEncryptionAlgorithm(alg)
	if err := sd.SignWithoutAttr(signer.cert, signer.key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range intermediates {
		sd.AddCertificate(c)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// keyID returns a subject key identifier for a public key: the SHA-256
// of its PKIX encoding, truncated to 20 bytes.
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(der)
	return sum[:20]
}
