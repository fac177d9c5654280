package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/halt"
)

// TestVerityOptionRules: every option the parser knows has exactly one
// rule, and every rule names an option the parser knows.
func TestVerityOptionRules(t *testing.T) {
	var parsed, ruled []string
	for _, p := range verityOptionParsers() {
		parsed = append(parsed, p.name)
	}
	for _, k := range RuleKeys() {
		if name, ok := strings.CutPrefix(k, VerityOptionsKey+"="); ok {
			ruled = append(ruled, name)
		}
	}
	slices.Sort(parsed)
	slices.Sort(ruled)
	if !slices.Equal(parsed, ruled) {
		t.Errorf("options parsed %q\nrules for      %q", parsed, ruled)
	}
}

// TestPolicyRefuses runs each lax input under each policy: refused (the
// error names the key, its value and the policy) when verity is
// required, allowed otherwise.
func TestPolicyRefuses(t *testing.T) {
	other := strings.Repeat("ab", 32)
	base := "root=PARTUUID=6b1d3c1e-a000-4000-8000-00000000000a roothash=" + hash64
	env := []byte("ROOT_HASH=" + hash64 + "\nSEPARATE_HASH=1\nROOT_UUID=6b1d3c1e-a000-4000-8000-00000000000a\nRHASH_UUID=6b1d3c1e-a000-4000-8000-00000000000b\n")
	required := []byte("verity=required\n")
	signed := []byte("signature=required\n")
	tests := []struct {
		name   string
		line   string
		packed Packed
		// refused is the start of the error when verity is required;
		// "" when the line is allowed under every policy.
		refused string
	}{
		{"ignore on corruption", base + " verinit.verity_on_corruption=ignore", Packed{},
			"verinit.verity_on_corruption=ignore: refused by the policy"},
		{"systemd ignore-corruption", base + " systemd.verity_root_options=ignore-corruption", Packed{},
			"systemd.verity_root_options=ignore-corruption: refused by the policy"},
		{"check-at-most-once", base + " systemd.verity_root_options=salt=-,check-at-most-once", Packed{},
			"systemd.verity_root_options=check-at-most-once: refused by the policy"},
		{"sha1 tree", base + " systemd.verity_root_options=hash=sha1", Packed{},
			"systemd.verity_root_options=hash=sha1: refused by the policy"},
		{"shell", base + " verinit.on_failure=shell", Packed{},
			"verinit.on_failure=shell: refused by the policy"},
		{"systemd.verity=no", base + " systemd.verity=no", Packed{},
			"systemd.verity=no: refused by the policy"},
		{"tmpfs root", base + " rootfstype=tmpfs", Packed{}, "rootfstype=tmpfs: refused by the policy"},
		{"overlay of the initramfs", base + " rootfstype=overlay rootflags=lowerdir=/", Packed{}, "rootfstype=overlay: refused by the policy"},
		{"erofs extra device", base + " rootflags=ro,device=/dev/vdb", Packed{}, `rootflags=ro,device=/dev/vdb: refused by the policy`},
		{"dm_verity parameter", base + " dm_verity.unknown_knob=1", Packed{}, "dm_verity.unknown_knob=1: refused by the policy"},
		{"allowed ones", base + " verinit.verity_on_corruption=panic systemd.verity_root_options=restart-on-error,ignore-zero-blocks rootfstype=erofs rootflags=noatime,acl verinit.on_failure=poweroff dm_verity.prefetch_cluster=0 init=/bin/sh rw verinit.timeout=3 verinit.debug rauc.slot=A", Packed{}, ""},
	}
	policies := []struct {
		name    string
		packed  []byte
		line    string
		enforce bool
	}{
		{"none", nil, "", false},
		{"verity=required packed", required, "", true},
		{"signature=required packed", signed, "", true},
		{"verity=required on the command line", nil, " verinit.verity=required", true},
		{"shell=allowed sha1=allowed", []byte("verity=required\nshell=allowed\nsha1=allowed\n"), "", true},
	}
	for _, tc := range tests {
		for _, p := range policies {
			t.Run(tc.name+"/"+p.name, func(t *testing.T) {
				packed := tc.packed
				packed.Policy = p.packed
				c, err := Parse(cmdline.Parse(tc.line+p.line), packed)
				want := tc.refused
				if !p.enforce || strings.Contains(p.name, "allowed") && (strings.HasPrefix(want, "verinit.on_failure=shell") || strings.Contains(want, "hash=sha1")) {
					want = ""
				}
				if want == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				var re *RefusedError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), want) {
					t.Fatalf("error = %v, want %q...", err, want)
				}
				if !strings.Contains(err.Error(), "verity=required") {
					t.Errorf("error does not name the policy: %v", err)
				}
				if c.OnFailure == halt.Shell {
					t.Errorf("a refused shell is still the failure action")
				}
				if v := c.Verity; v != nil && (v.Options.Mode == ModeIgnore || v.Options.CheckAtMostOnce) {
					t.Errorf("refused option took effect: %+v", v.Options)
				}
			})
		}
	}

	t.Run("a packed dm-verity.env pins its root hash", func(t *testing.T) {
		_, err := Parse(cmdline.Parse("roothash="+other+" systemd.verity_root_data=/dev/vda1 systemd.verity_root_hash=/dev/vda2"), Packed{VerityEnv: env})
		if err == nil || !strings.Contains(err.Error(), "roothash="+other+": refused by the policy verity=required signature=optional roothash="+hash64+": the initramfs pins the root hash to "+hash64) {
			t.Errorf("error = %v", err)
		}
		if _, err := Parse(cmdline.Parse("roothash="+hash64+" systemd.verity_root_data=/dev/vda1 systemd.verity_root_hash=/dev/vda2"), Packed{VerityEnv: env}); err != nil {
			t.Errorf("the pinned hash itself: %v", err)
		}
		if _, err := Parse(cmdline.Parse("systemd.verity=no"), Packed{VerityEnv: env}); err == nil || !strings.Contains(err.Error(), "systemd.verity=no: refused") {
			t.Errorf("systemd.verity=no with dm-verity.env: %v", err)
		}
	})
	t.Run("pinned by the policy", func(t *testing.T) {
		pol := []byte("roothash=" + hash64 + "\n")
		if _, err := Parse(cmdline.Parse("roothash="+other), Packed{Policy: pol}); err == nil || !strings.Contains(err.Error(), "roothash="+other+": refused by the policy (packed)") {
			t.Errorf("error = %v", err)
		}
		if c, err := Parse(cmdline.Parse("roothash="+strings.ToUpper(hash64)), Packed{Policy: pol}); err != nil || c.Verity == nil {
			t.Errorf("pinned hash in upper case: %v", err)
		}
		if _, err := Parse(cmdline.Parse("root=/dev/vda2"), Packed{Policy: pol}); err == nil || !strings.Contains(err.Error(), "verity is required") {
			t.Errorf("unverified root under a pin: %v", err)
		}
	})
	t.Run("min-version requires a signature", func(t *testing.T) {
		c, _ := Parse(cmdline.Parse(base), Packed{Policy: []byte("min-version=3\n")})
		if c.Policy.Signature != Required || c.Policy.Verity != Required || c.Policy.MinVersion != 3 {
			t.Errorf("policy %v", c.Policy)
		}
	})
	t.Run("an unreadable policy is the strictest", func(t *testing.T) {
		c, err := Parse(cmdline.Parse(base+" verinit.on_failure=shell"), Packed{Policy: []byte("verity=perhaps\n")})
		if err == nil || c.OnFailure == halt.Shell || !c.Policy.Enforced() {
			t.Errorf("config %+v, %v", c, err)
		}
	})
	t.Run("a key without a rule is refused", func(t *testing.T) {
		p := Policy{Verity: Required}
		if err := p.check("verinit.new_knob", "1"); err == nil || !strings.Contains(err.Error(), "no policy decision") {
			t.Errorf("error = %v", err)
		}
		if err := (Policy{}).check("verinit.new_knob", "1"); err != nil {
			t.Errorf("without a required policy: %v", err)
		}
	})
}

// TestRootHashSig: verinit.roothash_sig= takes the root hash from the
// disk, so it is accepted only with a required signature.
func TestRootHashSig(t *testing.T) {
	devs := " systemd.verity_root_data=PARTLABEL=root-a systemd.verity_root_hash=PARTLABEL=root-a-verity"
	signed := Packed{Policy: []byte("signature=required\n")}
	for _, tc := range []struct {
		name, line string
		packed     Packed
		wantErr    string
	}{
		{"signature required", "verinit.roothash_sig=PARTLABEL=root-a-verity-sig" + devs, signed, ""},
		{"required on the command line", "verinit.roothash_sig=PARTLABEL=root-a-verity-sig verinit.signature=required" + devs, Packed{}, ""},
		{"no required signature", "verinit.roothash_sig=PARTLABEL=root-a-verity-sig" + devs, Packed{Policy: []byte("verity=required\n")},
			"verinit.roothash_sig= takes the root hash from the disk: it needs a required signature"},
		{"and roothash=", "verinit.roothash_sig=PARTLABEL=s roothash=" + hash64 + devs, signed, "verinit.roothash_sig= and roothash= both give the root hash"},
		{"no devices", "verinit.roothash_sig=PARTLABEL=s", signed, "verinit.roothash_sig= needs systemd.verity_root_data= and systemd.verity_root_hash="},
		{"another signature", "verinit.roothash_sig=PARTLABEL=s verinit.roothashsig=/sig" + devs, signed, "verinit.roothash_sig= names the signature too"},
		{"root= other than the verity device", "verinit.roothash_sig=PARTLABEL=s root=/dev/vda1" + devs, signed, "root=/dev/vda1: with systemd.verity_root_data= the root is the verity device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(cmdline.Parse(tc.line), tc.packed)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := c.Verity
			if v == nil || v.Source != FromSignature || v.RootHash != "" || v.RootHashFrom.Raw != "PARTLABEL=root-a-verity-sig" ||
				v.Data.Raw != "PARTLABEL=root-a" || v.Hash.Raw != "PARTLABEL=root-a-verity" {
				t.Errorf("verity %+v", v)
			}
		})
	}
}
