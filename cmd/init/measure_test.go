package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/status"
	"github.com/verinit/verinit/pkg/tpm"
)

// TestMeasured: what a boot measures comes from what it did.
func TestMeasured(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		st         status.Status
		want       tpm.Measured
	}{
		{"plain root", "root=/dev/vda2", status.Status{},
			tpm.Measured{Policy: "verity=optional signature=optional", Root: "unverified"}},
		{"signed slot", "root=/dev/vda2 rauc.slot=B verinit.slot=b", status.Status{
			Verity: &status.Verity{RootHash: "ab12"}, Signature: &status.Signature{Fingerprint: "9f"}},
			tpm.Measured{Policy: "verity=optional signature=optional", RootHash: "ab12", Signer: "9f", Slot: "rauc.slot=B verinit.slot=b"}},
		{"tmpfs root and a signed /usr", "root=tmpfs usrhash=" + strings.Repeat("cd", 32) + " verinit.tpm=required", status.Status{
			Usr: &status.Usr{Verity: &status.Verity{RootHash: "cd34"}, Signature: &status.Signature{Fingerprint: "8e"}}},
			tpm.Measured{Policy: "verity=optional signature=optional tpm=required", Root: "tmpfs", UsrHash: "cd34", UsrSigner: "8e"}},
		{"a plain /usr", "root=/dev/vda2 mount.usr=/dev/vda3", status.Status{Usr: &status.Usr{}},
			tpm.Measured{Policy: "verity=optional signature=optional", Root: "unverified", Usr: "unverified"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &boot{cfg: parse(t, tc.line), st: tc.st}
			if got := b.measured(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("measured() = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
