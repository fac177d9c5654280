//go:build linux

// Command sizefloor is the size peer of bin/init in `make size` and
// `make bench`: a program that does only what the init cannot do without
// and nothing else. It checks one RSA (PKCS #1 v1.5) and one ECDSA
// signature over SHA-256 with the standard library, as pkg/sig does, and
// creates, resumes and removes one device-mapper device with
// devmapper.go, as pkg/dm does. Its size is where any Go init that
// verifies signed root hashes with the standard library starts from.
//
// It is built to be measured, never run on a real system: its arguments
// only keep the linker from proving the calls dead.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"os"

	"github.com/anatol/devmapper.go"
)

func main() {
	if len(os.Args) != 5 {
		os.Stderr.WriteString("usage: sizefloor RSA-MODULUS EC-POINT SIGNATURE MESSAGE\n")
		os.Exit(2)
	}
	modulus, point, signature, message := []byte(os.Args[1]), []byte(os.Args[2]), []byte(os.Args[3]), []byte(os.Args[4])
	digest := sha256.Sum256(message)
	rsaKey := &rsa.PublicKey{N: new(big.Int).SetBytes(modulus), E: 65537}
	rsaErr := rsa.VerifyPKCS1v15(rsaKey, crypto.SHA256, digest[:], signature)
	ecOK := false
	// pkg/sig accepts the four NIST curves, SHA-384 and SHA-512 too.
	for _, curve := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		if key, err := ecdsa.ParseUncompressedPublicKey(curve, point); err == nil {
			d384, d512 := sha512.Sum384(message), sha512.Sum512(message)
			ecOK = ecdsa.VerifyASN1(key, digest[:], signature) || ecdsa.VerifyASN1(key, d384[:], signature) || ecdsa.VerifyASN1(key, d512[:], signature)
		}
	}
	if rsaErr != nil && !ecOK {
		os.Stderr.WriteString("sizefloor: no signature verified\n")
		os.Exit(1)
	}
	table := devmapper.VerityTable{Start: 0, Length: 8, HashType: 1, DataDevice: os.Args[1], HashDevice: os.Args[2],
		DataBlockSize: 4096, HashBlockSize: 4096, NumDataBlocks: 1, HashStartBlock: 1, Algorithm: "sha256", Digest: os.Args[3]}
	if err := devmapper.CreateAndLoad("sizefloor", "", devmapper.ReadOnlyFlag, table); err != nil {
		os.Stderr.WriteString("sizefloor: " + err.Error() + "\n")
		os.Exit(1)
	}
	if _, err := devmapper.InfoByName("sizefloor"); err != nil {
		os.Stderr.WriteString("sizefloor: " + err.Error() + "\n")
	}
	devmapper.Remove("sizefloor")
}
