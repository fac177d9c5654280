//go:build verinit_nolvm

package rootdev

import (
	"errors"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/feature"
	"github.com/verinit/verinit/pkg/blockdev"
)

// TestLVMNotBuilt: an init built without LVM support reads no LVM2 label
// and refuses a logical volume at once, saying why, rather than waiting
// for one it could never activate.
func TestLVMNotBuilt(t *testing.T) {
	calls := 0
	p := countingProber(&calls, func(blockdev.Device) pvScan { return pvScan{} })
	s, err := ParseSpec("LVM=vg/root")
	if err != nil {
		t.Fatal(err)
	}
	v := p.View(fakeDevs(2), NeedsOf(s))
	if calls != 0 {
		t.Errorf("%d devices scanned for LVM2 labels, want none", calls)
	}
	if !errors.Is(v.LVMError, feature.ErrNoLVM) {
		t.Errorf("view's LVM error %v, want %v", v.LVMError, feature.ErrNoLVM)
	}
	_, ok, err := s.Resolve(v)
	if want := "LVM=vg/root: this init was built without LVM support (build tag verinit_nolvm)"; ok || err == nil || err.Error() != want {
		t.Errorf("Resolve = %v, %v, want the error %q", ok, err, want)
	}
	if !strings.Contains(Explain(v), feature.ErrNoLVM.Error()) {
		t.Errorf("Explain = %q, lacks why", Explain(v))
	}
}
