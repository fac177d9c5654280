package sig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"
)

// maxSignatureChecks bounds the certificate signatures one chain search
// checks, as crypto/x509 bounds its search (maxChainSignatureChecks).
const maxSignatureChecks = 100

// chainSearch builds chains from a signer certificate to a trusted one with
// crypto/x509's rules (Certificate.Verify with any extended key usage):
// depth-first, trusted certificates before embedded ones, candidates
// whose subject is the child's issuer, those whose key identifiers match
// first.
type chainSearch struct {
	roots, intermediates []*Certificate
	check                bool      // compare validity periods with now
	now                  time.Time // the device's clock, when check
	sigChecks            int
	hint                 error // the first reason a candidate failed
	hintCert             *Certificate
}

// verifyChain checks that ee chains to one of roots, with the embedded
// certificates as intermediates, under the validity rule of opts.
func verifyChain(ee *Certificate, embedded, roots []*Certificate, opts VerifyOptions) error {
	if len(roots) == 0 {
		return errNoCert
	}
	s := &chainSearch{roots: roots, check: opts.ChecksValidity(), now: opts.Now}
	for _, c := range embedded {
		if c != ee {
			s.intermediates = append(s.intermediates, c)
		}
	}
	if err := s.valid(ee, nil, leafCert); err != nil {
		return s.wrap(err)
	}
	for _, r := range roots {
		if bytes.Equal(r.Raw, ee.Raw) {
			return nil
		}
	}
	found, err := s.build([]*Certificate{ee})
	switch {
	case found:
		return nil
	case err != nil:
		return s.wrap(err)
	case s.hint != nil:
		return s.wrap(fmt.Errorf("candidate issuer %q: %v", s.hintCert.hintName, s.hint))
	}
	return s.wrap(errors.New("no trusted or embedded certificate issued it"))
}

func (s *chainSearch) wrap(err error) error {
	if s.check {
		return fmt.Errorf("does not chain to a trusted certificate at %s: %w", formatTime(s.now), err)
	}
	return fmt.Errorf("does not chain to a trusted certificate: %w", err)
}

// Kinds of certificate in a chain.
const (
	leafCert = iota
	intermediateCert
	rootCert
)

// build extends chain (leaf first) towards a trusted certificate and
// reports whether a chain that passes chainAllowed was found.
func (s *chainSearch) build(chain []*Certificate) (bool, error) {
	child := chain[len(chain)-1]
	for _, pool := range []struct {
		kind  int
		certs []*Certificate
	}{{rootCert, s.roots}, {intermediateCert, s.intermediates}} {
		for _, parent := range candidates(pool.certs, child) {
			if s.sigChecks++; s.sigChecks > maxSignatureChecks {
				return false, fmt.Errorf("more than %d certificate signatures checked", maxSignatureChecks)
			}
			if inChain(parent, chain) {
				continue
			}
			err := checkSignatureFrom(child, parent)
			if err == nil {
				err = s.valid(parent, chain, pool.kind)
			}
			if err != nil {
				if s.hint == nil {
					s.hint, s.hintCert = err, parent
				}
				continue
			}
			next := append(chain[:len(chain):len(chain)], parent)
			if pool.kind == rootCert {
				if chainAllowed(next) {
					return true, nil
				}
				continue
			}
			found, err := s.build(next)
			if found || err != nil {
				return found, err
			}
		}
	}
	return false, nil
}

// candidates returns the certificates of pool whose subject is child's
// issuer: matching key identifiers first, then those where only one side
// has one, then mismatching ones.
func candidates(pool []*Certificate, child *Certificate) []*Certificate {
	var match, one, mismatch []*Certificate
	for _, c := range pool {
		if !bytes.Equal(c.rawSubject, child.rawIssuer) {
			continue
		}
		switch {
		case bytes.Equal(c.subjectKeyID, child.authorityKeyID):
			match = append(match, c)
		case len(c.subjectKeyID) == 0 || len(child.authorityKeyID) == 0:
			one = append(one, c)
		default:
			mismatch = append(mismatch, c)
		}
	}
	return append(append(match, one...), mismatch...)
}

// inChain reports whether a certificate with c's subject, key and
// alternative names is already in the chain.
func inChain(c *Certificate, chain []*Certificate) bool {
	for _, d := range chain {
		if bytes.Equal(c.rawSubject, d.rawSubject) && bytes.Equal(c.rawSPKI, d.rawSPKI) &&
			(c.san == nil) == (d.san == nil) && bytes.Equal(c.san, d.san) {
			return true
		}
	}
	return false
}

// valid checks c as the next certificate of chain: no critical extension
// left unread, validity (when checked), basic constraints of an
// intermediate, path length.
func (s *chainSearch) valid(c *Certificate, chain []*Certificate, kind int) error {
	if c.unhandled {
		return fmt.Errorf("certificate %q has a critical extension that is not supported", c.hintName)
	}
	if s.check {
		if s.now.Before(c.notBefore) {
			return fmt.Errorf("certificate %q is not valid yet: current time %s is before %s", c.hintName, formatTime(s.now), formatTime(c.notBefore))
		}
		if s.now.After(c.notAfter) {
			return fmt.Errorf("certificate %q has expired: current time %s is after %s", c.hintName, formatTime(s.now), formatTime(c.notAfter))
		}
	}
	if kind == intermediateCert && (!c.basicConstraints || !c.isCA) {
		return errors.New("the certificate is not a CA")
	}
	if c.basicConstraints && c.maxPathLen >= 0 && len(chain)-1 > c.maxPathLen {
		return errors.New("too many intermediates for its path length constraint")
	}
	return nil
}

// checkSignatureFrom checks that parent may sign certificates and signed
// child: a CA (basic constraints) allowed to sign certificates (key
// usage), with an RSA or ECDSA key, a SHA-2 signature algorithm.
func checkSignatureFrom(child, parent *Certificate) error {
	if parent.version == 3 && !parent.basicConstraints || parent.basicConstraints && !parent.isCA ||
		parent.keyUsage != 0 && parent.keyUsage&keyUsageCertSign == 0 {
		return errors.New("the issuer may not sign certificates")
	}
	alg := child.sigAlg
	switch {
	case alg.digest == nil:
		return fmt.Errorf("signature algorithm %s is not supported (want RSA PKCS#1 v1.5 or ECDSA with SHA-256, SHA-384 or SHA-512)", alg.name)
	case alg.ecdsa && parent.ecKey != nil:
		if !ecdsa.VerifyASN1(parent.ecKey, alg.digest.sum(child.rawTBS), child.signature) {
			return errors.New("bad certificate signature (ECDSA)")
		}
	case !alg.ecdsa && parent.rsaKey != nil:
		if err := rsa.VerifyPKCS1v15(parent.rsaKey, alg.digest.hash, alg.digest.sum(child.rawTBS), child.signature); err != nil {
			return fmt.Errorf("bad certificate signature: %v", err)
		}
	default:
		return fmt.Errorf("signature algorithm %s does not fit the issuer's %s key", alg.name, parent.keyAlg)
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
