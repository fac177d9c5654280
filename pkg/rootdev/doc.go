// Package rootdev parses a root= value and finds the one block device it
// names.
//
// The forms are the kernel's own (block/early-lookup.c): /dev/NAME,
// PARTUUID=uuid, PARTUUID=uuid/PARTNROFF=n, PARTLABEL=label and MAJ:MIN
// (or the old hexadecimal device number), plus the file system's
// UUID=/LABEL= that dracut and systemd accept. PARTUUID and PARTLABEL are
// looked up in the GPT we read ourselves (there is no udev), and unlike
// the kernel, which takes the first partition it probed, a value that
// matches more than one partition is refused.
//
// Spec and Resolve are pure; Prober (probe_linux.go) reads the devices.
package rootdev
