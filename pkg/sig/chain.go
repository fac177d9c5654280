package sig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"
)

// Bounds on the public-key work of one Verify. Every signature
// verification (the signature itself, each embedded self-signed
// certificate, each link of the chain) is counted, and reserved before
// it is done. The kernel's way of building a chain, which Verify follows,
// needs at most 1 + 8 + 8 + 1 verifications for 8 embedded certificates;
// the work bound stops hostile input with large RSA keys earlier: a
// verification with an ECDSA key or an RSA key of up to 4096 bits costs
// one unit, a larger RSA key (bits/4096)² rounded up (16 for 16384 bits),
// as modular multiplication is quadratic in the modulus size. A chain of
// three RSA-16384 certificates needs 48 units.
const (
	maxSignatureChecks = 24
	maxWorkUnits       = 64
)

// errTooMuchWork is returned (wrapped) when a signature would need more
// verifications or work than the bounds above.
var errTooMuchWork = errors.New("too much public-key work")

// verifyWork counts the verifications of one Verify. Tests read it to
// check the bounds.
type verifyWork struct {
	checks int // signature verifications done
	units  int // their cost, in workUnits
}

// workUnits returns the cost of one verification with c's key.
func workUnits(c *Certificate) int {
	if c.rsaKey == nil {
		return 1
	}
	u := (c.rsaKey.N.BitLen() + 4095) / 4096
	return u * u
}

// verify checks sig over data with key's public key and digest d, after
// reserving the work.
func (w *verifyWork) verify(key *Certificate, d *digestAlgorithm, data, sig []byte) error {
	if err := kernelRSASize(key); err != nil {
		return err
	}
	u := workUnits(key)
	if w.checks+1 > maxSignatureChecks || w.units+u > maxWorkUnits {
		return fmt.Errorf("%w: %d verifications (%d units) done, the limit is %d (%d units)", errTooMuchWork, w.checks, w.units, maxSignatureChecks, maxWorkUnits)
	}
	w.checks++
	w.units += u
	switch {
	case key.rsaKey != nil:
		return rsa.VerifyPKCS1v15(key.rsaKey, d.hash, d.sum(data), sig)
	case key.ecKey != nil:
		if !ecdsa.VerifyASN1(key.ecKey, d.sum(data), sig) {
			return errors.New("ECDSA verification failure")
		}
		return nil
	}
	return fmt.Errorf("a %s key cannot verify", key.keyAlg)
}

// kernelRSASize refuses an RSA key whose modulus does not fill whole
// 64-bit words: the kernel sizes the key in words (mpi_get_size) and
// wants signatures of that many bytes (pkcs1pad_verify), where crypto/rsa
// wants the modulus's bytes, so the two agree only on such moduli.
func kernelRSASize(key *Certificate) error {
	if key.rsaKey == nil {
		return nil
	}
	if n := (key.rsaKey.N.BitLen() + 7) / 8; n%8 != 0 {
		return fmt.Errorf("an RSA key of %d bits (%d bytes), which the kernel takes for %d bytes and so refuses its signatures", key.rsaKey.N.BitLen(), n, (n+7)/8*8)
	}
	return nil
}

// verifyCert checks that child's signature verifies with parent's key:
// RSA PKCS#1 v1.5 or ECDSA with SHA-256, SHA-384 or SHA-512, fitting the
// key.
func (w *verifyWork) verifyCert(child, parent *Certificate) error {
	alg := child.sigAlg
	switch {
	case alg.digest == nil:
		return fmt.Errorf("signature algorithm %s is not supported (want RSA PKCS#1 v1.5 or ECDSA with SHA-256, SHA-384 or SHA-512)", alg.name)
	case alg.ecdsa && parent.ecKey == nil, !alg.ecdsa && parent.rsaKey == nil:
		return fmt.Errorf("signature algorithm %s does not fit the issuer's %s key", alg.name, parent.keyAlg)
	}
	if err := w.verify(parent, alg.digest, child.rawTBS, child.signature); err != nil {
		if errors.Is(err, errTooMuchWork) {
			return err
		}
		return fmt.Errorf("bad certificate signature: %v", err)
	}
	return nil
}

// kernelSelfSigned reports whether the kernel takes c for self-signed
// and checks its signature when it parses it (x509_check_for_self_signed):
// its subject is its issuer, and an authority key identifier, if any,
// names c itself. When the identifier gives both a key identifier and an
// issuer and serial number and only one names c, the kernel refuses c.
func kernelSelfSigned(c *Certificate) (bool, error) {
	if !bytes.Equal(c.rawSubject, c.rawIssuer) {
		return false, nil
	}
	if !c.hasAKID() {
		return true, nil
	}
	a := c.subjectKeyID != nil && c.authorityKeyID != nil && bytes.Equal(c.subjectKeyID, c.authorityKeyID)
	b := c.akidSerial != nil && bytes.Equal(c.akidSerial, c.serial) && bytes.Equal(c.akidIssuer, c.rawIssuer)
	switch {
	case !a && !b:
		return false, nil
	case a != b && c.authorityKeyID != nil && c.akidSerial != nil:
		return false, errors.New("its authority key identifier names it by key identifier or by issuer and serial number, not both")
	}
	return true, nil
}

// checkSelfSigned checks the signature of every embedded certificate the
// kernel takes for self-signed, as the kernel does before anything else,
// and returns which ones are. A signature algorithm Verify does not
// check (SHA-1, say) is left unchecked, as the kernel leaves one it
// lacks the code for.
func checkSelfSigned(w *verifyWork, certs []*Certificate) ([]bool, error) {
	self := make([]bool, len(certs))
	for i, c := range certs {
		ok, err := kernelSelfSigned(c)
		if err == nil && ok && c.sigAlg.digest != nil {
			err = w.verifyCert(c, c)
		}
		if err != nil {
			if errors.Is(err, errTooMuchWork) {
				return nil, fmt.Errorf("%w: embedded certificate %d (%q): %v", ErrUnsupported, i+1, c.Subject, err)
			}
			return nil, fmt.Errorf("%w: embedded certificate %d (%q) is self-signed but the kernel refuses it, and with it the signature (x509_check_for_self_signed): %v",
				ErrMalformed, i+1, c.Subject, err)
		}
		self[i] = ok
	}
	return self, nil
}

// verifyChain checks that ee chains to one of roots as the kernel links
// it (kernelChain), and that the chain keeps crypto/x509's rules
// (checkRules) under the validity rule of opts. embedded are the
// certificates of the signature, self which of them are self-signed;
// ee is one of them, or one of roots (a signature without certificates).
func verifyChain(w *verifyWork, ee *Certificate, embedded []*Certificate, self []bool, roots []*Certificate, opts VerifyOptions) error {
	if len(roots) == 0 {
		return errNoCert
	}
	r := &chainRules{check: opts.ChecksValidity(), now: opts.Now}
	chain, err := kernelChain(w, ee, embedded, self, roots)
	if err == nil {
		err = r.checkRules(chain)
	}
	if err != nil {
		if r.check {
			return fmt.Errorf("does not chain to a trusted certificate at %s: %w", formatTime(r.now), err)
		}
		return fmt.Errorf("does not chain to a trusted certificate: %w", err)
	}
	return nil
}

// kernelChain returns the chain from ee to a trusted certificate the
// kernel finds, or why it finds none. Like pkcs7_verify_sig_chain it
// walks the embedded certificates from ee, each to the first embedded
// certificate its authority key identifier names (by issuer and serial
// number, else by subject key identifier; never by name), checking each
// link, and stops at a self-signed certificate, at one without the
// identifier, at one whose issuer is not embedded, or at a loop. Like
// pkcs7_validate_trust_one it then takes the first certificate of that
// path the trusted ones hold (same issuer and serial number, and subject
// key identifier if it has one), or else the trusted certificate the
// last one's authority key identifier names, whose signature on it must
// verify. Verify is stricter in one place: a path certificate that
// matches a trusted one must be that certificate, byte for byte.
func kernelChain(w *verifyWork, ee *Certificate, embedded []*Certificate, self []bool, roots []*Certificate) ([]*Certificate, error) {
	at := -1
	for i, c := range embedded {
		if c == ee {
			at = i
		}
	}
	if at < 0 {
		// Not embedded: ee is the trusted certificate whose key the
		// signature verified with (the last resort of
		// pkcs7_validate_trust_one).
		return []*Certificate{ee}, nil
	}
	path, selfAt := []*Certificate{ee}, []bool{self[at]}
	for x := ee; !selfAt[len(selfAt)-1]; {
		i, err := kernelIssuer(x, embedded)
		if err != nil {
			return nil, err
		}
		if i < 0 || inPath(embedded[i], path) {
			break
		}
		p := embedded[i]
		if err := w.verifyCert(x, p); errors.Is(err, errTooMuchWork) {
			return nil, fmt.Errorf("checking certificate %q: %w", x.hintName, err)
		} else if err != nil {
			return nil, fmt.Errorf("certificate %q does not verify with the key of %q, the embedded certificate its authority key identifier names: %w", x.hintName, p.hintName, err)
		}
		path, selfAt = append(path, p), append(selfAt, self[i])
		x = p
	}
	for i, c := range path {
		t := kernelTrusted(c, roots)
		if t == nil {
			if selfAt[i] {
				return nil, fmt.Errorf("certificate %q is self-signed and not trusted", c.hintName)
			}
			continue
		}
		if !bytes.Equal(t.Raw, c.Raw) {
			return nil, fmt.Errorf("embedded certificate %q has the issuer, serial number and key identifier of trusted certificate %q but differs from it", c.hintName, t.hintName)
		}
		return path[:i+1], nil
	}
	last := path[len(path)-1]
	if !last.hasAKID() {
		return nil, fmt.Errorf("certificate %q has no authority key identifier, the only way the kernel finds its issuer, and is not trusted itself", last.hintName)
	}
	t, err := kernelTrustedIssuer(last, roots)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("the issuer of certificate %q (%s) is neither embedded nor trusted", last.hintName, akidString(last))
	}
	if err := w.verifyCert(last, t); errors.Is(err, errTooMuchWork) {
		return nil, fmt.Errorf("checking certificate %q: %w", last.hintName, err)
	} else if err != nil {
		return nil, fmt.Errorf("certificate %q does not verify with the key of trusted certificate %q, which its authority key identifier names: %w", last.hintName, t.hintName, err)
	}
	return append(path, t), nil
}

// kernelIssuer returns the index of the first embedded certificate x's
// authority key identifier names, or -1.
func kernelIssuer(x *Certificate, embedded []*Certificate) (int, error) {
	for i, p := range embedded {
		switch {
		case x.akidSerial != nil:
			if !bytes.Equal(p.serial, x.akidSerial) || !bytes.Equal(p.rawIssuer, x.akidIssuer) {
				continue
			}
			if x.authorityKeyID != nil && !bytes.Equal(p.subjectKeyID, x.authorityKeyID) {
				return -1, fmt.Errorf("certificate %q names embedded certificate %q by issuer and serial number but not by key identifier", x.hintName, p.hintName)
			}
			return i, nil
		case x.authorityKeyID != nil:
			if p.subjectKeyID != nil && bytes.Equal(p.subjectKeyID, x.authorityKeyID) {
				return i, nil
			}
		}
	}
	return -1, nil
}

// kernelTrusted returns the trusted certificate the kernel would take c
// for (find_asymmetric_key with c's issuer and serial number, and its
// subject key identifier if it has one), or nil.
func kernelTrusted(c *Certificate, roots []*Certificate) *Certificate {
	for _, r := range roots {
		if bytes.Equal(r.serial, c.serial) && bytes.Equal(r.rawIssuer, c.rawIssuer) {
			if c.subjectKeyID != nil && !bytes.Equal(r.subjectKeyID, c.subjectKeyID) {
				return nil
			}
			return r
		}
	}
	return nil
}

// kernelTrustedIssuer returns the trusted certificate x's authority key
// identifier names (find_asymmetric_key with both its parts), or nil.
func kernelTrustedIssuer(x *Certificate, roots []*Certificate) (*Certificate, error) {
	for _, r := range roots {
		switch {
		case x.akidSerial != nil:
			if !bytes.Equal(r.serial, x.akidSerial) || !bytes.Equal(r.rawIssuer, x.akidIssuer) {
				continue
			}
			if x.authorityKeyID != nil && (r.subjectKeyID == nil || !bytes.Equal(r.subjectKeyID, x.authorityKeyID)) {
				return nil, fmt.Errorf("certificate %q names trusted certificate %q by issuer and serial number but not by key identifier", x.hintName, r.hintName)
			}
			return r, nil
		case r.subjectKeyID != nil && bytes.Equal(r.subjectKeyID, x.authorityKeyID):
			return r, nil
		}
	}
	return nil, nil
}

// akidString describes what an authority key identifier names.
func akidString(c *Certificate) string {
	if c.akidSerial != nil {
		return "serial " + serialString(c.akidSerial) + " of " + issuerString(c.akidIssuer)
	}
	return fmt.Sprintf("key identifier %x", c.authorityKeyID)
}

// inPath reports whether c is already in the path.
func inPath(c *Certificate, path []*Certificate) bool {
	for _, d := range path {
		if c == d {
			return true
		}
	}
	return false
}

// chainRules checks a chain with crypto/x509's rules (Certificate.Verify
// with any extended key usage).
type chainRules struct {
	check bool      // compare validity periods with now
	now   time.Time // the device's clock, when check
}

// Kinds of certificate in a chain.
const (
	leafCert = iota
	intermediateCert
	rootCert
)

// checkRules checks a chain (leaf first, trusted certificate last): each
// certificate is valid in its place, each issuer is named by its child
// and may sign certificates, and chainAllowed holds.
func (r *chainRules) checkRules(chain []*Certificate) error {
	for i, c := range chain {
		kind := intermediateCert
		switch {
		case i == 0:
			kind = leafCert
		case i == len(chain)-1:
			kind = rootCert
		}
		if err := r.valid(c, chain[:i], kind); err != nil {
			return err
		}
		if i == 0 {
			continue
		}
		child := chain[i-1]
		if !bytes.Equal(child.rawIssuer, c.rawSubject) {
			return fmt.Errorf("certificate %q names the issuer %s, but the certificate its authority key identifier names is %q", child.hintName, issuerString(child.rawIssuer), c.Subject)
		}
		if c.version == 3 && !c.basicConstraints || c.basicConstraints && !c.isCA || c.keyUsage != 0 && c.keyUsage&keyUsageCertSign == 0 {
			return fmt.Errorf("issuer %q: the issuer may not sign certificates", c.hintName)
		}
	}
	if !chainAllowed(chain) {
		return errors.New("the chain has name constraints above a certificate with alternative names, or policy constraints or mappings, which are not supported")
	}
	return nil
}

// valid checks c as the next certificate of chain: no critical extension
// left unread, validity (when checked), basic constraints of an
// intermediate, path length.
func (r *chainRules) valid(c *Certificate, chain []*Certificate, kind int) error {
	if c.unhandled {
		return fmt.Errorf("certificate %q has a critical extension that is not supported", c.hintName)
	}
	if r.check {
		if r.now.Before(c.notBefore) {
			return fmt.Errorf("certificate %q is not valid yet: current time %s is before %s", c.hintName, formatTime(r.now), formatTime(c.notBefore))
		}
		if r.now.After(c.notAfter) {
			return fmt.Errorf("certificate %q has expired: current time %s is after %s", c.hintName, formatTime(r.now), formatTime(c.notAfter))
		}
	}
	if kind == intermediateCert && (!c.basicConstraints || !c.isCA) {
		return fmt.Errorf("intermediate %q is not a CA", c.hintName)
	}
	if c.basicConstraints && c.maxPathLen >= 0 && len(chain)-1 > c.maxPathLen {
		return fmt.Errorf("certificate %q: too many intermediates for its path length constraint", c.hintName)
	}
	return nil
}

// chainAllowed refuses chains whose meaning depends on checks Verify does
// not implement: name constraints over a certificate with alternative
// names, and policy constraints or mappings. crypto/x509 evaluates them;
// refusing is the safe side, and signing PKIs do not use them.
func chainAllowed(chain []*Certificate) bool {
	for i, c := range chain {
		if c.policyChecks && len(chain) > 1 {
			return false
		}
		if c.nameConstraints {
			for _, below := range chain[:i] {
				if below.san != nil {
					return false
				}
			}
		}
	}
	return true
}

// sigAlgorithm is a certificate signature algorithm.
type sigAlgorithm struct {
	name   string           // for messages
	digest *digestAlgorithm // nil when not supported
	ecdsa  bool
}

// certSigAlgorithm names the signature algorithm of a certificate from its
// OID. Only SHA-2 with RSA PKCS#1 v1.5 or ECDSA is supported: crypto/x509
// refuses SHA-1 and MD5 too; RSA-PSS and Ed25519, which it accepts, are
// refused here.
func certSigAlgorithm(oid []byte) sigAlgorithm {
	switch {
	case len(oid) == 9 && bytes.HasPrefix(oid, oidPKCS1) && 11 <= oid[8] && oid[8] <= 13:
		return sigAlgorithm{name: [...]string{"SHA256-RSA", "SHA384-RSA", "SHA512-RSA"}[oid[8]-11],
			digest: [...]*digestAlgorithm{digestSHA256, digestSHA384, digestSHA512}[oid[8]-11]}
	case ecdsaDigest(oid) != nil:
		return sigAlgorithm{name: [...]string{"ECDSA-SHA256", "ECDSA-SHA384", "ECDSA-SHA512"}[oid[7]-2], digest: ecdsaDigest(oid), ecdsa: true}
	}
	return sigAlgorithm{name: oidString(oid)}
}
