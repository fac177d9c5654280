package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
)

const (
	// ubootEnvBytes is the size of the environment file the boot script
	// keeps its state in: a CRC-32 and NUL-separated KEY=VALUE pairs, as
	// `env export -c` writes it and fw_setenv reads it (fw_env.config:
	// "PATH 0x0 0x4000").
	ubootEnvBytes = 0x4000
	// ubootTries is each slot's tries after an update, as in RAUC's
	// U-Boot scheme.
	ubootTries = 3
	// ubootFITConfig is the configuration the script boots from a FIT,
	// as contrib/u-boot/verinit.its names it: by name, since bootm
	// without one can pick another (CONFIG_FIT_BEST_MATCH).
	ubootFITConfig = "verinit"
)

// ubootImages is what the boot script loads from the ESP: a signed FIT
// image holding kernel, device tree and initramfs, or if FIT is empty
// the kernel and the initramfs as files.
type ubootImages struct {
	Linux, Initrd, FIT string
}

// ubootConfig returns U-Boot's configuration for a disk of slots signed
// slots, for RAUC's U-Boot backend (paths relative to the ESP, where
// U-Boot's distro boot finds boot.scr): boot.cmd, the script's source,
// and uboot.env, its state.
//
// The state is RAUC's: BOOT_ORDER (the slots by preference) and per slot
// BOOT_S_LEFT (the tries left; RAUC's mark-good sets it back). The
// script boots the first slot in BOOT_ORDER with tries left, counting
// one down first; with none left it gives every slot its tries again
// and resets. It keeps the state in uboot.env on the ESP (fatwrite)
// rather than in U-Boot's own environment, whose storage differs by
// board (Debian's qemu_arm64 keeps it in a flash that its saveenv fails
// to write under Debian 12's QEMU: qemu#2343).
//
// As with the other loaders, each slot's command line names it by
// partition labels and takes the root hash from its signature
// partition, so no update edits the script.
//
// If U-Boot does not start the kernel (a file missing, a FIT whose
// signature or hashes do not verify), the script resets: the try is
// spent, as when the kernel or verinit fails, rather than left to
// distro boot's next target.
func ubootConfig(slots int, img ubootImages, options string) []bootFile {
	names, order := namedSlots(slots)
	vars := []string{"BOOT_ORDER"}
	for _, s := range names {
		vars = append(vars, "BOOT_"+s.Bootname+"_LEFT")
	}
	dev := "${devtype} ${devnum}:${distro_bootpart}"
	var b strings.Builder
	b.WriteString("# verinit: RAUC's U-Boot slot selection (BOOT_ORDER, BOOT_<slot>_LEFT), its state in\n" +
		"# uboot.env beside this script; make boot.scr with: mkimage -T script -C none -d boot.cmd boot.scr\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "setenv %s\n", v)
	}
	fmt.Fprintf(&b, "if load %s ${kernel_addr_r} /uboot.env; then\n  env import -c ${kernel_addr_r} %#x %s\nfi\n", dev, ubootEnvBytes, strings.Join(vars, " "))
	fmt.Fprintf(&b, "test -n \"${BOOT_ORDER}\" || setenv BOOT_ORDER \"%s\"\n", strings.Join(order, " "))
	for _, s := range names {
		fmt.Fprintf(&b, "test -n \"${BOOT_%s_LEFT}\" || setenv BOOT_%s_LEFT %d\n", s.Bootname, s.Bootname, ubootTries)
	}
	b.WriteString("setenv verinit_slot\nfor s in ${BOOT_ORDER}; do\n")
	for _, s := range names {
		line := strings.TrimSpace(options + " " + s.SigCmdline())
		fmt.Fprintf(&b, "  if test -z \"${verinit_slot}\" && test \"${s}\" = %s && test ${BOOT_%s_LEFT} -gt 0; then\n"+
			"    setexpr BOOT_%s_LEFT ${BOOT_%s_LEFT} - 1\n    setenv verinit_slot %s\n    setenv bootargs \"%s\"\n  fi\n",
			s.Bootname, s.Bootname, s.Bootname, s.Bootname, s.Bootname, line)
	}
	b.WriteString("done\nif test -z \"${verinit_slot}\"; then\n  echo \"verinit: no slot has tries left (BOOT_ORDER=${BOOT_ORDER}): giving each its tries again\"\n")
	for _, s := range names {
		fmt.Fprintf(&b, "  setenv BOOT_%s_LEFT %d\n", s.Bootname, ubootTries)
	}
	b.WriteString("fi\n")
	fmt.Fprintf(&b, "env export -c -s %#x ${kernel_addr_r} %s\n", ubootEnvBytes, strings.Join(vars, " "))
	fmt.Fprintf(&b, "fatwrite %s ${kernel_addr_r} /uboot.env %#x\n", dev, ubootEnvBytes)
	b.WriteString("if test -z \"${verinit_slot}\"; then reset; fi\n")
	var left []string
	for _, s := range names {
		left = append(left, fmt.Sprintf("BOOT_%s_LEFT=${BOOT_%s_LEFT}", s.Bootname, s.Bootname))
	}
	fmt.Fprintf(&b, "echo \"verinit: booting slot ${verinit_slot} (BOOT_ORDER=${BOOT_ORDER} %s)\"\n", strings.Join(left, " "))
	if img.FIT != "" {
		// The FIT goes high: bootm moves a kernel_noload Image down to
		// the start of RAM.
		fmt.Fprintf(&b, "load %s ${ramdisk_addr_r} %s && bootm ${ramdisk_addr_r}#%s\n", dev, img.FIT, ubootFITConfig)
	} else {
		fmt.Fprintf(&b, "load %s ${kernel_addr_r} %s && load %s ${ramdisk_addr_r} %s && booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}\n",
			dev, img.Linux, dev, img.Initrd)
	}
	b.WriteString("echo \"verinit: U-Boot started no kernel for slot ${verinit_slot}: resetting\"\nreset\n")

	env := map[string]string{"BOOT_ORDER": strings.Join(order, " ")}
	for _, s := range names {
		env["BOOT_"+s.Bootname+"_LEFT"] = fmt.Sprint(ubootTries)
	}
	return []bootFile{{Path: "boot.cmd", Content: b.String()}, {Path: "uboot.env", Content: string(ubootEnv(vars, env))}}
}

// ubootEnv is an environment block of ubootEnvBytes: the CRC-32 of the
// rest, then "KEY=VALUE\0" for each of keys, then NULs.
func ubootEnv(keys []string, env map[string]string) []byte {
	data := make([]byte, ubootEnvBytes-4)
	var pairs bytes.Buffer
	for _, k := range keys {
		pairs.WriteString(k + "=" + env[k] + "\x00")
	}
	copy(data, pairs.Bytes())
	out := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	return append(out, data...)
}
