package contrib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/status"
)

// statusJSON is the record the init writes, for a verified root or not,
// with the given slot keys; the cmdline carries text that looks like the
// fields, as an attacker-chosen command line could.
func statusJSON(verified bool, slots ...status.Slot) []byte {
	s := status.Status{
		Version: "test",
		Cmdline: `console=ttyS0 x="verity":{"root_hash":"00"} "slot":{"rauc.slot":"Z"}`,
		Root:    status.Root{Spec: "PARTUUID=x", Key: "PARTUUID", Device: "/dev/vda1", ReadOnly: true},
		Slot:    slots,
		Policy:  status.Policy{Verity: "required", Signature: "optional"},
		Init:    "/sbin/init",
	}
	if verified {
		s.Verity = &status.Verity{Source: "systemd", Device: "/dev/mapper/root", DataDevice: "/dev/vda1", HashDevice: "/dev/vda2",
			RootHash: strings.Repeat("ab", 32), Algorithm: "sha256", Options: []string{"restart_on_corruption"}, Table: "0 8 verity 1"}
		s.Signature = &status.Signature{From: "cmdline", Subject: "CN=release", Issuer: "CN=release"}
	}
	return s.JSON()
}

// TestMarkGood runs contrib/rauc/verinit-mark-good on records the init
// writes, with a stub rauc that logs its arguments: only a verified root
// with a named slot is marked good.
func TestMarkGood(t *testing.T) {
	sh := needTool(t, "sh")
	tests := []struct {
		name    string
		status  []byte // nil: no status.json
		marked  bool
		message string
	}{
		{"verified, rauc.slot", statusJSON(true, status.Slot{Key: "rauc.slot", Value: "B"}), true,
			"verinit-mark-good: slot B, dm-verity root hash " + strings.Repeat("ab", 32) + ": marking it good"},
		{"verified, bootchooser.active", statusJSON(true, status.Slot{Key: "bootchooser.active", Value: "system1"}), true,
			"verinit-mark-good: slot system1, dm-verity root hash"},
		{"verified, no slot", statusJSON(true), false,
			"verinit-mark-good: the boot loader named no slot (rauc.slot= or bootchooser.active=); not marking the slot good"},
		{"not verified", statusJSON(false, status.Slot{Key: "rauc.slot", Value: "A"}), false,
			"verinit-mark-good: the root is not behind dm-verity; not marking the slot good"},
		{"not booted by verinit", nil, false, "this root was not booted by verinit; not marking the slot good"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "status.json")
			if tc.status != nil {
				if err := os.WriteFile(path, tc.status, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			log := filepath.Join(dir, "rauc.log")
			stub := filepath.Join(dir, "rauc")
			if err := os.WriteFile(stub, []byte("#!/bin/sh\necho \"$@\" >> "+log+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := runErr([]string{"VERINIT_STATUS=" + path, "RAUC=" + stub}, sh, "rauc/verinit-mark-good")
			calls, _ := os.ReadFile(log)
			if tc.marked {
				if err != nil || string(calls) != "status mark-good booted\n" {
					t.Errorf("err %v, rauc called with %q; output:\n%s", err, calls, out)
				}
			} else if err == nil || len(calls) != 0 {
				t.Errorf("marked good (err %v, rauc called with %q); output:\n%s", err, calls, out)
			}
			if !strings.Contains(out, tc.message) {
				t.Errorf("output %q, want %q", out, tc.message)
			}
		})
	}
}

// TestLoginMessage runs the Buildroot overlay's profile snippet on a
// record: it shows the slot, the root hash and the signer.
func TestLoginMessage(t *testing.T) {
	sh := needTool(t, "sh")
	dir := t.TempDir()
	path := filepath.Join(dir, "status.json")
	if err := os.WriteFile(path, statusJSON(true, status.Slot{Key: "rauc.slot", Value: "A"}), 0o644); err != nil {
		t.Fatal(err)
	}
	// The snippet reads the fixed path; point it at the test's record.
	snippet := strings.ReplaceAll(readFile(t, filepath.Join(brExt, "board", "common", "rootfs-overlay", "etc", "profile.d", "verinit.sh")),
		status.File, path)
	out, err := runErr(nil, sh, "-c", snippet)
	want := "verinit: slot A, dm-verity root hash " + strings.Repeat("ab", 32) + ", signed by CN=release\n"
	if err != nil || out != want {
		t.Errorf("got %q (err %v), want %q", out, err, want)
	}
}

// TestSystemdBootBackend walks RAUC's custom backend for systemd-boot
// through an update and a fallback, on the entries disk create writes
// (Type #1) and on unified kernel images (Type #2) named alike, with
// systemd-boot's and systemd-bless-boot's renames done by hand.
func TestSystemdBootBackend(t *testing.T) {
	for _, kind := range []struct{ dir, ext string }{{"loader/entries", ".conf"}, {"EFI/Linux", ".efi"}} {
		t.Run(kind.ext, func(t *testing.T) { testSystemdBootBackend(t, kind.dir, kind.ext) })
	}
}

func testSystemdBootBackend(t *testing.T, sub, ext string) {
	esp := t.TempDir()
	dir := filepath.Join(esp, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(esp, "loader"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"verinit-2-a.conf", "verinit-1-b.conf", "other.conf"} {
		if err := os.WriteFile(filepath.Join(dir, strings.Replace(name, ".conf", ext, 1)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"VERINIT_ESP=" + esp, "VERINIT_TRIES=2"}
	backend := func(args ...string) string {
		return strings.TrimSpace(run(t, env, "./rauc/verinit-systemd-boot", args...))
	}
	entries := func() string {
		names, err := filepath.Glob(filepath.Join(dir, "verinit-*"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range names {
			names[i] = filepath.Base(names[i])
		}
		return strings.Join(names, " ")
	}
	boot := func(from, to string) { // what systemd-boot or systemd-bless-boot does
		from, to = strings.Replace(from, ".conf", ext, 1), strings.Replace(to, ".conf", ext, 1)
		if err := os.Rename(filepath.Join(dir, from), filepath.Join(dir, to)); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		do      func()
		args    []string
		out     string
		entries string
	}{
		{nil, []string{"get-primary"}, "A", "verinit-1-b.conf verinit-2-a.conf"},
		{nil, []string{"get-state", "B"}, "good", "verinit-1-b.conf verinit-2-a.conf"},
		// RAUC installed into B.
		{nil, []string{"set-primary", "B"}, "", "verinit-2-a.conf verinit-3-b+2.conf"},
		{nil, []string{"get-primary"}, "B", ""},
		{func() { boot("verinit-3-b+2.conf", "verinit-3-b+1-1.conf") }, []string{"get-state", "B"}, "good", ""},
		{nil, []string{"set-state", "B", "good"}, "", "verinit-2-a.conf verinit-3-b.conf"},
		// Then into A, which fails twice.
		{nil, []string{"set-primary", "a"}, "", "verinit-3-b.conf verinit-4-a+2.conf"},
		{func() { boot("verinit-4-a+2.conf", "verinit-4-a+0-2.conf") }, []string{"get-primary"}, "B", ""},
		{nil, []string{"get-state", "A"}, "bad", ""},
		{nil, []string{"set-state", "B", "bad"}, "", "verinit-3-b+0.conf verinit-4-a+0-2.conf"},
	} {
		if step.do != nil {
			step.do()
		}
		if got := backend(step.args...); got != step.out {
			t.Errorf("%s: %q, want %q", strings.Join(step.args, " "), got, step.out)
		}
		if want := strings.ReplaceAll(step.entries, ".conf", ext); step.entries != "" && entries() != want {
			t.Errorf("after %s: entries %s, want %s", strings.Join(step.args, " "), entries(), want)
		}
	}
	for _, c := range []struct{ args, err string }{
		{"get-primary", "no entry with tries left"},
		{"get-state C", "no entry for slot C"},
		{"set-state A maybe", "want good or bad"},
		{"set-primary AB", `slot "AB": want a letter`},
	} {
		out, err := runErr(env, "./rauc/verinit-systemd-boot", strings.Fields(c.args)...)
		if err == nil || !strings.Contains(out, c.err) {
			t.Errorf("%s: %v, %q; want an error with %q", c.args, err, out, c.err)
		}
	}
}
