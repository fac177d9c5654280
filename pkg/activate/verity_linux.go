package activate

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/verinit/verinit/pkg/blockdev"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dm"
	"github.com/verinit/verinit/pkg/verity"
	"github.com/verinit/verinit/pkg/veritysig"
	"golang.org/x/sys/unix"
)

// The dm names of the verified root and /usr, as systemd names them.
const (
	RootName = "root"
	UsrName  = "usr"
)

// Result is the verity device made for the root or /usr.
type Result struct {
	Device     dm.Device
	Params     verity.Params
	RootHash   []byte
	HashOffset uint64
	Options    []string
	Table      string            // "0 SECTORS verity PARAMS"
	Signer     *veritysig.Signer // nil when unsigned
	// Check is how long the root hash check took: reading the
	// superblock and the tree's top block, comparing the root hash and
	// checking the signature.
	Check time.Duration
}

// addSigKey adds the signature as a "user" key to the calling thread's
// keyring, where the kernel's request_key during DM_TABLE_LOAD finds it.
// The caller must hold its OS thread (runtime.LockOSThread) from here
// until the table is loaded: a process keyring made after the runtime
// started its threads is installed in the credentials of the creating
// thread only (security/keys/process_keys.c, commit_creds), so a table
// loaded from another thread would find no key. It returns the key's
// description for the table and a function that unlinks it.
func addSigKey(sigDER []byte, rootHashHex string) (string, func(), error) {
	desc := "verinit:" + rootHashHex
	id, err := unix.AddKey("user", desc, sigDER, unix.KEY_SPEC_THREAD_KEYRING)
	if err != nil {
		return "", nil, fmt.Errorf("verity: add the signature to the keyring: %w", err)
	}
	return desc, func() { unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_THREAD_KEYRING, 0, 0) }, nil
}

// kernelSigReason says why the kernel refused a table with a root-hash
// signature, from the error dm-verity's constructor returned
// (verity_verify_root_hash, then verify_pkcs7_signature). The init has
// checked the same signature already, so this is mostly the kernel's
// configuration.
func kernelSigReason(err error) string {
	switch {
	case errors.Is(err, unix.ENOKEY):
		return "no certificate in its trusted keyrings signs it (see docs/signatures.md)"
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOPKG):
		return "it lacks the signature's algorithm (for ECDSA CONFIG_CRYPTO_ECDSA, which Debian's 6.1 kernel has not: sign with RSA)"
	case errors.Is(err, unix.EKEYREJECTED):
		return "the signature does not verify"
	case errors.Is(err, unix.EBADMSG):
		return "it cannot parse the signature"
	case errors.Is(err, unix.EINVAL):
		return "it has no root-hash signature support (CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG) or refused the table"
	}
	return "unexpected error"
}

// Verity checks the hash device against the root hash and creates the
// read-only dm-verity device name (RootName, UsrName) over data and hash, with the
// parity on fec when v.FEC names one (fec is nil otherwise). opened, if
// not nil, is called once all are open and marked read-only, before the
// first read (the init's verinit.debug record of its open devices).
func Verity(name string, v *config.Verity, data, hash blockdev.Device, fec *blockdev.Device, trust Trust, opened func()) (*Result, error) {
	df, err := blockdev.Open(data)
	if err != nil {
		return nil, err
	}
	defer df.Close()
	hf, err := blockdev.Open(hash)
	if err != nil {
		return nil, err
	}
	defer hf.Close()
	dataBytes, err := blockdev.Size(df)
	if err != nil {
		return nil, err
	}
	files := []*os.File{df, hf}
	if fec != nil {
		ff, err := blockdev.Open(*fec)
		if err != nil {
			return nil, err
		}
		defer ff.Close()
		files = append(files, ff)
	}
	// Nothing may write under a verified root: what was checked stays so.
	for _, f := range files {
		if err := blockdev.SetReadOnly(f); err != nil {
			return nil, err
		}
	}
	if opened != nil {
		opened()
	}
	t := time.Now()
	prep, err := Prepare(v, df, dataBytes, data.Path(), hf, hash.Path(), trust)
	if err != nil {
		return nil, err
	}
	check := time.Since(t)
	if fec != nil {
		hashBytes, err := blockdev.Size(hf)
		if err != nil {
			return nil, err
		}
		if err := prep.AddFEC(v.FEC, fec.DevNum(), hash.DevNum(), uint64(hashBytes)); err != nil {
			return nil, fmt.Errorf("verity: FEC on %s: %w", fec.Path(), err)
		}
	}
	if v.KernelSig {
		if trust.Sig == nil {
			return nil, errors.New("verity: verinit.verity_sig=kernel, but there is no signature to give the kernel")
		}
		runtime.LockOSThread() // the key is on this thread's keyring: see addSigKey
		defer runtime.UnlockOSThread()
		desc, unlink, err := addSigKey(trust.Sig, hex.EncodeToString(prep.RootHash))
		if err != nil {
			return nil, err
		}
		defer unlink() // the kernel keeps its own copy once the table is loaded
		prep.Options = append(prep.Options, "root_hash_sig_key_desc", desc)
	}
	target, params, sectors, err := prep.Table(data.DevNum(), hash.DevNum())
	if err != nil {
		return nil, err
	}
	uuid := "VERINIT-VERITY-" + hex.EncodeToString(prep.RootHash)
	if len(uuid) > 128 {
		uuid = uuid[:128]
	}
	tgt := dm.Target{StartSector: 0, Sectors: sectors, Type: target, Params: params}
	dev, err := dm.Create(name, uuid, true, []dm.Target{tgt})
	if err != nil && v.KernelSig {
		return nil, fmt.Errorf("verity: the kernel refused the root-hash signature: %s: %w", kernelSigReason(err), err)
	}
	if err != nil {
		return nil, fmt.Errorf("verity: %w", err)
	}
	return &Result{Device: dev, Params: prep.Params, RootHash: prep.RootHash, HashOffset: prep.HashOffset,
		Options: prep.Options, Table: tgt.String(), Signer: prep.Signer, Check: check}, nil
}
