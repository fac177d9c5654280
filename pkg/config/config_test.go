package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/halt"
	"github.com/verinit/verinit/pkg/rootdev"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", line: "root=/dev/vda2 console=ttyS0", check: func(t *testing.T, c Config) {
			if c.Root.Kind != rootdev.ByPath || c.Root.Value != "vda2" || !c.ReadOnly ||
				c.Timeout != DefaultTimeout || c.OnFailure != halt.Reboot || c.FailureDelay != DefaultFailureDelay ||
				!reflect.DeepEqual(c.Inits, []string{"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"}) || c.Debug {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "everything", line: `root=PARTLABEL=root-a rw rootfstype=ext4 rootflags=noatime,data=ordered init=/bin/myinit verinit.timeout=7 verinit.on_failure=poweroff verinit.failure_delay=0 verinit.debug`,
			check: func(t *testing.T, c Config) {
				if c.Root.Kind != rootdev.ByPartLabel || c.ReadOnly || c.FSType != "ext4" || c.RootFlags != "noatime,data=ordered" ||
					!reflect.DeepEqual(c.Inits, []string{"/bin/myinit"}) || c.Timeout != 7*time.Second ||
					c.OnFailure != halt.PowerOff || c.FailureDelay != 0 || !c.Debug {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "rd.lvm.lv alone names the root", line: "rd.lvm.lv=vg0/root-a", check: func(t *testing.T, c Config) {
			if c.Root.Kind != rootdev.ByLV || c.Root.VG != "vg0" || c.Root.LV != "root-a" || c.AutoRoot {
				t.Errorf("root = %+v", c.Root)
			}
		}},
		{name: "rd.lvm.lv restricts", line: "root=/dev/vg0/root-b rd.lvm.lv=vg0/root-a", wantErr: "/dev/vg0/root-b: not among the logical volumes rd.lvm.lv= allows (vg0/root-a)"},
		{name: "slot keys", line: "root=/dev/vda verinit.slot=golden rauc.slot=B bootchooser.active=system1", check: func(t *testing.T, c Config) {
			want := []SlotKey{{"rauc.slot", "B"}, {"bootchooser.active", "system1"}, {"verinit.slot", "golden"}}
			if !reflect.DeepEqual(c.Slot, want) {
				t.Errorf("slot = %v, want %v", c.Slot, want)
			}
		}},
		{name: "last of ro and rw wins", line: "root=/dev/vda rw ro", check: func(t *testing.T, c Config) {
			if !c.ReadOnly {
				t.Error("rw then ro: not read-only")
			}
		}},
		{name: "rootwait with seconds", line: "root=/dev/vda rootwait=12", check: func(t *testing.T, c Config) {
			if c.Timeout != 12*time.Second {
				t.Errorf("timeout %v", c.Timeout)
			}
		}},
		{name: "bare rootwait keeps the bound", line: "root=/dev/vda rootwait", check: func(t *testing.T, c Config) {
			if c.Timeout != DefaultTimeout {
				t.Errorf("timeout %v", c.Timeout)
			}
		}},
		{name: "verinit.timeout beats rootdelay", line: "root=/dev/vda rootdelay=50 verinit.timeout=3", check: func(t *testing.T, c Config) {
			if c.Timeout != 3*time.Second {
				t.Errorf("timeout %v", c.Timeout)
			}
		}},
		{name: "no root: auto-discovery", line: "console=ttyS0", check: func(t *testing.T, c Config) {
			if !c.AutoRoot || c.Verity != nil {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "bad policy keeps default", line: "root=/dev/vda verinit.on_failure=explode", wantErr: "verinit.on_failure=explode: want reboot, poweroff, panic or shell",
			check: func(t *testing.T, c Config) {
				if c.OnFailure != halt.Reboot {
					t.Errorf("policy %q", c.OnFailure)
				}
			}},
		{name: "bad timeout", line: "root=/dev/vda verinit.timeout=soon", wantErr: "verinit.timeout=soon: want whole seconds from 0 to 86400"},
		{name: "relative init", line: "root=/dev/vda init=sbin/init", wantErr: "init=sbin/init: not an absolute path"},
		{name: "bad root", line: "root=PARTUUID=nope", wantErr: `root=PARTUUID=nope: bad PARTUUID "nope": `},
		{name: "verinit.root alone names the root", line: "verinit.root=PARTUUID=6B1D3C1E-A000-4000-8000-00000000000A/PARTNROFF=1 rootwait=5", check: func(t *testing.T, c Config) {
			if c.Root.Kind != rootdev.ByPartUUID || c.Root.Value != "6b1d3c1e-a000-4000-8000-00000000000a" || c.Root.PartNrOff != 1 || c.AutoRoot || c.Timeout != 5*time.Second {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "verinit.root and root= agreeing", line: "root=/dev/vda2 verinit.root=/dev/vda2", check: func(t *testing.T, c Config) {
			if c.Root.Kind != rootdev.ByPath || c.Root.Value != "vda2" {
				t.Errorf("root = %+v", c.Root)
			}
		}},
		{name: "verinit.root and root= disagreeing", line: "root=/dev/vda2 verinit.root=/dev/vda3",
			wantErr: "verinit.root=/dev/vda3 and root=/dev/vda2 name different roots: give one"},
		{name: "empty verinit.root", line: "verinit.root= root=/dev/vda2", wantErr: "verinit.root: empty; want a device in any form root= takes"},
		{name: "bad verinit.root", line: "verinit.root=PARTUUID=nope", wantErr: `verinit.root: root=PARTUUID=nope: bad PARTUUID "nope": `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(cmdline.Parse(tc.line), Packed{})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tc.wantErr != "" && (err == nil || len(err.Error()) < len(tc.wantErr) || err.Error()[:len(tc.wantErr)] != tc.wantErr):
				t.Fatalf("error = %v, want prefix %q", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, line string) {
		c, err := Parse(cmdline.Parse(line), Packed{})
		// Parse joins one error per bad key; each is one line.
		for _, e := range flatten(err) {
			checkOneLine(t, e)
		}
		// Whatever the input, the failure policy must be usable.
		if _, perr := halt.ParseAction(string(c.OnFailure)); perr != nil {
			t.Fatalf("unusable policy %q (err %v)", c.OnFailure, err)
		}
		if c.Timeout < 0 || c.FailureDelay < 0 {
			t.Fatalf("negative duration: %+v", c)
		}
		if err == nil && ((c.Root.Kind == 0 && !c.AutoRoot && c.Verity == nil) || len(c.Inits) == 0) {
			t.Fatalf("no error but no root or init: %+v", c)
		}
		// Under an empty cmdline-keys=, a line that passes holds only
		// the init's own keys, as the kernel splits it and as systemd
		// does: nothing for the real init alone.
		words := cmdline.Parse(line)
		if _, err := Parse(words, Packed{Policy: []byte("cmdline-keys=\n")}); err == nil {
			if len(words.InitArgs) > 0 || len(words.Ignored) > 0 {
				t.Fatalf("passed with words for the real init: %q %+v", words.InitArgs, words.Ignored)
			}
			own := func(key string) bool {
				mod, _, _ := strings.Cut(key, ".")
				return !cmdline.KeyEqual(key, "init") && (cmdline.KeyEqual(mod, "dm_verity") || cmdline.KeyEqual(key, "modprobe.blacklist") ||
					slices.ContainsFunc(RuleKeys(), func(k string) bool { return cmdline.KeyEqual(k, key) }))
			}
			for _, w := range words.Params {
				if !own(w.Key) {
					t.Fatalf("passed with %+v, not the init's own key", w)
				}
			}
			for _, w := range systemdWords(line) {
				// The kernel also splits at \v, \f and 0xA0: a key that
				// holds one is no key systemd knows.
				key, _, _ := strings.Cut(w, "=")
				kernelSplit := strings.IndexByte(key, '\v') >= 0 || strings.IndexByte(key, '\f') >= 0 || strings.IndexByte(key, 0xa0) >= 0
				if !own(key) && w != "--" && !kernelSplit {
					t.Fatalf("passed, but systemd reads the word %q", w)
				}
			}
		}
	})
}

// systemdWords splits a command line as systemd reads /proc/cmdline
// (proc_cmdline_parse: extract_first_word with EXTRACT_UNQUOTE,
// EXTRACT_RELAX and EXTRACT_RETAIN_ESCAPE): white space (" \t\n\r")
// outside quotes separates words, single and double quotes group and
// are removed, a quote left open runs to the end, backslashes are plain.
func systemdWords(s string) []string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // the kernel's command line is a C string
	}
	var words []string
	var word strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			word.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case strings.IndexByte(" \t\n\r", c) >= 0:
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}
