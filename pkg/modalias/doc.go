// Package modalias matches device modaliases ("pci:v00001AF4d00001001sv...",
// "virtio:d00000002v00001AF4", "scsi:t-0x00") and module aliases
// ("crypto-sha256", "fs-ext4") against the glob patterns of modules.alias,
// as modprobe does.
//
// Patterns are fnmatch(3) globs without flags, which is what kmod uses:
// '*' matches any run of bytes including '/', '?' one byte, '[...]' one
// byte of a set ('!' or '^' negates, ranges "a-z", ']' first is literal),
// '\' escapes the next byte. path.Match differs ('*' and '?' stop at '/'),
// and aliases such as "devname:mapper/control" contain '/', hence our own
// matcher. Names and patterns are compared after [Normalize] ('-' is '_'
// outside bracket expressions), as kmod's alias_normalize does.
//
// [Table] indexes patterns by their literal prefix so that a lookup tries
// only the few patterns that can match, not every alias of every module:
// the init matches each device of the machine against it.
//
// The package is pure and imported by the init; it uses only the standard
// library.
package modalias
