package main

import (
	"fmt"
	"strings"
)

// grubEnvBytes is the size of a GRUB environment block (grub-editenv's
// default): a header line, then KEY=VALUE lines, padded with '#'.
const grubEnvBytes = 1024

// grubConfig returns GRUB's configuration for a disk of slots signed
// slots, for RAUC's GRUB backend (paths relative to the ESP):
// EFI/BOOT/grub.cfg and its environment block EFI/BOOT/grubenv.
//
// The environment holds what RAUC's backend reads and writes: ORDER
// (the slots by preference) and per slot S_OK (installed and not marked
// bad) and S_TRY (booted, not yet marked good). grub.cfg boots the first
// slot in ORDER that is OK and not tried, setting its TRY before it
// boots; marking good clears TRY. A slot that fails is tried once: the
// next boot skips it. If no slot is left, the first entry boots, as in
// RAUC's own example.
//
// As with systemd-boot's entries, each menu entry names its slot by
// partition labels and takes the root hash from the slot's signature
// partition, so no update ever edits grub.cfg.
func grubConfig(slots int, linux, initrd, options string) []bootFile {
	var cfg, env strings.Builder
	names, order := namedSlots(slots)
	cfg.WriteString("# verinit: RAUC's GRUB slot selection, the state in grubenv beside this file.\n" +
		"set timeout=0\n" +
		"set default=0\n" +
		"set verinit_env=/EFI/BOOT/grubenv\n" +
		"set ORDER=\"" + strings.Join(order, " ") + "\"\n")
	for _, s := range names {
		fmt.Fprintf(&cfg, "set %s_OK=0\nset %s_TRY=0\n", s.Bootname, s.Bootname)
	}
	cfg.WriteString("load_env --file $verinit_env\n" +
		"set chosen=\n" +
		"for SLOT in $ORDER; do\n")
	for _, s := range names {
		b := s.Bootname
		fmt.Fprintf(&cfg, "  if [ -z \"$chosen\" ]; then if [ \"$SLOT\" = %s ]; then if [ \"$%s_OK\" = 1 ]; then if [ \"$%s_TRY\" = 0 ]; then\n"+
			"    set chosen=%s\n    set default=verinit-%s\n    set %s_TRY=1\n  fi; fi; fi; fi\n", b, b, b, b, s.Name, b)
	}
	cfg.WriteString("done\n")
	var tries []string
	for _, s := range names {
		tries = append(tries, s.Bootname+"_TRY")
	}
	cfg.WriteString("if [ -n \"$chosen\" ]; then\n  save_env --file $verinit_env " + strings.Join(tries, " ") + "\n" +
		"else\n  echo \"verinit: no slot is OK and untried (ORDER=$ORDER); booting the first\"\nfi\n")
	for _, s := range names {
		line := strings.TrimSpace(options + " " + s.SigCmdline())
		fmt.Fprintf(&cfg, "\nmenuentry \"verinit slot %s\" --id verinit-%s {\n  linux %s %s\n  initrd %s\n}\n", s.Bootname, s.Name, linux, line, initrd)
	}

	env.WriteString("# GRUB Environment Block\n")
	env.WriteString("ORDER=" + strings.Join(order, " ") + "\n")
	for _, s := range names {
		fmt.Fprintf(&env, "%s_OK=1\n%s_TRY=0\n", s.Bootname, s.Bootname)
	}
	block := env.String() + strings.Repeat("#", grubEnvBytes-env.Len())
	return []bootFile{{Path: "EFI/BOOT/grub.cfg", Content: cfg.String()}, {Path: "EFI/BOOT/grubenv", Content: block}}
}

// grubStub is the configuration to build into a standalone GRUB image
// (grub-mkstandalone ... "boot/grub/grub.cfg=stub.cfg"): it finds the
// ESP by its environment block and reads grub.cfg from there.
const grubStub = "search --no-floppy --set=root --file /EFI/BOOT/grubenv\n" +
	"configfile /EFI/BOOT/grub.cfg\n"
