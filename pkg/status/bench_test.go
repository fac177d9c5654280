package status

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkJSON is the init's last piece of work before the exec: the
// record of a verified boot with the default module set's 50 modules.
func BenchmarkJSON(b *testing.B) {
	s := &Status{Version: "v1.0.0", Cmdline: "console=ttyS0 roothash=90a5af879394dfb560f4f8991bf55664ef99ac35fd68711ec556371443b33b84 systemd.verity_root_data=PARTUUID=5e4c7b11-0000-4000-8000-0000000000d1 systemd.verity_root_hash=PARTUUID=5e4c7b11-0000-4000-8000-0000000000e1",
		Root:   Root{Spec: "PARTUUID=5e4c7b11-0000-4000-8000-0000000000d1", Key: "PARTUUID", Value: "5e4c7b11-0000-4000-8000-0000000000d1", Device: "/dev/mapper/root", DevNum: "253:0", Disk: "vda", Partition: 1, FSType: "squashfs", ReadOnly: true},
		Verity: &Verity{Source: "systemd", Device: "/dev/mapper/root", DevNum: "253:0", DataDevice: "/dev/vda1", HashDevice: "/dev/vda2", RootHash: "90a5af879394dfb560f4f8991bf55664ef99ac35fd68711ec556371443b33b84", Algorithm: "sha256", Options: []string{"restart_on_corruption"}, Table: "0 2032 verity 1 254:1 254:2 4096 4096 254 1 sha256 90a5af879394dfb560f4f8991bf55664ef99ac35fd68711ec556371443b33b84 5e4c7b11aa55aa55 1 restart_on_corruption"},
		Policy: Policy{Verity: "required", Signature: "optional"}, Init: "/sbin/init",
		ModuleLoad: &ModuleLoad{Packed: 50, Loaded: 11, Unused: 39, Triggers: []ModuleTrigger{{"start", 0, 0, 0}, {"modalias", 6, time.Millisecond, 0}, {"dm", 4, time.Millisecond, time.Millisecond}, {"fs", 1, time.Millisecond, time.Millisecond}}},
		Total:      600 * time.Millisecond,
	}
	for i := range 50 {
		s.Modules = append(s.Modules, Module{Name: "module_" + strconv.Itoa(i), Class: "storage", Outcome: "unused"})
	}
	for _, n := range []string{"mount", "config", "modules", "device", "discovery", "verity", "root-hash", "mount-root", "switch"} {
		s.Stages = append(s.Stages, Stage{n, 12345 * time.Microsecond})
	}
	b.ReportAllocs()
	for b.Loop() {
		s.JSON()
	}
}
