//go:build vm

package vm

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// TestRuntimeCorruption boots slot A of the blob disk, whose file
// /data/blob has one byte flipped on disk after the hash tree was made. The
// init and the root's startup never read that block, so the real init
// starts; then it reads the blob, and the kernel acts on the bad block as
// the table's corruption mode says.
func TestRuntimeCorruption(t *testing.T) {
	c := shared.corrupt(t)
	slotA := c.disk.Slots[0]
	corrupted := fmt.Sprintf(`^.*device-mapper: verity: 25\d:\d+: data block %d is corrupted$`, c.block)
	tests := []struct {
		name    string
		extra   string
		options string   // verity.options in status.json, joined with spaces
		lines   []string // each must match a console line
		absent  []string // none may match
	}{
		{"default restart_on_corruption reboots", "", "restart_on_corruption",
			[]string{corrupted, `^.*reboot: Restarting system with command 'dm-verity device corrupted'$`},
			[]string{regexp.QuoteMeta(vmtest.MarkerRead), regexp.QuoteMeta(vmtest.MarkerGood)}},
		{"systemd ignore-corruption returns the data", "systemd.verity_root_options=ignore-corruption", "ignore_corruption",
			[]string{corrupted, regexp.QuoteMeta(vmtest.MarkerRead) + ` ok sha256=` + c.sumFlip + `$`, regexp.QuoteMeta(vmtest.MarkerGood) + `A$`},
			[]string{`Restarting system`}},
		{"eio fails the read", "verinit.verity_on_corruption=eio", "",
			[]string{corrupted, regexp.QuoteMeta(vmtest.MarkerRead) + ` failed: sha256sum: .*` + blobPath + `.*Input/output error$`},
			[]string{`Restarting system`, regexp.QuoteMeta(vmtest.MarkerGood), regexp.QuoteMeta(vmtest.MarkerRead) + ` ok`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// No policy: under one that requires verity, ignore-corruption
			// is refused (TestPolicy).
			r := shared.boot(t, []string{"blob-a-flip"}, slotA.Cmdline+" "+tc.extra+" verinit_test.read="+blobPath)
			// The corruption is found after boot: the real init started
			// and printed its status before it read the blob.
			if !r.Reached || r.Status == nil {
				t.Fatalf("the real init was not reached or printed no status")
			}
			if got := vmtest.Field(r.Status, "verity", "root_hash"); got != slotA.RootHash {
				t.Errorf("status verity.root_hash = %v, want %s", got, slotA.RootHash)
			}
			var opts []string
			if list, ok := vmtest.Field(r.Status, "verity", "options").([]any); ok {
				for _, o := range list {
					opts = append(opts, fmt.Sprint(o))
				}
			}
			if got := strings.Join(opts, " "); got != tc.options {
				t.Errorf("verity options %q, want %q", got, tc.options)
			}
			for _, re := range tc.lines {
				vmtest.WantLine(t, r.Console, re)
			}
			for _, re := range tc.absent {
				if m := regexp.MustCompile("(?m)" + re).FindString(r.Console); m != "" {
					t.Errorf("console has %q", m)
				}
			}
			t.Logf("console:\n%s", keyLines(r.Console))
			if i, j := strings.Index(r.Console, vmtest.MarkerInit), regexp.MustCompile("(?m)"+corrupted).FindStringIndex(r.Console); j == nil || j[0] < i {
				t.Errorf("the corruption was not reported after the real init started")
			}
		})
	}
}
