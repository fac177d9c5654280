package activate

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestKernelSigReason(t *testing.T) {
	for _, tc := range []struct {
		errno unix.Errno
		want  string
	}{
		{unix.ENOKEY, "no certificate in its trusted keyrings"},
		{unix.ENOENT, "CONFIG_CRYPTO_ECDSA"},
		{unix.ENOPKG, "lacks the signature's algorithm"},
		{unix.EKEYREJECTED, "does not verify"},
		{unix.EBADMSG, "cannot parse"},
		{unix.EINVAL, "CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG"},
		{unix.EIO, "unexpected error"},
	} {
		// As pkg/dm wraps the ioctl's errno.
		err := fmt.Errorf("dm: load table of root: %w", os.NewSyscallError("DM_TABLE_LOAD", tc.errno))
		if got := kernelSigReason(err); !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want it to say %q", tc.errno, got, tc.want)
		}
	}
}
