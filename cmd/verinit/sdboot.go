package main

import (
	"fmt"
	"strings"

	"github.com/verinit/verinit/pkg/image"
)

// namedSlots returns the first n slots by name only (image.NamedSlot),
// and their bootnames in order: "A", "B", ...
func namedSlots(n int) ([]image.Slot, []string) {
	slots := make([]image.Slot, n)
	order := make([]string, n)
	for i := range slots {
		slots[i] = image.NamedSlot(i)
		order[i] = slots[i].Bootname
	}
	return slots, order
}

// systemdBootConfig returns systemd-boot's configuration for a disk of
// slots signed slots (paths relative to the ESP): loader/loader.conf and
// one Boot Loader Specification Type #1 entry per slot,
// loader/entries/verinit-G-S.conf.
//
// The entries name the slot's partitions by label and take the root
// hash from its root-verity-sig partition, so an update rewrites the
// slot and never an entry. Which slot boots is the order systemd-boot
// sorts the entries in: an entry with no tries left (Automatic Boot
// Assessment's "+0" in the name) last, then the highest generation G
// first. loader.conf names no default: a default pins its entry even at
// "+0", and boot counting would never fall back. The first slot gets
// the highest generation. To switch slots, an updater renames the new
// slot's entry to a generation above all others with tries left,
// "verinit-3-b+3.conf"; systemd-boot counts the tries down, and
// systemd-bless-boot (or RAUC's mark-good through
// contrib/rauc/verinit-systemd-boot) drops the counter once the slot is
// good. docs/integration/systemd-boot.md has the whole scheme.
func systemdBootConfig(slots int, linux, initrd, options string) []bootFile {
	files := []bootFile{{Path: "loader/loader.conf", Content: "# verinit: no \"default\", so that boot counting can fall back to the other slot;\n" +
		"# no editor, so that nobody at the console rewrites the command line.\n" +
		"timeout 0\n" +
		"editor no\n"}}
	for i := range slots {
		s := image.NamedSlot(i)
		line := strings.TrimSpace(options + " " + s.SigCmdline())
		files = append(files, bootFile{
			Path: fmt.Sprintf("loader/entries/verinit-%d-%s.conf", slots-i, s.Name),
			Content: "title      verinit slot " + s.Bootname + "\n" +
				"linux      " + linux + "\n" +
				"initrd     " + initrd + "\n" +
				"options    " + line + "\n",
		})
	}
	return files
}
