package activate

import (
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/veritysig"
)

// enforce is the last gate before a table reaches the kernel: whatever
// the command line, dm-verity.env or the superblock said, the table
// must keep the policy. Config refuses the keys that would break it
// with a message naming them; this catches what only the disk decides
// (a SHA-1 superblock) and any key a later change forgets.
func enforce(p config.Policy, prep *Prepared, signedHash string) error {
	if !p.Enforced() {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("verity: refused by %s: %s", p.Named(), fmt.Sprintf(format, args...))
	}
	for _, o := range prep.Options {
		if !slices.Contains(policedOptions, o) {
			return refuse("table option %s", o)
		}
	}
	if prep.Params.Algorithm == "sha1" && p.SHA1 != config.Allowed {
		return refuse("the hash tree uses sha1 (pack --policy sha1=allowed to accept SHA-1 trees)")
	}
	root := hex.EncodeToString(prep.RootHash)
	if !p.Pinned(root) {
		return refuse("root hash %s is not one the initramfs pins", root)
	}
	if p.Signature == config.Required && (prep.Signer == nil || signedHash != root) {
		return refuse("root hash %s is not the one signed", root)
	}
	if p.MinVersion > 0 {
		if err := checkVersion(p.MinVersion, prep.Signer); err != nil {
			return err
		}
	}
	return nil
}

// checkVersion compares the root version a signature carries with the
// minimum the initramfs allows.
func checkVersion(min uint64, s *veritysig.Signer) error {
	switch {
	case s == nil:
		return fmt.Errorf("verity: the initramfs requires root version %d or later, but the root hash is not signed", min)
	case !s.HasVersion:
		return fmt.Errorf("verity: the initramfs requires root version %d or later, but the signature by %s carries no version (verinit sign --version)", min, s)
	case s.Version < min:
		return fmt.Errorf("verity: the root is version %d, older than version %d, the oldest the initramfs allows (a rollback)", s.Version, min)
	}
	return nil
}

// policedOptions are the optional table arguments a policy requiring
// verity allows; ignore_corruption and check_at_most_once are not.
var policedOptions = []string{config.ModeRestart, config.ModePanic, "restart_on_error", "panic_on_error", "ignore_zero_blocks"}
