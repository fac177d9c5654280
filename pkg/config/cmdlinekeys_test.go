package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
)

// TestCmdlineKeys runs command lines under a packed cmdline-keys=: each
// word the init does not decide itself is refused unless listed, naming
// the word and the policy; the init's own keys keep their own rules.
func TestCmdlineKeys(t *testing.T) {
	base := "root=PARTUUID=6b1d3c1e-a000-4000-8000-00000000000a roothash=" + hash64 + " verinit.failure_delay=0 dm_verity.prefetch_cluster=1 modprobe.blacklist=floppy"
	policy := []byte("signature=required\ncmdline-keys=console=ttyS0,115200 quiet panic loglevel=3 systemd.log_level init=/sbin/init\n")
	tests := []struct {
		name    string
		extra   string
		refused []string // the refused words, in order; none: allowed
	}{
		{"only listed words", " console=ttyS0,115200 quiet panic=-1 loglevel=3", nil},
		{"a key alone allows any value or none", " panic panic=5 quiet=1", nil},
		{"the listed init", " init=/sbin/init", nil},
		{"dashes and underscores are one", " systemd.log-level=debug", nil},
		{"a key is not a prefix", " loglevel3 systemd.log_level_x=1", []string{"loglevel3", "systemd.log_level_x=1"}},
		{"another value of a pinned word", " console=tty0 loglevel=7", []string{"console=tty0", "loglevel=7"}},
		{"an init not listed", " init=/bin/sh", []string{"init=/bin/sh"}},
		{"systemd's debug shell", " systemd.debug_shell", []string{"systemd.debug_shell"}},
		{"systemd's extra mounts", " systemd.mount-extra=/dev/vdb:/etc:ext4", []string{"systemd.mount-extra=/dev/vdb:/etc:ext4"}},
		{"an environment variable", " SYSTEMD_SULOGIN_FORCE=1", []string{"SYSTEMD_SULOGIN_FORCE=1"}},
		{"an empty value", " systemd.unit=", []string{"systemd.unit="}},
		{"a quoted word", ` "systemd.unit=emergency.target"`, []string{"systemd.unit=emergency.target"}},
		{"a word of quotes", ` ""`, []string{`""`}},
		{"the real init's arguments", " -- emergency quiet", []string{"-- emergency"}},
		{"after a second --", " -- quiet -- single", []string{"-- -- single"}},
		{"another module's parameter", " virtio_blk.queue_depth=4", []string{"virtio_blk.queue_depth=4"}},
	}
	// A single quote: one word to the kernel, three to systemd.
	quoted := []struct{ name, extra string }{
		{"a single quote in a listed key's value", ` panic='"' systemd.debug_shell '"'`},
		{"a single quote in the init's own key", ` rauc.slot='"' systemd.debug_shell '"'`},
	}
	for _, q := range quoted {
		tests = append(tests, struct {
			name    string
			extra   string
			refused []string
		}{q.name, q.extra, []string{"a single quote (')"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(cmdline.Parse(base+tc.extra), Packed{Policy: policy})
			var got []string
			for _, e := range flatten(err) {
				var re *RefusedError
				if !errors.As(e, &re) {
					t.Fatalf("error %q is not a refusal", e)
				}
				if re.Reason != cmdlineKeysReason && !strings.HasPrefix(re.Key, "a single quote") {
					t.Errorf("%s: reason %q", re.Key, re.Reason)
				}
				if !strings.Contains(e.Error(), `refused by the policy (packed) verity=required signature=required cmdline-keys="console=ttyS0,115200 quiet panic loglevel=3 systemd.log_level init=/sbin/init": `) {
					t.Errorf("error does not name the policy: %v", e)
				}
				got = append(got, re.Key)
			}
			if !slices.Equal(got, tc.refused) {
				t.Errorf("refused %q, want %q", got, tc.refused)
			}
			if slices.Equal(cfg.Inits, []string{"/bin/sh"}) {
				t.Errorf("a refused init= took effect: %q", cfg.Inits)
			}
		})
	}

	t.Run("the init's own keys keep their rules", func(t *testing.T) {
		_, err := Parse(cmdline.Parse(base+" verinit.verity_on_corruption=ignore"), Packed{Policy: policy})
		if err == nil || !strings.Contains(err.Error(), "verinit.verity_on_corruption=ignore: refused by the policy (packed) ") || strings.Contains(err.Error(), cmdlineKeysReason) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("without verity=required", func(t *testing.T) {
		_, err := Parse(cmdline.Parse("root=/dev/vda init=/bin/sh"), Packed{Policy: []byte("cmdline-keys=\n")})
		if err == nil || !strings.Contains(err.Error(), "init=/bin/sh: refused by the policy (packed) verity=optional signature=optional cmdline-keys=\"\": ") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("unlisted, every word passes", func(t *testing.T) {
		if _, err := Parse(cmdline.Parse(base+" init=/bin/sh systemd.debug_shell -- emergency"), Packed{Policy: []byte("signature=required\n")}); err != nil {
			t.Errorf("error = %v", err)
		}
	})
}

// flatten returns the errors errors.Join joined.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

func TestParseCmdlineKeys(t *testing.T) {
	for _, tc := range []struct{ value, want, err string }{
		{"", "", ""},
		{"  console=ttyS0,115200\tquiet  ", "console=ttyS0,115200 quiet", ""},
		{"init", "init", ""},
		{"a=", "a=", ""},
		{`"quiet"`, "", `"\"quiet\"": want KEY or KEY=VALUE, without quotes`},
		{"=x", "", `"=x": want KEY or KEY=VALUE, without quotes`},
		{"--", "", `"--": the words after -- are listed as any other`},
		{"roothash", "", "roothash: the init reads this key itself and decides it by its own rule (docs/security.md)"},
		{"verinit.on-failure=shell", "", "verinit.on-failure: the init reads this key itself"},
		{"dm-verity.prefetch_cluster=1", "", "dm-verity.prefetch_cluster: the init reads this key itself"},
		{strings.Repeat("k ", maxCmdlineKeys+1), "", "257 words, more than 256"},
	} {
		k, err := parseCmdlineKeys(tc.value)
		switch {
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("parseCmdlineKeys(%q) error = %v, want %q", tc.value, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("parseCmdlineKeys(%q) error = %v", tc.value, err)
		case tc.err == "" && k.String() != tc.want:
			t.Errorf("parseCmdlineKeys(%q) = %q, want %q", tc.value, k, tc.want)
		}
	}
	// Format and ParsePolicy agree.
	p, err := ParsePolicy([]byte("verity=required\ncmdline-keys=console=ttyS0,115200 quiet\n"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParsePolicy(p.Format())
	if err != nil || q.String() != p.String() || !q.CmdlineKeys.Listed {
		t.Errorf("Format round trip: %q (%v), want %q", q, err, p)
	}
}
