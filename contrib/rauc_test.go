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
