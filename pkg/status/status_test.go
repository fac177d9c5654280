package status

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestJSONRoundTrip(t *testing.T) {
	version := uint64(4)
	s := &Status{
		Version: "v1",
		Cmdline: "console=ttyS0 root=PARTUUID=\"x\" \\ \x01 \u2028 \xff end",
		Root: Root{Spec: "PARTLABEL=root-a", Key: "PARTLABEL", Value: "root-a", Device: "/dev/vda2",
			DevNum: "254:2", Disk: "vda", Partition: 2, FSType: "squashfs", ReadOnly: true},
		Verity: &Verity{Source: "systemd", Device: "/dev/mapper/root", DevNum: "253:0", DataDevice: "/dev/vda2", HashDevice: "/dev/vda3",
			RootHash: "ab12", Algorithm: "sha256", Options: []string{"restart_on_corruption"}, Table: "0 8 verity 1 /dev/vda2 /dev/vda3 4096 4096 1 1 sha256 ab12 -"},
		Loader: &Loader{State: "set", PartUUID: "6b1d3c1e-a000-4000-8000-00000000000a"},
		Policy: Policy{Verity: "required", Signature: "optional", SHA1: "refused", Shell: "allowed", UnverifiedRoot: "refused", RootHashes: []string{"ab12", "cd34"}, MinVersion: 3, TPM: "required", TPMPCR: 15,
			CmdlineKeys: []string{"console=ttyS0,115200", `x="a`}},
		TPM: &TPM{State: "measured", Device: "/dev/tpmrm0", PCR: 15, Banks: []string{"sha1", "sha256"}, Events: 5,
			Values: []Digest{{"sha1", "aa"}, {"sha256", "bb"}}},
		Signature: &Signature{From: "verinit.roothashsig=base64:...", Subject: "CN=slot", Issuer: "CN=root", Fingerprint: "ab", Kernel: true, Version: &version},
		Usr: &Usr{Spec: "usrhash=cd34", Device: "/dev/mapper/usr", DevNum: "253:1", FSType: "erofs", Options: "noatime",
			Verity: &Verity{Source: "dps", Device: "/dev/mapper/usr", DevNum: "253:1", DataDevice: "/dev/vda4", HashDevice: "/dev/vda5",
				RootHash: "cd34", Algorithm: "sha256", Table: "0 8 verity 1 254:4 254:5 4096 4096 1 1 sha256 cd34 -"}},
		Slot:     []Slot{{"rauc.slot", "A"}, {"bootchooser.active", "system0"}},
		LVs:      []LV{{VG: "vg0", LV: "root", Device: "/dev/mapper/vg0-root", DevNum: "253:0", Table: []string{"0 8 linear 254:1 2048"}}},
		Init:     "/sbin/init",
		InitArgs: []string{"single", "a b"},
		Modules:  []Module{{"virtio_blk", "storage", "loaded", "modalias", 31250 * time.Microsecond, 2500 * time.Microsecond}, {"ahci", "storage", "unused", "", 0, 0}},
		ModuleLoad: &ModuleLoad{Packed: 2, Loaded: 1, Unused: 1, Coldplug: time.Millisecond, Load: 2500 * time.Microsecond,
			Triggers: []ModuleTrigger{{"start", 0, 0, 0}, {"dm", 3, 30 * time.Millisecond, 31 * time.Millisecond}}},
		Stages: []Stage{{"mount", 1500 * time.Microsecond}, {"modules", 20 * time.Millisecond}},
		Total:  42 * time.Millisecond,
	}
	var got map[string]any
	if err := json.Unmarshal(s.JSON(), &got); err != nil {
		t.Fatalf("invalid JSON %s: %v", s.JSON(), err)
	}
	want := map[string]any{
		"version": "v1",
		"cmdline": "console=ttyS0 root=PARTUUID=\"x\" \\ \x01 \u2028 \ufffd end",
		"root": map[string]any{"spec": "PARTLABEL=root-a", "key": "PARTLABEL", "value": "root-a",
			"device": "/dev/vda2", "devnum": "254:2", "disk": "vda", "partition": 2.0,
			"fstype": "squashfs", "readonly": true, "options": ""},
		"verity": map[string]any{"source": "systemd", "device": "/dev/mapper/root", "devnum": "253:0", "data_device": "/dev/vda2",
			"hash_device": "/dev/vda3", "hash_offset": 0.0, "root_hash": "ab12", "algorithm": "sha256",
			"options": []any{"restart_on_corruption"}, "table": "0 8 verity 1 /dev/vda2 /dev/vda3 4096 4096 1 1 sha256 ab12 -"},
		"loader": map[string]any{"state": "set", "partuuid": "6b1d3c1e-a000-4000-8000-00000000000a"},
		"policy": map[string]any{"verity": "required", "signature": "optional", "sha1": "refused", "shell": "allowed", "unverified_root": "refused",
			"root_hashes": []any{"ab12", "cd34"}, "min_version": 3.0, "tpm": "required", "tpm_pcr": 15.0,
			"cmdline_keys": []any{"console=ttyS0,115200", `x="a`}},
		"tpm": map[string]any{"state": "measured", "device": "/dev/tpmrm0", "pcr": 15.0, "banks": []any{"sha1", "sha256"}, "skipped_banks": []any{},
			"events": 5.0, "pcr_values": map[string]any{"sha1": "aa", "sha256": "bb"}, "error": ""},
		"signature": map[string]any{"from": "verinit.roothashsig=base64:...", "subject": "CN=slot", "issuer": "CN=root", "fingerprint_sha256": "ab", "kernel": true, "version": 4.0},
		"usr": map[string]any{"spec": "usrhash=cd34", "device": "/dev/mapper/usr", "devnum": "253:1", "fstype": "erofs", "options": "noatime",
			"verity": map[string]any{"source": "dps", "device": "/dev/mapper/usr", "devnum": "253:1", "data_device": "/dev/vda4",
				"hash_device": "/dev/vda5", "hash_offset": 0.0, "root_hash": "cd34", "algorithm": "sha256", "options": []any{},
				"table": "0 8 verity 1 254:4 254:5 4096 4096 1 1 sha256 cd34 -"},
			"signature": nil},
		"slot": map[string]any{"rauc.slot": "A", "bootchooser.active": "system0"},
		"lvm": []any{map[string]any{"vg": "vg0", "lv": "root", "device": "/dev/mapper/vg0-root", "devnum": "253:0",
			"table": []any{"0 8 linear 254:1 2048"}}},
		"init":      "/sbin/init",
		"init_args": []any{"single", "a b"},
		"modules": []any{map[string]any{"name": "virtio_blk", "class": "storage", "outcome": "loaded", "trigger": "modalias", "at_ms": 31.25, "ms": 2.5},
			map[string]any{"name": "ahci", "class": "storage", "outcome": "unused", "trigger": "", "at_ms": 0.0, "ms": 0.0}},
		"module_load": map[string]any{"packed": 2.0, "loaded": 1.0, "unused": 1.0, "failed": 0.0, "coldplug_ms": 1.0, "load_ms": 2.5,
			"triggers": []any{map[string]any{"trigger": "start", "modules": 0.0, "load_ms": 0.0, "wait_ms": 0.0},
				map[string]any{"trigger": "dm", "modules": 3.0, "load_ms": 30.0, "wait_ms": 31.0}}},
		"stages_ms": []any{map[string]any{"stage": "mount", "ms": 1.5},
			map[string]any{"stage": "modules", "ms": 20.0}},
		"total_ms": 42.0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestJSONEmpty(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal((&Status{}).JSON(), &got); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if v, ok := got["verity"]; !ok || v != nil {
		t.Errorf("verity = %v, want null", v)
	}
	if v, ok := got["module_load"]; !ok || v != nil {
		t.Errorf("module_load = %v, want null", v)
	}
	if args, ok := got["init_args"].([]any); !ok || len(args) != 0 {
		t.Errorf("init_args = %v, want []", got["init_args"])
	}
	if v, ok := got["policy"].(map[string]any)["cmdline_keys"]; !ok || v != nil {
		t.Errorf("policy.cmdline_keys = %v, want null", v)
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("plain")
	f.Add("\x00\"\\\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var w writer
		w.quote(s)
		var back string
		if err := json.Unmarshal(w.b, &back); err != nil {
			t.Fatalf("quote(%q) = %s: %v", s, w.b, err)
		}
	})
}
