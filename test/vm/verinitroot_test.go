//go:build vm

package vm

import (
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestVerinitRoot boots roots named by verinit.root= (as barebox passes
// them with global.bootm.root_param=verinit.root), with no root= for the
// kernel to mount by itself.
func TestVerinitRoot(t *testing.T) {
	t.Run("appended tree", func(t *testing.T) {
		t.Parallel()
		r := shared.boot(t, []string{"verity"}, "verinit.root=PARTUUID="+uuidVExt4App+" rootwait=10 roothash="+shared.verity(t).rootHashExt4+" verinit.verity=required")
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		for path, want := range map[string]any{"root.spec": "PARTUUID=" + uuidVExt4App, "root.device": "/dev/mapper/root",
			"verity.source": "root", "verity.root_hash": shared.verity(t).rootHashExt4, "verity.data_device": "/dev/vda6"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
	})
	t.Run("dm-verity.env", func(t *testing.T) {
		t.Parallel()
		r := shared.bootWith(t, shared.verity(t).initrdYocto, []string{"verity"}, "verinit.root=PARTUUID="+uuidVExt4App)
		if !r.Reached || r.Status == nil {
			t.Fatalf("the real init was not reached or printed no status")
		}
		for path, want := range map[string]any{"verity.source": "dm-verity.env", "verity.root_hash": shared.verity(t).rootHashExt4,
			"verity.data_device": "/dev/vda6", "root.device": "/dev/mapper/root"} {
			if got := vmtest.Field(r.Status, strings.Split(path, ".")...); got != want {
				t.Errorf("status %s = %v, want %v", path, got, want)
			}
		}
	})
	t.Run("root= disagreeing", func(t *testing.T) {
		t.Parallel()
		r := shared.boot(t, []string{"verity"}, "verinit.root=PARTUUID="+uuidVExt4App+" root=/dev/vda1 verinit.failure_delay=0")
		if r.Reached {
			t.Errorf("the real init was reached")
		}
		vmtest.WantLine(t, r.Console, `verinit: \[config \+\d+ms\] kernel command line: verinit.root=PARTUUID=`+uuidVExt4App+
			` and root=/dev/vda1 name different roots: give one \(verinit.root= alone keeps the kernel from mounting the root unverified\)$`)
	})
}
