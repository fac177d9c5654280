//go:build vm

package vm

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/internal/vmtest"
)

// bootchooser is a host-side stand-in for barebox's bootchooser
// (Documentation/user/bootchooser.rst): each target has a priority and a
// number of remaining attempts; a boot picks the target with the highest
// priority that has attempts left (the earlier one in bootchooser.targets
// on a tie), takes one attempt and boots its entry. A system that comes up
// healthy marks itself good, which restores its attempts (rauc status
// mark-good); an update makes its slot the primary one (rauc status
// mark-active).
type bootchooser struct {
	targets []*bcTarget
}

type bcTarget struct {
	name            string
	options         string // the kernel command line of its blspec entry
	priority        int
	attempts        int // remaining
	defaultAttempts int
}

// parseBootchooser reads the blspec entries (path -> content) and the nv
// settings that verinit disk create --print barebox printed.
func parseBootchooser(entries map[string]string, nv string) (*bootchooser, error) {
	set := map[string]string{}
	for line := range strings.Lines(nv) {
		kv, ok := strings.CutPrefix(strings.TrimSpace(line), "nv ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		set[k] = strings.Trim(v, `"`)
	}
	names := strings.Fields(set["bootchooser.targets"])
	if len(names) == 0 {
		return nil, errors.New("bootchooser: no bootchooser.targets")
	}
	b := &bootchooser{}
	for _, n := range names {
		tg := &bcTarget{name: n}
		var err error
		if tg.priority, err = strconv.Atoi(set["bootchooser."+n+".default_priority"]); err != nil {
			return nil, fmt.Errorf("bootchooser: %s: default_priority: %w", n, err)
		}
		if tg.defaultAttempts, err = strconv.Atoi(set["bootchooser."+n+".default_attempts"]); err != nil {
			return nil, fmt.Errorf("bootchooser: %s: default_attempts: %w", n, err)
		}
		tg.attempts = tg.defaultAttempts
		entry, ok := entries[set["bootchooser."+n+".boot"]]
		if !ok {
			return nil, fmt.Errorf("bootchooser: %s: no entry %q", n, set["bootchooser."+n+".boot"])
		}
		for line := range strings.Lines(entry) {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "options" {
				tg.options = strings.Join(f[1:], " ")
			}
		}
		if tg.options == "" {
			return nil, fmt.Errorf("bootchooser: %s: entry without options", n)
		}
		b.targets = append(b.targets, tg)
	}
	return b, nil
}

// next picks the target to boot and takes one of its attempts.
func (b *bootchooser) next() (*bcTarget, error) {
	var best *bcTarget
	for _, tg := range b.targets {
		if tg.priority > 0 && tg.attempts > 0 && (best == nil || tg.priority > best.priority) {
			best = tg
		}
	}
	if best == nil {
		return nil, fmt.Errorf("bootchooser: no bootable target (%s)", b)
	}
	best.attempts--
	return best, nil
}

func (b *bootchooser) target(name string) (*bcTarget, error) {
	for _, tg := range b.targets {
		if tg.name == name {
			return tg, nil
		}
	}
	return nil, fmt.Errorf("bootchooser: no target %q", name)
}

// markGood restores the attempts of the target that booted healthy.
func (b *bootchooser) markGood(name string) error {
	tg, err := b.target(name)
	if err == nil {
		tg.attempts = tg.defaultAttempts
	}
	return err
}

// markActive makes name the primary target with all its attempts, as an
// update that installed into it does.
func (b *bootchooser) markActive(name string) error {
	tg, err := b.target(name)
	if err != nil {
		return err
	}
	for _, o := range b.targets {
		if o != tg && o.priority >= tg.priority {
			tg.priority = o.priority + 1
		}
	}
	tg.attempts = tg.defaultAttempts
	return nil
}

func (b *bootchooser) String() string {
	var s []string
	for _, tg := range b.targets {
		s = append(s, fmt.Sprintf("%s priority %d attempts %d", tg.name, tg.priority, tg.attempts))
	}
	return strings.Join(s, ", ")
}

// Verdicts of a boot, read from its console alone.
const (
	verdictRestart = "kernel restart on verity corruption"
	verdictRefused = "refused by the init"
	verdictNone    = "no verdict"
)

var markGoodLine = regexp.MustCompile(`(?m)` + regexp.QuoteMeta(vmtest.MarkerGood) + `(\S+)$`)

// verdict says how a boot ended, and which slot marked itself good.
func verdict(console string) (v, good string) {
	if m := markGoodLine.FindStringSubmatch(console); m != nil {
		return "marked good as " + m[1], m[1]
	}
	switch {
	case strings.Contains(console, "reboot: Restarting system with command 'dm-verity device corrupted'"):
		return verdictRestart, ""
	case regexp.MustCompile(`(?m)verinit: \[failure \+\d+ms\]`).MatchString(console):
		return verdictRefused, ""
	}
	return verdictNone, ""
}

// keyLines are the console lines that tell what happened, for the log.
func keyLines(console string) string {
	var out []string
	for line := range strings.Lines(console) {
		for _, s := range []string{"verinit: [", "device-mapper: verity", "reboot:", vmtest.MarkerInit, vmtest.MarkerRead, vmtest.MarkerGood} {
			if strings.Contains(line, s) {
				out = append(out, "    "+strings.TrimSpace(line))
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestABFallback plays bootchooser over the blob disk: slot A's root has a
// corrupted data block that its health check reads, so each boot of A ends
// in a kernel restart before A marks itself good; once A's attempts are
// used up, B boots and marks itself good; then an update installs a good
// root into A and makes it primary, and A boots and marks itself good.
// Every verdict comes from the console.
func TestABFallback(t *testing.T) {
	t.Parallel()
	c := shared.corrupt(t)
	entries := map[string]string{}
	for _, e := range c.disk.Barebox.Entries {
		entries[e.Path] = e.Content
	}
	bc, err := parseBootchooser(entries, c.disk.Barebox.Bootchooser)
	if err != nil {
		t.Fatal(err)
	}
	// disk create makes the first slot the preferred one.
	if len(bc.targets) != 2 || bc.targets[0].name != "A" || bc.targets[0].priority <= bc.targets[1].priority {
		t.Fatalf("bootchooser settings from disk create: %s", bc)
	}
	// Two attempts, as nv bootchooser.X.default_attempts=2 would set: four
	// boots in all.
	for _, tg := range bc.targets {
		tg.defaultAttempts, tg.attempts = 2, 2
	}
	rootHash := map[string]string{}
	for _, s := range c.disk.Slots {
		rootHash[s.Bootname] = s.RootHash
	}
	type step struct{ slot, verdict string }
	var got []step
	disk := "blob-a-flip"
	boot := func() {
		tg, err := bc.next()
		if err != nil {
			t.Fatalf("boot %d: %v", len(got)+1, err)
		}
		// barebox's bootchooser appends bootchooser.active=; the health
		// check reads the blob.
		r := shared.boot(t, []string{disk}, tg.options+" bootchooser.active="+tg.name+
			" verinit.verity=required verinit.failure_delay=0 verinit_test.read="+blobPath)
		v, good := verdict(r.Console)
		if good != "" {
			if err := bc.markGood(good); err != nil {
				t.Errorf("boot %d: %v", len(got)+1, err)
			}
			vmtest.WantLine(t, r.Console, regexp.QuoteMeta(vmtest.MarkerRead)+" ok sha256="+c.sumGood+"$")
		}
		if r.Status != nil {
			if h := vmtest.Field(r.Status, "verity", "root_hash"); h != rootHash[tg.name] {
				t.Errorf("boot %d of %s: root hash %v, want %s", len(got)+1, tg.name, h, rootHash[tg.name])
			}
		}
		got = append(got, step{tg.name, v})
		t.Logf("boot %d: slot %s from %s: %s; then %s\n%s", len(got), tg.name, disk, v, bc, keyLines(r.Console))
	}
	for range 3 {
		boot()
	}
	disk = "blob"
	if err := bc.markActive("A"); err != nil {
		t.Fatal(err)
	}
	boot()
	want := []step{{"A", verdictRestart}, {"A", verdictRestart}, {"B", "marked good as B"}, {"A", "marked good as A"}}
	if !slices.Equal(got, want) {
		t.Errorf("boots:\n got %v\nwant %v", got, want)
	}
	for _, tg := range bc.targets {
		if tg.attempts != 2 {
			t.Errorf("bootchooser state at the end: %s; want both marked good", bc)
			break
		}
	}
}
