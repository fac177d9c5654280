// Package veritysig holds what a dm-verity root-hash signature says
// without checking it: the text a signature is over (SignedText), who
// signed it once package sig has verified it (Signer), the content of a
// Discoverable Partitions root-verity-sig partition (Parse, Marshal), and
// the bounds on both.
//
// It imports no cryptography, so that an init built without signature
// support (build tag verinit_nosig) can describe a root hash it trusts as
// given without linking package sig: sig imports crypto/rsa and
// crypto/ecdsa, whose package initializers reference every NIST curve,
// so importing sig at all costs such an init about 0.4 MB.
//
// The JSON is read by a small strict parser over bytes, not encoding/json,
// which the init does not link: see Parse for what it accepts, and the DPS
// reference notes (dps.md, §4.4) and systemd's src/repart/repart.c
// (partition_format_verity_sig) for the format.
package veritysig
