// Package sig verifies (init side) and makes (host side) dm-verity root-hash
// signatures: PKCS#7/CMS detached signatures, in DER, over the root hash as
// lowercase hex text, as the kernel's CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG,
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
// Sign lower-case the hex they are given, so a signature made over
// uppercase text fails with ErrMismatch; callers must put the same lowercase
// text into the table if the kernel is to check the signature too.
//
// # Verification (init side)
//
// Verify accepts one signer (SignerInfo identified by issuer and serial
// number) with an RSA (PKCS#1 v1.5) or ECDSA key, a SHA-256, SHA-384 or
// SHA-512 digest, with or without signed attributes (openssl's -noattr and
// systemd-repart's PKCS7_NOATTR leave them out). SHA-1 is refused. The
// signature must be detached: one that embeds content is refused, as the
// kernel refuses it. The signer certificate and any intermediates come from
// the certificates embedded in the signature; a signer certificate that is
// not embedded (openssl -nocerts) is looked up among the trusted
// certificates. The chain must end in one of the trusted certificates, which
// the init reads from its initramfs with ParseCertificates. Extended key
// usage is not checked (like the kernel, and "openssl cms -verify -purpose
// any"); basic constraints, key usage for certificate signing, path length
// and name constraints are checked by crypto/x509.
//
// Errors are one line and match a sentinel with errors.Is: ErrMalformed
// (empty, truncated or garbage DER, no signer, embedded content),
// ErrUnsupported (SHA-1, other algorithms, several signers), ErrMismatch
// (signature over another root hash, or corrupted) and ErrUntrusted (signer
// does not chain to a trusted certificate).
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
// by crypto/x509 (issuer names, signatures, basic constraints, key usage
// for certificate signing, path length, name constraints, unknown critical
// extensions): Verify hands it copies of the certificates whose validity
// period covers all time.
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
// Verify refuses signatures larger than MaxSignatureBytes (64 KiB) before
// parsing, and walks the DER framing itself first (checkFraming): more than
// 4096 elements, elements nested more than 32 deep, truncated elements and
// trailing bytes are refused before the library's BER-to-DER conversion,
// whose cost grows with size times nesting depth (a 64 KiB signature of
// nested SEQUENCEs made it allocate 550 MB). At most 8 embedded certificates
// are accepted. Verify then allocates about 50 times the size of a real
// signature (30 to 50 KB), and about 2 MB for the worst input found (64 KiB
// under 31 levels of nesting, which the library copies once per level).
// ParseVeritySigJSON reads
// at most MaxVeritySigBytes (4 MiB, systemd's limit) and allocates only for
// the signature member.
//
// # Library
//
// PKCS#7 parsing, the signature check and signing use
// github.com/smallstep/pkcs7, the maintained fork of the archived
// go.mozilla.org/pkcs7 (used by step-ca, micromdm and others); it carries
// the fix for out-of-bounds panics in its BER converter. Its known history
// of panics on hostile input is why Verify recovers from a panic inside it
// (reported as ErrMalformed) and why FuzzVerify calls the unrecovered path.
// The package never touches the library's global settings (default digest
// algorithm, legacy X.509 parser).
//
// # Binary size and imports
//
// The package imports no encoding/json, os/user, crypto/tls or
// text/template: the root-verity-sig JSON is read by a small strict parser
// (veritysig.go). crypto/x509, which any X.509 verification needs, imports
// net, net/netip and net/url; only their address types and parsers are
// linked (about 34 KB), no resolver or dialer. Sign and VeritySigJSON
// import nothing beyond what verification already imports, so a binary that
// only verifies links none of their code.
//
// # Signing (host side)
//
// Sign makes the signature the way systemd-repart does (sign_verity_roothash:
// PKCS7_DETACHED|PKCS7_NOATTR|PKCS7_BINARY): SHA-256, no signed attributes,
// issuer and serial number, signer certificate (and intermediates)
// embedded. For RSA it writes rsaEncryption as the signature algorithm: the
// kernel's pkcs7_sig_note_pkey_algo accepts that for PKCS#1 v1.5 and fails
// sha256WithRSAEncryption with ENOPKG ("Unsupported pkey algo"). Verify
// accepts both, so a signature made by another tool that Verify accepts may
// still be one kernel mode refuses. VeritySigJSON writes the
// root-verity-sig partition content like systemd-repart: compact JSON, then
// NUL padding to a multiple of 4096.
package sig
