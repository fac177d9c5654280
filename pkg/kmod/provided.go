package kmod

import (
	"bytes"
	"strings"
)

// Provided reports whether the kernel already has what a name of the
// kinds the init's stages ask for stands for, so that no module need be
// loaded for it: "crypto-NAME" when procCrypto (the text of
// /proc/crypto) lists a usable algorithm NAME, "fs-NAME" when
// procFilesystems (the text of /proc/filesystems) lists the file system.
// Other names (module names such as "dm-mod") are never provided.
//
// This is the kernel's own rule: its crypto API asks for "crypto-NAME"
// only when no implementation of NAME is registered. A packed
// accelerated implementation (sha256_ssse3, which fails with ENODEV on a
// CPU without the instructions) is then not loaded by need; name it with
// --module to load it at start.
func Provided(name string, procCrypto, procFilesystems []byte) bool {
	if alg, ok := strings.CutPrefix(name, "crypto-"); ok && alg != "" {
		return hasAlgorithm(procCrypto, alg)
	}
	if fs, ok := strings.CutPrefix(name, "fs-"); ok && fs != "" {
		return hasFilesystem(procFilesystems, fs)
	}
	return false
}

// hasAlgorithm reports whether /proc/crypto lists an algorithm named alg
// that others may use: not a larval (a lookup still in progress) and
// not internal (a building block of another driver).
func hasAlgorithm(text []byte, alg string) bool {
	var name, typ, internal string
	found := func() bool { return name == alg && typ != "larval" && internal != "yes" }
	for line := range bytes.Lines(text) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok { // the blank line between entries
			if found() {
				return true
			}
			name, typ, internal = "", "", ""
			continue
		}
		switch string(bytes.TrimSpace(k)) {
		case "name":
			name = string(bytes.TrimSpace(v))
		case "type":
			typ = string(bytes.TrimSpace(v))
		case "internal":
			internal = string(bytes.TrimSpace(v))
		}
	}
	return found()
}

// hasFilesystem reports whether /proc/filesystems lists fs ("nodev\tNAME"
// or "\tNAME" per line).
func hasFilesystem(text []byte, fs string) bool {
	for line := range bytes.Lines(text) {
		f := bytes.Fields(line)
		if len(f) > 0 && string(f[len(f)-1]) == fs {
			return true
		}
	}
	return false
}
