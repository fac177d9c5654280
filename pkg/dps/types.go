package dps

import (
	"encoding/hex"
	"runtime"
	"strconv"

	"github.com/verinit/verinit/pkg/gpt"
)

// Arch is a CPU architecture as the DPS type names spell it (systemd's
// architecture names in src/shared/gpt.c), e.g. "x86-64" or "arm64".
type Arch string

// The architectures for which DPS defines root, /usr and verity partition
// types. ParseArch also accepts common aliases (x86_64, amd64, aarch64,
// ppc64le, ...).
const (
	ArchAlpha       Arch = "alpha"
	ArchARC         Arch = "arc"
	ArchARM         Arch = "arm"   // 32-bit ARM
	ArchARM64       Arch = "arm64" // AArch64
	ArchIA64        Arch = "ia64"
	ArchLoongArch64 Arch = "loongarch64"
	ArchMIPS        Arch = "mips"      // 32-bit MIPS, big endian
	ArchMIPS64      Arch = "mips64"    // 64-bit MIPS, big endian
	ArchMIPSLE      Arch = "mips-le"   // 32-bit MIPS, little endian
	ArchMIPS64LE    Arch = "mips64-le" // 64-bit MIPS, little endian
	ArchPARISC      Arch = "parisc"
	ArchPPC         Arch = "ppc"      // 32-bit PowerPC
	ArchPPC64       Arch = "ppc64"    // 64-bit PowerPC, big endian
	ArchPPC64LE     Arch = "ppc64-le" // 64-bit PowerPC, little endian
	ArchRISCV32     Arch = "riscv32"
	ArchRISCV64     Arch = "riscv64"
	ArchS390        Arch = "s390"
	ArchS390X       Arch = "s390x"
	ArchTILEGX      Arch = "tilegx"
	ArchX86         Arch = "x86" // 32-bit x86
	ArchX86_64      Arch = "x86-64"
)

// goArches maps runtime.GOARCH to the DPS architecture.
var goArches = [...]struct {
	goarch string
	arch   Arch
}{
	{"386", ArchX86},
	{"amd64", ArchX86_64},
	{"arm", ArchARM},
	{"arm64", ArchARM64},
	{"loong64", ArchLoongArch64},
	{"mips", ArchMIPS},
	{"mipsle", ArchMIPSLE},
	{"mips64", ArchMIPS64},
	{"mips64le", ArchMIPS64LE},
	{"ppc64", ArchPPC64},
	{"ppc64le", ArchPPC64LE},
	{"riscv64", ArchRISCV64},
	{"s390x", ArchS390X},
}

// NativeArch returns the DPS architecture of the running program
// (runtime.GOARCH), or "" if DPS defines none for it (wasm).
func NativeArch() Arch {
	return archOfGOARCH(runtime.GOARCH)
}

// GOARCH returns the Go architecture (runtime.GOARCH) whose programs run
// on a, or "" if Go has no port for it.
func (a Arch) GOARCH() string {
	for _, g := range goArches {
		if g.arch == a {
			return g.goarch
		}
	}
	return ""
}

func archOfGOARCH(goarch string) Arch {
	for _, g := range goArches {
		if g.goarch == goarch {
			return g.arch
		}
	}
	return ""
}

// archAliases are the other spellings ParseArch accepts: systemd's aliases
// (src/shared/gpt.c) and Go's GOARCH names.
var archAliases = [...]struct {
	alias string
	arch  Arch
}{
	{"x86_64", ArchX86_64}, {"amd64", ArchX86_64},
	{"i386", ArchX86}, {"i486", ArchX86}, {"i586", ArchX86}, {"i686", ArchX86}, {"386", ArchX86},
	{"aarch64", ArchARM64},
	{"loong64", ArchLoongArch64},
	{"mipsel", ArchMIPSLE}, {"mipsle", ArchMIPSLE},
	{"mips64el", ArchMIPS64LE}, {"mips64le", ArchMIPS64LE},
	{"hppa", ArchPARISC},
	{"ppc64le", ArchPPC64LE}, {"ppc64el", ArchPPC64LE},
}

// ParseArch returns the architecture named s: a DPS name such as "x86-64"
// or "arm64", or an alias such as "x86_64", "amd64", "aarch64" or
// "ppc64le". It fails for names DPS defines no partition types for.
func ParseArch(s string) (Arch, error) {
	for _, e := range typeTable {
		if e.arch != "" && string(e.arch) == s {
			return e.arch, nil
		}
	}
	for _, a := range archAliases {
		if a.alias == s {
			return a.arch, nil
		}
	}
	return "", &unknownArchError{s}
}

type unknownArchError struct{ s string }

func (e *unknownArchError) Error() string {
	return "dps: unknown architecture " + quote(e.s) + ": want one of x86-64, x86, arm64, arm, riscv64, loongarch64, ppc64-le, s390x, ... (systemd's names)"
}

// Role is what a partition type is for.
type Role int

// The partition roles DPS defines. Root to UsrVeritySig exist once per
// architecture; the others have a single type for every architecture. The
// zero Role is not a role.
const (
	Root          Role = iota + 1 // root file system, mounted at /
	RootVerity                    // dm-verity hash tree of a Root partition
	RootVeritySig                 // JSON root hash and PKCS#7 signature for a RootVerity partition
	Usr                           // /usr file system
	UsrVerity                     // dm-verity hash tree of a Usr partition
	UsrVeritySig                  // signature for a UsrVerity partition
	ESP                           // EFI System Partition
	XBOOTLDR                      // Extended Boot Loader Partition, mounted at /boot
	Swap                          // swap space
	Home                          // /home
	Srv                           // /srv
	Var                           // /var, bound to the machine ID
	Tmp                           // /var/tmp
	UserHome                      // a systemd-homed home area
	LinuxGeneric                  // generic Linux data, never auto-mounted
)

// roleNames are the names systemd gives the types (src/shared/gpt.c), for
// Root to UsrVeritySig without the architecture.
var roleNames = [...]string{
	Root:          "root",
	RootVerity:    "root-verity",
	RootVeritySig: "root-verity-sig",
	Usr:           "usr",
	UsrVerity:     "usr-verity",
	UsrVeritySig:  "usr-verity-sig",
	ESP:           "esp",
	XBOOTLDR:      "xbootldr",
	Swap:          "swap",
	Home:          "home",
	Srv:           "srv",
	Var:           "var",
	Tmp:           "tmp",
	UserHome:      "user-home",
	LinuxGeneric:  "linux-generic",
}

// String returns systemd's name for the role without the architecture,
// e.g. "root-verity" or "esp", or "Role(N)" for a value that is not a role.
func (r Role) String() string {
	if r > 0 && int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// perArch reports whether DPS defines one type of role r per architecture.
func (r Role) perArch() bool { return r >= Root && r <= UsrVeritySig }

// verityOf returns the role of the verity partition for a data role, and of
// the signature partition; ok is false for other roles.
func (r Role) verityOf() (verity, sig Role, ok bool) {
	switch r {
	case Root:
		return RootVerity, RootVeritySig, true
	case Usr:
		return UsrVerity, UsrVeritySig, true
	}
	return 0, 0, false
}

// typeEntry is one partition type: its role, its architecture (empty for
// the roles that have one type for all) and its UUID as 32 lowercase hex
// digits in text order, as systemd-id128 show prints it.
type typeEntry struct {
	role Role
	arch Arch
	hex  string
}

// typeTable holds every type UUID DPS defines. The per-architecture part
// was generated from "systemd-id128 show" (systemd 252) and is checked by
// TestTypeTableMatchesSystemd and TestTypeTableMatchesSpec against
// testdata/systemd-id128-show.txt and testdata/dps-spec-types.tsv.
var typeTable = [...]typeEntry{
	{Root, ArchAlpha, "6523f8ae3eb14e2aa05a18b695ae656f"},
	{RootVerity, ArchAlpha, "fc56d9e9e6e54c06be32e74407ce09a5"},
	{RootVeritySig, ArchAlpha, "d46495b7a053414f80f7700c99921ef8"},
	{Usr, ArchAlpha, "e18cf08c33ec4c0d8246c6c6fb3da024"},
	{UsrVerity, ArchAlpha, "8cce0d25c0d04a44bd8746331bf1df67"},
	{UsrVeritySig, ArchAlpha, "5c6e1c76076a457aa0fef3b4cd21ce6e"},
	{Root, ArchARC, "d27f46ed29194cb8bd259531f3c16534"},
	{RootVerity, ArchARC, "24b2d9750f974521afa1cd531e421b8d"},
	{RootVeritySig, ArchARC, "143a70bacbd34f06919f6c05683a78bc"},
	{Usr, ArchARC, "7978a68363164922bbee38bff5a2fecc"},
	{UsrVerity, ArchARC, "fca0598cd88045918c164eda05c7347c"},
	{UsrVeritySig, ArchARC, "94f9a9a19971427aa40050cb297f0f35"},
	{Root, ArchARM, "69dad7102ce44e3cb16c21a1d49abed3"},
	{RootVerity, ArchARM, "7386cdf2203c47a9a498f2ecce45a2d6"},
	{RootVeritySig, ArchARM, "42b0455feb11491d98d356145ba9d037"},
	{Usr, ArchARM, "7d0359a302b34f0a865c654403e70625"},
	{UsrVerity, ArchARM, "c215d7517bcd4649be906627490a4c05"},
	{UsrVeritySig, ArchARM, "d7ff812f37d14902a810d76ba57b975a"},
	{Root, ArchARM64, "b921b0451df041c3af444c6f280d3fae"},
	{RootVerity, ArchARM64, "df3300ced69f4c92978c9bfb0f38d820"},
	{RootVeritySig, ArchARM64, "6db69de629f44758a7a5962190f00ce3"},
	{Usr, ArchARM64, "b0e01050ee5f4390949a9101b17104e9"},
	{UsrVerity, ArchARM64, "6e11a4e7fbca4dedb9e9e1a512bb664e"},
	{UsrVeritySig, ArchARM64, "c23ce4ff44bd4b00b2d4b41b3419e02a"},
	{Root, ArchIA64, "993d8d3df80e4225855a9daf8ed7ea97"},
	{RootVerity, ArchIA64, "86ed10d5b60745bb8957d350f23d0571"},
	{RootVeritySig, ArchIA64, "e98b36ee32ba48829b120ce14655f46a"},
	{Usr, ArchIA64, "4301d2a64e3b4b2abb949e0b2c4225ea"},
	{UsrVerity, ArchIA64, "6a491e033be745458e3883320e0ea880"},
	{UsrVeritySig, ArchIA64, "8de58bc22a43460db14ea76e4a17b47f"},
	{Root, ArchLoongArch64, "77055800792c4f94b39a98c91b762bb6"},
	{RootVerity, ArchLoongArch64, "f3393b22e9af4613a9489d3bfbd0c535"},
	{RootVeritySig, ArchLoongArch64, "5afb67ebecc84f85ae8eac1e7c50e7d0"},
	{Usr, ArchLoongArch64, "e611c702575c4cbe9a46434fa0bf7e3f"},
	{UsrVerity, ArchLoongArch64, "f46b2c2659ae48f09106c50ed47f673d"},
	{UsrVeritySig, ArchLoongArch64, "b024f315d330444c846144bbde524e99"},
	{Root, ArchMIPS, "e94345446e2c47ccbae212d6deafb44c"},
	{RootVerity, ArchMIPS, "7a430799f7114c7e8e5b1d685bd48607"},
	{RootVeritySig, ArchMIPS, "bba210a29c5d45ee9e87ff2ccbd002d0"},
	{Usr, ArchMIPS, "773b2abc2a9943988bf503baac40d02b"},
	{UsrVerity, ArchMIPS, "6e5a1bc8d22349b7bca837a5fcceb996"},
	{UsrVeritySig, ArchMIPS, "97ae158df216497b8057f7f905770f54"},
	{Root, ArchMIPS64, "d113af7680ef41b4bdb60cff4d3d4a25"},
	{RootVerity, ArchMIPS64, "579536f86a334055a95adf2d5e2c42a8"},
	{RootVeritySig, ArchMIPS64, "43ce94d40f3d49998250b9deafd98e6e"},
	{Usr, ArchMIPS64, "57e13958733143658e6e35eeee17c61b"},
	{UsrVerity, ArchMIPS64, "81cf9d9074584df48dcfc8a3a404f09b"},
	{UsrVeritySig, ArchMIPS64, "05816ce2dd404ac6a61d37d32dc1ba7d"},
	{Root, ArchMIPSLE, "37c58c8ad9134156a25f48b1b64e07f0"},
	{RootVerity, ArchMIPSLE, "d7d150d22a044a338f1216651205ff7b"},
	{RootVeritySig, ArchMIPSLE, "c919cc1f44564eff918cf75e94525ca5"},
	{Usr, ArchMIPSLE, "0f4868e999524706979f3ed3a473e947"},
	{UsrVerity, ArchMIPSLE, "46b98d8db55c4e8faab337fca7f80752"},
	{UsrVeritySig, ArchMIPSLE, "3e23ca0ba4bc4b4e80875ab6a26aa8a9"},
	{Root, ArchMIPS64LE, "700bda437a344507b179eeb93d7a7ca3"},
	{RootVerity, ArchMIPS64LE, "16b417f83e064f578dd29b5232f41aa6"},
	{RootVeritySig, ArchMIPS64LE, "904e58ef5c654a319c576af5fc7c5de7"},
	{Usr, ArchMIPS64LE, "c97c1f32ba0640b49f22236061b08aa8"},
	{UsrVerity, ArchMIPS64LE, "3c3d61feb5f3414dbb718739a694a4ef"},
	{UsrVeritySig, ArchMIPS64LE, "f2c2c7eeadcc4351b5c6ee9816b66e16"},
	{Root, ArchPARISC, "1aacdb3b54444138bd9ee5c2239b2346"},
	{RootVerity, ArchPARISC, "d212a430fbc549f9a983a7feef2b8d0e"},
	{RootVeritySig, ArchPARISC, "15de617065d3431c916eb0dcd8393f25"},
	{Usr, ArchPARISC, "dc4a448069174262a4ecdb9384949f25"},
	{UsrVerity, ArchPARISC, "5843d618ec3748d79f12cea8e08768b2"},
	{UsrVeritySig, ArchPARISC, "450dd7d1322445ec9cf2a43a346d71ee"},
	{Root, ArchPPC, "1de3f1effa9847b58dcd4a860a654d78"},
	{RootVerity, ArchPPC, "98cfe649158846dcb2f0add147424925"},
	{RootVeritySig, ArchPPC, "1b31b5aaadd9463ab2edbd467fc857e7"},
	{Usr, ArchPPC, "7d14fec5cc71415d9d6c06bf0b3c3eaf"},
	{UsrVerity, ArchPPC, "df765d00270e49e5bc75f47bb2118b09"},
	{UsrVeritySig, ArchPPC, "7007891dd3714a8086a45cb875b9302e"},
	{Root, ArchPPC64, "912ade1da83949138964a10eee08fbd2"},
	{RootVerity, ArchPPC64, "9225a9a33c194d89b4f6eeff88f17631"},
	{RootVeritySig, ArchPPC64, "f5e2c20c45b24ffabce92a60737e1aaf"},
	{Usr, ArchPPC64, "2c9739e2f06846b39fd001c5a9afbcca"},
	{UsrVerity, ArchPPC64, "bdb528a5a259475fa87dda53fa736a07"},
	{UsrVeritySig, ArchPPC64, "0b888863d7f84d9e9766239fce4d58af"},
	{Root, ArchPPC64LE, "c31c45e63f39412e80fb4809c4980599"},
	{RootVerity, ArchPPC64LE, "906bd94445894aaea4e4dd983917446a"},
	{RootVeritySig, ArchPPC64LE, "d4a236e7e8734c07bf1dbf6cf7f1c3c6"},
	{Usr, ArchPPC64LE, "15bb03af77e74d4ab12bc0d084f7491c"},
	{UsrVerity, ArchPPC64LE, "ee2b998321e8415386d9b6901a54d1ce"},
	{UsrVeritySig, ArchPPC64LE, "c8bfbd1e268e45218bbabf314c399557"},
	{Root, ArchRISCV32, "60d5a7fe8e7d435cb7143dd8162144e1"},
	{RootVerity, ArchRISCV32, "ae0253be11674007ac6843926c14c5de"},
	{RootVeritySig, ArchRISCV32, "3a112a7587294380b4cf764d79934448"},
	{Usr, ArchRISCV32, "b933fb225c3f4f91af90e2bb0fa50702"},
	{UsrVerity, ArchRISCV32, "cb1ee4e38cd04136a0a4aa61a32e8730"},
	{UsrVeritySig, ArchRISCV32, "c3836a13313745bab583b16c50fe5eb4"},
	{Root, ArchRISCV64, "72ec70a6cf7440e6bd494bda08e8f224"},
	{RootVerity, ArchRISCV64, "b6ed5582440b4209b8da5ff7c419ea3d"},
	{RootVeritySig, ArchRISCV64, "efe0f087ea8d4469821a4c2a96a8386a"},
	{Usr, ArchRISCV64, "beaec34b8442439ba40b984381ed097d"},
	{UsrVerity, ArchRISCV64, "8f1056be9b0547c481d6be53128e5b54"},
	{UsrVeritySig, ArchRISCV64, "d2f9000a7a18453fb5cd4d32f77a7b32"},
	{Root, ArchS390, "08a7acea624c4a2091e86e0fa67d23f9"},
	{RootVerity, ArchS390, "7ac63b47b25c463b8df8b4a94e6c90e1"},
	{RootVeritySig, ArchS390, "3482388e4254435aa241766a065f9960"},
	{Usr, ArchS390, "cd0f869bd0fb4ca0b1419ea87cc78d66"},
	{UsrVerity, ArchS390, "b663c618e7bc4d6d90aa11b756bb1797"},
	{UsrVeritySig, ArchS390, "17440e4fa8d0467fa46e3912ae6ef2c5"},
	{Root, ArchS390X, "5eead9a9fe094a1ea1d7520d00531306"},
	{RootVerity, ArchS390X, "b325bfbec7be4ab88357139e652d2f6b"},
	{RootVeritySig, ArchS390X, "c80187a573a3491a901a017c3fa953e9"},
	{Usr, ArchS390X, "8a4f577050aa4ed3874a99b710db6fea"},
	{UsrVerity, ArchS390X, "31741cc41a2a4111a581e00b447d2d06"},
	{UsrVeritySig, ArchS390X, "3f324816667b46ae86ee9b0c0c6c11b4"},
	{Root, ArchTILEGX, "c50cdd7038624cc390e1809a8c93ee2c"},
	{RootVerity, ArchTILEGX, "966061ec28e44b2eb4a51f0a825a1d84"},
	{RootVeritySig, ArchTILEGX, "b367143997b04a5390f72d5a8f3ad47b"},
	{Usr, ArchTILEGX, "55497029c7c144ccaa39815ed1558630"},
	{UsrVerity, ArchTILEGX, "2fb4bf5607fa42da81326b139f2026ae"},
	{UsrVeritySig, ArchTILEGX, "4ede75e26ccc4cc8b9c770334b087510"},
	{Root, ArchX86, "44479540f29741b29af7d131d5f0458a"},
	{RootVerity, ArchX86, "d13c5d3bb5d1422ab29f9454fdc89d76"},
	{RootVeritySig, ArchX86, "5996fc05109c48de808b23fa0830b676"},
	{Usr, ArchX86, "75250d768cc6458ebd66bd47cc81a812"},
	{UsrVerity, ArchX86, "8f461b0d14ee4e819aa9049b6fb97abd"},
	{UsrVeritySig, ArchX86, "974a71c0de4143c3be5d5c5ccd1ad2c0"},
	{Root, ArchX86_64, "4f68bce3e8cd4db196e7fbcaf984b709"},
	{RootVerity, ArchX86_64, "2c7357edebd246d9aec123d437ec2bf5"},
	{RootVeritySig, ArchX86_64, "41092b059fc84523994f2def0408b176"},
	{Usr, ArchX86_64, "8484680c952148c69c11b0720656f69e"},
	{UsrVerity, ArchX86_64, "77ff5f63e7b64633acf41565b864c0e6"},
	{UsrVeritySig, ArchX86_64, "e7bb33fb06cf4e818273e543b413e2e2"},
	{ESP, "", "c12a7328f81f11d2ba4b00a0c93ec93b"},
	{XBOOTLDR, "", "bc13c2ff59e64262a352b275fd6f7172"},
	{Swap, "", "0657fd6da4ab43c484e50933c84b4f4f"},
	{Home, "", "933ac7e12eb44f13b8440e14e2aef915"},
	{Srv, "", "3b8f842520e04f3b907f1a25a76f98e8"},
	{Var, "", "4d21b016b53445c2a9fb5c16e091fd2d"},
	{Tmp, "", "7ec6f5573bc54acab29316ef5df639d1"},
	{UserHome, "", "773f91ef66d449b5bd83d683bf40ad16"},
	{LinuxGeneric, "", "0fc63daf848347728e793d69d8477de4"},
}

// TypeGUID returns the type GUID of role r on architecture a. For the roles
// that have a single type for all architectures (ESP, XBOOTLDR, Swap, Home,
// Srv, Var, Tmp, UserHome, LinuxGeneric) a is ignored. ok is false if DPS
// defines no such type.
func TypeGUID(r Role, a Arch) (t gpt.GUID, ok bool) {
	if !r.perArch() {
		a = ""
	}
	for _, e := range typeTable {
		if e.role == r && e.arch == a {
			return e.guid(), true
		}
	}
	return gpt.GUID{}, false
}

// Identify returns the role and architecture of the partition type t. The
// architecture is empty for the roles that have one type for all
// architectures. ok is false for a type DPS does not define.
func Identify(t gpt.GUID) (r Role, a Arch, ok bool) {
	b := t.Bytes()
	var h [32]byte
	hex.Encode(h[:], b[:])
	for _, e := range typeTable {
		if string(h[:]) == e.hex {
			return e.role, e.arch, true
		}
	}
	return 0, "", false
}

// TypeName returns systemd's name for the partition type t, e.g.
// "root-x86-64", "root-arm64-verity", "usr-riscv64-verity-sig", "esp" or
// "linux-generic", or "" if DPS does not define t. These are the names
// systemd-repart's Type= and systemd-id128 show use.
func TypeName(t gpt.GUID) string {
	r, a, ok := Identify(t)
	if !ok {
		return ""
	}
	return typeName(r, a)
}

// typeName spells the type of role r on architecture a the way systemd
// does: the role's first word, the architecture, then the rest.
func typeName(r Role, a Arch) string {
	var prefix, suffix string
	switch r {
	case Root, RootVerity, RootVeritySig:
		prefix = "root-"
	case Usr, UsrVerity, UsrVeritySig:
		prefix = "usr-"
	default:
		return r.String()
	}
	switch r {
	case RootVerity, UsrVerity:
		suffix = "-verity"
	case RootVeritySig, UsrVeritySig:
		suffix = "-verity-sig"
	}
	return prefix + string(a) + suffix
}

// guid returns the type GUID of e. The table is constant and tested, so a
// bad entry is a programmer bug.
func (e typeEntry) guid() gpt.GUID {
	var b [16]byte
	if len(e.hex) != 2*len(b) {
		panic("dps: bad type table entry " + e.hex)
	}
	if _, err := hex.Decode(b[:], []byte(e.hex)); err != nil {
		panic("dps: bad type table entry " + e.hex)
	}
	return gpt.GUIDFromBytes(b)
}

// maxQuoted bounds how much of an input string an error message repeats.
const maxQuoted = 64

func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}
