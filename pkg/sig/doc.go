// Package sig verifies dm-verity root-hash signatures in the init (package
// sign makes them on the host): PKCS#7/CMS detached signatures, in DER,
// over the root hash as lowercase hex text, as the kernel's
// CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG,
// "veritysetup --root-hash-signature", systemd and the root-verity-sig
// partition of the Discoverable Partitions Specification use them.
//
// It implements §5 (root-hash signatures) of the shared verity reference
// notes (verity.md) and §4.4 (the root-verity-sig partition) of the DPS
// notes (dps.md), checked against the kernel's crypto/asymmetric_keys
// pkcs7_parser.c, systemd's src/repart/repart.c (sign_verity_roothash,
// partition_format_verity_sig) and the UAPI.2 specification text; the tests
// cross-check both ways with the openssl binary.
//
// # What is signed
//
// The signed data is the root hash as the ASCII characters of its lowercase
// hex form, exactly as it stands in the dm-verity table and in the "rootHash"
// member, with no newline and no NUL ("printf %s", never "echo"). Verify and
// sign.RootHash lower-case the hex they are given, so a signature made over
// uppercase text fails with ErrMismatch; callers must put the same lowercase
// text into the table if the kernel is to check the signature too.
//
// # Verification (init side)
//
// Verify accepts one signer (SignerInfo identified by issuer and serial
// number) with an RSA (PKCS#1 v1.5) or ECDSA key, a SHA-256, SHA-384 or
// SHA-512 digest, with or without signed attributes (openssl's -noattr and
// systemd-repart's PKCS7_NOATTR leave them out). SHA-1 is refused. The
// signature must be detached: one that embeds content, even an empty
// OCTET STRING, is refused, as the kernel refuses it. The signer
// certificate and any intermediates come from the certificates embedded in
// the signature; a signer certificate that is not embedded (openssl
// -nocerts) is looked up among the trusted certificates. The chain must
// end in one of the trusted certificates, which the init reads from its
// initramfs with ParseCertificates. Extended key usage is not checked
// (like the kernel, and "openssl cms -verify -purpose any").
//
// # Agreement with the kernel
//
// With verinit.verity_sig=kernel the init hands the same signature to the
// kernel (dm-verity's root_hash_sig_key_desc, verify_pkcs7_signature),
// so Verify refuses what Linux 6.1 refuses in crypto/asymmetric_keys
// (pkcs7_parser.c, pkcs7_verify.c, pkcs7_trust.c, x509_cert_parser.c,
// x509_public_key.c) and certs/system_keyring.c, given the same trusted
// certificates:
//
//   - SignedData and SignerInfo version 1 (pkcs7_note_signeddata_version,
//     pkcs7_note_signerinfo_version), encapsulated content type id-data
//     (pkcs7_note_content; pkcs7_verify for an unspecified signature), no
//     encapsulated content at all (pkcs7_supply_detached_data);
//   - RSA signers named rsaEncryption, not sha256WithRSAEncryption
//     (pkcs7_sig_note_pkey_algo); an ECDSA identifier naming the digest of
//     the digest algorithm, which is the one the kernel hashes with; RSA
//     moduli that fill whole 64-bit words (the kernel sizes a key in words,
//     mpi_get_size, and wants signatures of that many bytes,
//     pkcs1pad_verify; 2048, 3072 and 4096 bits do, 2040 does not);
//   - signed attributes (pkcs7_sig_note_authenticated_attr): content type
//     (id-data) and message digest required, each of them and the signing
//     time at most once with one value, a signing time the kernel's
//     x509_decode_time reads and within the signer's validity
//     (pkcs7_verify_one), no S/MIME capabilities (which openssl adds
//     unless -nosmimecap or -noattr) and no Authenticode attributes; other
//     attributes are ignored, as the kernel ignores them. The signature is
//     over the attributes as encoded, which must be in DER order;
//   - every embedded certificate must be one x509_cert_parse reads: a
//     signature algorithm it knows, an RSA or ECDSA key, times as
//     x509_decode_time reads them (no year before 1970, GeneralizedTime
//     only outside 1950 to 2049), a subject key identifier of 1 to 127
//     bytes, a well-formed authority key identifier; and one the kernel
//     takes for self-signed (x509_check_for_self_signed) must carry a good
//     signature;
//   - the chain is the one the kernel builds: from the signer, each
//     certificate leads to the first embedded certificate its authority
//     key identifier names (by issuer and serial number, else by key
//     identifier; never by name), every such link must verify, and the
//     walk stops at a self-signed certificate, at one without the
//     identifier, or when the issuer is not embedded; the first
//     certificate of that walk that is trusted (same issuer, serial number
//     and key identifier) ends the chain, or else the trusted certificate
//     the last one's identifier names, whose signature on it must verify
//     (pkcs7_verify_sig_chain, pkcs7_validate_trust_one).
//
// On top of the kernel's rules Verify keeps crypto/x509's on that chain:
// each certificate's issuer name is its parent's subject; an intermediate
// must be a CA (basic constraints); an issuer must be allowed to sign
// certificates (basic constraints, key usage); path length constraints
// hold; a certificate with a critical extension crypto/x509 would not
// handle is refused; a signer certificate that is itself trusted needs no
// chain. Certificates must be signed with RSA PKCS#1 v1.5 or ECDSA and
// SHA-256/384/512 (P-224 to P-521 keys). Where this package is stricter
// than crypto/x509 it refuses: certificate signatures with RSA-PSS or
// Ed25519, a chain through name constraints when a certificate below has
// alternative names, policy constraints or mappings in a chain
// (crypto/x509 evaluates them; signing PKIs do not use them), certificate
// revocation lists in the signature, non-DER certificates and fields
// crypto/x509 would skip. The tests keep the former verifier
// (github.com/smallstep/pkcs7 and crypto/x509) as an oracle: every table
// case must get its verdict or be marked stricter, and no fuzz input may
// be accepted that it refuses (but for embedded certificates whose
// extension contents only crypto/x509 reads).
//
// Verify accepts, for signatures the init checks alone, a few that Linux
// 6.1 refuses: RSA keys of more than 4096 bits (rsa_check_key_length takes
// 512 to 4096) and ECDSA keys on P-224 and P-521 (x509_extract_key_data
// takes P-192 to P-384). TestKernelAgreement lists them with the rest.
//
// Errors are one line and match a sentinel with errors.Is: ErrMalformed
// (empty, truncated or garbage DER, no signer, embedded content),
// ErrUnsupported (SHA-1, other algorithms, several signers, attributes or
// certificates the kernel refuses), ErrMismatch (signature over another
// root hash, or corrupted) and ErrUntrusted (signer does not chain to a
// trusted certificate).
//
// # Root version
//
// A signature may bind a root version to the root hash, for the init's
// rollback check: a signed attribute of type OIDRootVersion
// (2.25.192671839107988438118157943287131884715, the UUID OID of
// 90f33f16-8c98-44ff-b1d5-cc6b55ff4cab, "verinit root version") whose
// value is SET { INTEGER N }, N from 0 to 2^64-1. "verinit sign --version
// N" (sign.Options.Version) makes it, beside the content type, message
// digest and signing time. Verify returns N in Signer.Version, with
// HasVersion set; without the attribute HasVersion is false. An attribute
// that is not one non-negative INTEGER of at most 64 bits, or appears
// twice, is ErrMalformed. The kernel ignores the attribute, as any
// authenticated attribute it does not know, so verinit.verity_sig=kernel
// works with the same signature; openssl cms -verify accepts it too.
//
// # Certificate validity and wrong clocks
//
// By default Verify ignores certificate NotBefore and NotAfter. An embedded
// device often boots with a wrong clock: a board without RTC battery starts
// at 1970 or 2000, and the init runs before any network time. Enforcing
// validity against such a clock would refuse every good image (clock in the
// past: "not yet valid") or let it depend on a value an attacker with
// physical access can set anyway. The kernel's own check of the same
// signature (pkcs7_verify_one in crypto/asymmetric_keys/pkcs7_verify.c)
// compares no certificate with the clock "since that may not have been set
// yet and may be wrong", so this default gives the init and kernel mode the
// same answer. Revoking a key means shipping a new trust store in the
// (signed) boot image, not waiting for expiry.
//
// With validity ignored, everything else about the chain is still checked
// (issuer names, signatures, basic constraints, key usage for certificate
// signing, path length, unknown critical extensions).
//
// VerifyOptions.Now turns the check on: every certificate of the chain must
// be valid at Now. VerifyOptions.MinPlausibleTime (typically the build time
// of the initramfs, packed with it) makes the check apply only when the
// clock is plausible: a Now before it means the clock is wrong, and validity
// is then ignored as by default. VerifyOptions.ChecksValidity reports which
// rule applied, for the init's log.
//
// One check always applies, in the kernel too: when the signature carries a
// signed signingTime attribute (openssl without -noattr), it must lie within
// the signer certificate's validity (ErrUntrusted otherwise). That time
// comes from the signing host's clock, not the device's.
//
// # Bounds
//
// Verify refuses signatures larger than veritysig.MaxSignatureBytes (64 KiB) before
// parsing, and walks the DER framing itself first (checkFraming): more than
// 4096 elements, elements nested more than 32 deep, truncated elements and
// trailing bytes are refused. A BER signature (indefinite lengths, as
// streaming encoders write) is then re-encoded with DER lengths in one
// linear pass; signatures already in DER are not copied. At most 8
// embedded certificates, 16 SignerInfos, 64 extensions and 64 name
// attributes per certificate are read. An RSA key may have at most 16384
// bits and an odd public exponent from 3 to 2^31-1 (what crypto/rsa
// verifies with), checked when the certificate is parsed. Public-key work
// is counted: at most 24 signature verifications and 64 work units (one
// per verification, (bits/4096)² rounded up for an RSA key above 4096
// bits), reserved before each verification; the kernel's way of building
// the chain needs no search, at most one verification per embedded
// certificate and link. Verify allocates 4 to 10 KB for a real signature
// (the PKCS#7 library it replaced, 30 to 50 KB).
//
// # Binary size and imports
//
// The init links this package, so it imports neither crypto/x509 (which
// brings net, net/url and the reflection-driven encoding/asn1) nor a PKCS#7
// library, nor encoding/json, os/user, crypto/tls or text/template. What
// remains is crypto/rsa, crypto/ecdsa (whose NIST curves cost about
// 0.55 MB of the init), crypto/sha256, crypto/sha512, encoding/pem and
// cryptobyte. What the rest of the init says of a signature (the signer,
// the root-verity-sig JSON, the bounds) is in package veritysig, which
// imports no cryptography, so that an init built without signature
// support (verinit_nosig) does not import this package at all.
//
// # Signing (host side)
//
// Package sign (pkg/sig/sign) makes signatures with smallstep/pkcs7 and
// crypto/x509, the way systemd-repart does (sign_verity_roothash:
// PKCS7_DETACHED|PKCS7_NOATTR|PKCS7_BINARY), or, with a root version,
// with signed attributes it encodes itself (smallstep/pkcs7 cannot write
// the UUID OID), and checks each with Verify. veritysig.Marshal writes the
// root-verity-sig partition content like systemd-repart: compact JSON, then
// NUL padding to a multiple of 4096.
package sig
