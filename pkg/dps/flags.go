package dps

// GPT partition attribute bits DPS defines in the type-specific range 48-63
// (DPS "Partition Attribute Flags"; systemd's SD_GPT_FLAG_* in
// src/systemd/sd-gpt.h). They only affect auto-discovery and automatic
// mounting, never a plain mount(2).
const (
	// FlagNoAuto (bit 63) excludes a root, /usr, verity, verity signature,
	// home, srv, var, tmp, swap or XBOOTLDR partition from
	// auto-discovery. It is not defined for the ESP: there UEFI's bit 1
	// ("no block I/O protocol") plays that part.
	FlagNoAuto uint64 = 1 << 63

	// FlagReadOnly (bit 60) asks for a read-only mount of a root, /usr,
	// home, srv, var, tmp or XBOOTLDR partition. DPS recommends setting
	// it on every verity and verity signature partition.
	FlagReadOnly uint64 = 1 << 60

	// FlagGrowFS (bit 59) asks to grow the file system of a root, /usr,
	// home, srv, var, tmp or XBOOTLDR partition to the partition size. It
	// has no effect together with FlagReadOnly.
	FlagGrowFS uint64 = 1 << 59
)

// NoAuto reports whether attrs has the no-auto bit (63) set.
func NoAuto(attrs uint64) bool { return attrs&FlagNoAuto != 0 }

// ReadOnly reports whether attrs has the read-only bit (60) set.
func ReadOnly(attrs uint64) bool { return attrs&FlagReadOnly != 0 }

// GrowFS reports whether attrs has the grow-file-system bit (59) set.
func GrowFS(attrs uint64) bool { return attrs&FlagGrowFS != 0 }
