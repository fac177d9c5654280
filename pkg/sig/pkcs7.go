package sig

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// signedData is what Verify reads of a CMS SignedData (RFC 5652 §5): the
// length of any embedded content, the embedded certificates and the
// signers. Like the kernel (crypto/asymmetric_keys/pkcs7.asn1), it does not
// read the digestAlgorithms set beyond its framing.
type signedData struct {
	version int64
	certs   []*Certificate
	signers []signerInfo
}

// signerInfo is one SignerInfo identified by issuer and serial number.
type signerInfo struct {
	version   int64
	issuer    []byte // the issuer Name, DER, tag included
	serial    []byte // the serial number INTEGER's content octets
	digestAlg []byte // OID content octets
	sigAlg    []byte // OID content octets
	// haveAttrs is set when the signed attributes field is present, even
	// empty: the kernel then requires content type and message digest.
	haveAttrs bool
	attrs     [][]byte // signed attributes, each a complete Attribute TLV, in the order encoded
	signature []byte
}

// maxSigners bounds the SignerInfos read; more than one is refused anyway.
const maxSigners = 16

// parseSignedData reads a ContentInfo holding a SignedData, in DER.
// Errors match ErrMalformed, or ErrUnsupported for CRLs.
func parseSignedData(der []byte) (*signedData, error) {
	bad := func(what string) error {
		return fmt.Errorf("%w: not a PKCS#7 SignedData: %s", ErrMalformed, what)
	}
	in := cryptobyte.String(der)
	var ci, oid, sdSeq, sd cryptobyte.String
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !in.Empty() || !ci.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return nil, bad("malformed ContentInfo")
	}
	if !bytes.Equal(oid, oidSigned) {
		return nil, bad("content type is " + oidString(oid) + ", want signedData (1.2.840.113549.1.7.2)")
	}
	if !ci.ReadASN1(&sdSeq, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() ||
		!sdSeq.ReadASN1(&sd, cbasn1.SEQUENCE) || !sdSeq.Empty() {
		return nil, bad("malformed ContentInfo content")
	}
	var version int64
	var digestAlgs, encap, eType cryptobyte.String
	if !sd.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) || !sd.ReadASN1(&digestAlgs, cbasn1.SET) {
		return nil, bad("malformed SignedData version or digest algorithms")
	}
	for !digestAlgs.Empty() {
		var ai cryptobyte.String
		var oid []byte
		if !digestAlgs.ReadASN1(&ai, cbasn1.SEQUENCE) || !readAlgorithm(ai, &oid) {
			return nil, bad("malformed digest algorithm")
		}
	}
	if !sd.ReadASN1(&encap, cbasn1.SEQUENCE) || !encap.ReadASN1(&eType, cbasn1.OBJECT_IDENTIFIER) || !validOID(eType) {
		return nil, bad("malformed encapsulated content info")
	}
	if !bytes.Equal(eType, oidData) {
		// pkcs7_note_content reads only id-data (and Authenticode's
		// indirect data), and pkcs7_verify takes only id-data for an
		// "unspecified" signature such as dm-verity's.
		return nil, fmt.Errorf("%w: encapsulated content type is %s, want id-data (1.2.840.113549.1.7.1)", ErrMalformed, oidString(eType))
	}
	out := &signedData{version: version}
	var eContent cryptobyte.String
	var present bool
	if !encap.ReadOptionalASN1(&eContent, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) || !encap.Empty() {
		return nil, bad("malformed encapsulated content")
	}
	if present {
		n, ok := contentLength(eContent)
		if !ok {
			return nil, bad("malformed encapsulated content")
		}
		// Any content, even none in an empty OCTET STRING, is refused as
		// the kernel refuses it (pkcs7_supply_detached_data: "Data
		// already supplied").
		if n == 0 {
			return nil, fmt.Errorf("%w: signature embeds an empty content; a detached signature is required", ErrMalformed)
		}
		return nil, fmt.Errorf("%w: signature embeds %d bytes of content; a detached signature is required", ErrMalformed, n)
	}
	var certs cryptobyte.String
	if !sd.ReadOptionalASN1(&certs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, bad("malformed certificates")
	}
	for i := 1; !certs.Empty(); i++ {
		if i > maxCertificates {
			return nil, fmt.Errorf("%w: signature embeds more than %d certificates", ErrMalformed, maxCertificates)
		}
		var raw cryptobyte.String
		if !certs.ReadASN1Element(&raw, cbasn1.SEQUENCE) {
			return nil, bad(fmt.Sprintf("embedded certificate %d is not a SEQUENCE", i))
		}
		c, err := parseCertificate(raw)
		if err != nil {
			return nil, bad(fmt.Sprintf("embedded certificate %d: %v", i, err))
		}
		if c.kernelRefuses != "" {
			return nil, fmt.Errorf("%w: embedded certificate %d (%q) is one the kernel cannot read, and it refuses such a signature: %s",
				ErrUnsupported, i, c.Subject, c.kernelRefuses)
		}
		out.certs = append(out.certs, c)
	}
	if sd.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w: signature carries certificate revocation lists, which are not supported", ErrUnsupported)
	}
	var infos cryptobyte.String
	if !sd.ReadASN1(&infos, cbasn1.SET) || !sd.Empty() {
		return nil, bad("malformed SignerInfos")
	}
	for !infos.Empty() {
		var raw cryptobyte.String
		if !infos.ReadASN1(&raw, cbasn1.SEQUENCE) || len(out.signers) == maxSigners {
			return nil, bad("malformed SignerInfos")
		}
		si, ok := parseSignerInfo(raw)
		if !ok {
			// As smallstep/pkcs7: a SignerInfo that does not parse
			// (one identified by subject key identifier, say) leaves
			// none that can be read.
			out.signers = nil
			return out, nil
		}
		out.signers = append(out.signers, si)
	}
	return out, nil
}

// contentLength returns the length of the encapsulated content (the
// element inside eContent): an OCTET STRING's bytes, or for a constructed
// one (BER streaming) the sum of its segments' contents.
func contentLength(s cryptobyte.String) (int, bool) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) || !s.Empty() {
		return 0, false
	}
	if tag != cbasn1.OCTET_STRING.Constructed() {
		return len(v), true
	}
	n := 0
	for !v.Empty() {
		var seg cryptobyte.String
		if !v.ReadAnyASN1(&seg, &tag) {
			return 0, false
		}
		n += len(seg)
	}
	return n, true
}

// parseSignerInfo reads a SignerInfo whose signer is identified by issuer
// and serial number (RFC 5652 §5.3).
func parseSignerInfo(s cryptobyte.String) (signerInfo, bool) {
	var si signerInfo
	var sid, issuer, serial, digestAI, sigAI, sig cryptobyte.String
	if !s.ReadASN1Int64WithTag(&si.version, cbasn1.INTEGER) || !s.ReadASN1(&sid, cbasn1.SEQUENCE) {
		return si, false
	}
	var tag cbasn1.Tag
	if !sid.ReadAnyASN1Element(&issuer, &tag) || !sid.ReadASN1(&serial, cbasn1.INTEGER) || !validInteger(serial) || !sid.Empty() {
		return si, false
	}
	si.issuer, si.serial = issuer, serial
	if !s.ReadASN1(&digestAI, cbasn1.SEQUENCE) || !readAlgorithm(digestAI, &si.digestAlg) {
		return si, false
	}
	var attrs cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&attrs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return si, false
	}
	si.haveAttrs = present
	for !attrs.Empty() {
		var a cryptobyte.String
		if !attrs.ReadASN1Element(&a, cbasn1.SEQUENCE) || !validAttribute(a, validOIDAnyArc) {
			return si, false
		}
		si.attrs = append(si.attrs, a)
	}
	if !s.ReadASN1(&sigAI, cbasn1.SEQUENCE) || !readAlgorithm(sigAI, &si.sigAlg) || !s.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return si, false
	}
	si.signature = sig
	var unsigned cryptobyte.String
	if !s.ReadOptionalASN1(&unsigned, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return si, false
	}
	for !unsigned.Empty() {
		var a cryptobyte.String
		if !unsigned.ReadASN1Element(&a, cbasn1.SEQUENCE) || !validAttribute(a, validOID) {
			return si, false
		}
	}
	return si, s.Empty()
}

// readAlgorithm reads the OID of an AlgorithmIdentifier; its parameters
// may be absent or any one element.
func readAlgorithm(ai cryptobyte.String, oid *[]byte) bool {
	var o cryptobyte.String
	if !ai.ReadASN1(&o, cbasn1.OBJECT_IDENTIFIER) || !validOID(o) || !skipAny(&ai) {
		return false
	}
	*oid = o
	return true
}

// validAttribute checks an Attribute: SEQUENCE { OID, SET OF values },
// its type checked with validType.
func validAttribute(a cryptobyte.String, validType func([]byte) bool) bool {
	var body, oid, values cryptobyte.String
	return a.ReadASN1(&body, cbasn1.SEQUENCE) && body.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) && validType(oid) &&
		body.ReadASN1(&values, cbasn1.SET) && body.Empty()
}

// splitAttribute returns the type and the values SET content of an
// Attribute validAttribute accepted.
func splitAttribute(a []byte) (oid, values cryptobyte.String) {
	s := cryptobyte.String(a)
	var body cryptobyte.String
	s.ReadASN1(&body, cbasn1.SEQUENCE)
	body.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER)
	body.ReadASN1(&values, cbasn1.SET)
	return oid, values
}

// onlyValue returns the content of an attribute's one value, which must
// have the given tag.
func onlyValue(values cryptobyte.String, tag cbasn1.Tag) ([]byte, bool) {
	var v cryptobyte.String
	if !values.ReadASN1(&v, tag) || !values.Empty() {
		return nil, false
	}
	return v, true
}

// errNoCert is returned by verifyChain when no trusted certificate is
// given.
var errNoCert = errors.New("cannot chain to a trusted certificate: none was given")
