package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/verinit/verinit/pkg/sig/sign"
)

func runSign(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sign", stderr)
	keyPath := fs.String("key", "", "the signing private key, PEM (PKCS#8, PKCS#1 or EC)")
	certPath := fs.String("cert", "", "its certificate, PEM (further certificates in the file are embedded as intermediates)")
	hashFile := fs.String("root-hash-file", "", "read the root hash from `FILE` (as veritysetup --root-hash-file writes it)")
	out := fs.String("o", "", "write the signature to `FILE` (default: standard output)")
	asJSON := fs.Bool("verity-sig-json", false, "write the Discoverable Partitions root-verity-sig partition content (JSON) instead of DER")
	var version sign.Options
	fs.Func("version", "bind the root version `N` (0 to 2^64-1) to the signature as a signed attribute, for the init's rollback check", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want an unsigned decimal integer up to 2^64-1")
		}
		version.Version, version.HasVersion = n, true
		return nil
	})
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	rootHash := ""
	switch {
	case *hashFile != "" && len(pos) == 0:
		b, err := os.ReadFile(*hashFile)
		if err != nil {
			return err
		}
		rootHash = strings.TrimSpace(string(b))
	case *hashFile == "" && len(pos) == 1:
		rootHash = pos[0]
	default:
		fs.Usage()
		return errUsage
	}
	if *keyPath == "" || *certPath == "" {
		return fmt.Errorf("--key and --cert are needed: %w", errUsage)
	}
	der, err := signRootHash(rootHash, *keyPath, *certPath, *asJSON, version)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(der)
		return err
	}
	return os.WriteFile(*out, der, 0o644)
}

// signRootHash signs the lowercase hex root hash, with the version of
// opts if it has one; with asJSON it returns the root-verity-sig partition
// content instead of the DER.
func signRootHash(rootHash, keyPath, certPath string, asJSON bool, opts sign.Options) ([]byte, error) {
	rootHash = strings.ToLower(rootHash)
	key, err := readKey(keyPath)
	if err != nil {
		return nil, err
	}
	pemCerts, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	certs, err := sign.ParseCertificates(pemCerts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	opts.Intermediates = certs[1:]
	der, err := sign.RootHash(rootHash, key, certs[0], opts)
	if err != nil {
		return nil, err
	}
	if asJSON {
		return sign.VeritySigJSON(rootHash, certs[0], der)
	}
	return der, nil
}

func readKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: unsupported PEM block %q", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, errors.New(path + ": not a signing key")
	}
	return s, nil
}
