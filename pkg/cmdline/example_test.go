package cmdline_test

import (
	"fmt"

	"github.com/verinit/verinit/pkg/cmdline"
)

func Example() {
	// As read from /proc/cmdline, trailing newline included.
	c := cmdline.Parse(`BOOT_IMAGE=/vmlinuz root=PARTUUID=6e2e3d61-01 ro rauc.slot=A ` +
		`console=tty0 console=ttyS0,115200 snd-hda-intel.model="dell headset" ` +
		`modprobe.blacklist=pcspkr,nouveau -- --log-level=debug "emergency shell"` + "\n")

	root, _ := c.Lookup("root")
	slot, _ := c.Lookup("rauc.slot")
	console, _ := c.Lookup("console")
	fmt.Println("root:", root)
	fmt.Println("slot:", slot)
	fmt.Println("read-only:", c.Flag("ro"))
	fmt.Printf("consoles: %q, last wins: %q\n", c.Values("console"), console)
	fmt.Printf("snd_hda_intel options: %q\n", c.ModuleParams("snd_hda_intel"))
	fmt.Println("pcspkr blacklisted:", c.Blacklisted("pcspkr"))
	fmt.Printf("init args: %q\n", c.InitArgs)
	// Output:
	// root: PARTUUID=6e2e3d61-01
	// slot: A
	// read-only: true
	// consoles: ["tty0" "ttyS0,115200"], last wins: "ttyS0,115200"
	// snd_hda_intel options: ["model=\"dell headset\""]
	// pcspkr blacklisted: true
	// init args: ["--log-level=debug" "emergency shell"]
}
