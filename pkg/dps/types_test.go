package dps

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/gpt"
)

func mustGUID(t testing.TB, s string) gpt.GUID {
	t.Helper()
	g, err := gpt.ParseGUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// dashed inserts the dashes into 32 hex digits.
func dashed(h string) string {
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// TestTypeTableMatchesSystemd checks every name and UUID that systemd 252
// prints with "systemd-id128 show" on x86-64 (testdata/README.md) against
// TypeName and TypeGUID, and that the table has nothing systemd lacks.
func TestTypeTableMatchesSystemd(t *testing.T) {
	f, err := os.Open("testdata/systemd-id128-show.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[gpt.GUID]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || fields[0] == "NAME" {
			continue
		}
		name, g := fields[0], mustGUID(t, dashed(fields[1]))
		// Names systemd gives the types of the machine it runs on.
		alias := map[string]struct {
			r Role
			a Arch
		}{
			"root": {Root, ArchX86_64}, "root-verity": {RootVerity, ArchX86_64}, "root-verity-sig": {RootVeritySig, ArchX86_64},
			"usr": {Usr, ArchX86_64}, "usr-verity": {UsrVerity, ArchX86_64}, "usr-verity-sig": {UsrVeritySig, ArchX86_64},
			"root-secondary": {Root, ArchX86}, "root-secondary-verity": {RootVerity, ArchX86}, "root-secondary-verity-sig": {RootVeritySig, ArchX86},
			"usr-secondary": {Usr, ArchX86}, "usr-secondary-verity": {UsrVerity, ArchX86}, "usr-secondary-verity-sig": {UsrVeritySig, ArchX86},
		}
		if a, ok := alias[name]; ok {
			if want, _ := TypeGUID(a.r, a.a); want != g {
				t.Errorf("systemd's %s is %s, TypeGUID(%v, %s) = %s", name, g, a.r, a.a, want)
			}
			continue
		}
		if got := TypeName(g); got != name {
			t.Errorf("TypeName(%s) = %q, systemd calls it %q", g, got, name)
		}
		seen[g] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range typeTable {
		if g := e.guid(); !seen[g] {
			t.Errorf("%s (%s) is not in systemd's list", typeName(e.role, e.arch), g)
		}
	}
	if len(seen) != len(typeTable) {
		t.Errorf("systemd lists %d types, the table has %d", len(seen), len(typeTable))
	}
}

// specArches maps the architecture descriptions of the DPS table to Arch.
var specArches = map[string]Arch{
	"Alpha": ArchAlpha, "ARC": ArchARC, "32-bit ARM": ArchARM, "64-bit ARM/AArch64": ArchARM64,
	"Itanium/IA-64": ArchIA64, "LoongArch 64-bit": ArchLoongArch64,
	"32-bit MIPS BigEndian (mips)": ArchMIPS, "64-bit MIPS BigEndian (mips64)": ArchMIPS64,
	"32-bit MIPS LittleEndian (mipsel)": ArchMIPSLE, "64-bit MIPS LittleEndian (mips64el)": ArchMIPS64LE,
	"HPPA/PARISC": ArchPARISC, "32-bit PowerPC": ArchPPC, "64-bit PowerPC BigEndian": ArchPPC64,
	"64-bit PowerPC LittleEndian": ArchPPC64LE, "RISC-V 32-bit": ArchRISCV32, "RISC-V 64-bit": ArchRISCV64,
	"s390": ArchS390, "s390x": ArchS390X, "TILE-Gx": ArchTILEGX, "x86": ArchX86, "amd64/x86_64": ArchX86_64,
}

// specRoles maps the partition descriptions of the DPS table to Role.
var specRoles = map[string]Role{
	"Root Partition": Root, "Root Verity Partition": RootVerity, "Root Verity Signature Partition": RootVeritySig,
	"`/usr/` Partition": Usr, "`/usr/` Verity Partition": UsrVerity, "`/usr/` Verity Signature Partition": UsrVeritySig,
	"EFI System Partition": ESP, "Extended Boot Loader Partition": XBOOTLDR, "Swap": Swap,
	"Home Partition": Home, "Server Data Partition": Srv, "Variable Data Partition": Var,
	"Temporary Data Partition": Tmp, "Per-user Home Partition": UserHome, "Generic Linux Data Partition": LinuxGeneric,
}

// TestTypeTableMatchesSpec checks the table against the one in the DPS
// (testdata/dps-spec-types.tsv, extracted as testdata/README.md says).
func TestTypeTableMatchesSpec(t *testing.T) {
	b, err := os.ReadFile("testdata/dps-spec-types.tsv")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		uuid, desc, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		role, arch := desc, ""
		if i := strings.Index(desc, " ("); i >= 0 && strings.HasSuffix(desc, ")") {
			role, arch = desc[:i], desc[i+2:len(desc)-1]
		}
		r, ok := specRoles[role]
		if !ok {
			t.Errorf("unknown role in %q", desc)
			continue
		}
		a, ok := specArches[arch]
		if arch != "" && !ok {
			t.Errorf("unknown architecture in %q", desc)
			continue
		}
		g, ok := TypeGUID(r, a)
		if !ok || g.String() != uuid {
			t.Errorf("%s: TypeGUID(%v, %q) = %s, %v; the specification says %s", desc, r, a, g, ok, uuid)
		}
		gr, ga, ok := Identify(mustGUID(t, uuid))
		if !ok || gr != r || ga != a {
			t.Errorf("%s: Identify(%s) = %v, %q, %v", desc, uuid, gr, ga, ok)
		}
		n++
	}
	if n != len(typeTable) {
		t.Errorf("the specification lists %d types, the table has %d", n, len(typeTable))
	}
}

func TestTypeGUID(t *testing.T) {
	for _, c := range []struct {
		r    Role
		a    Arch
		want string // "" for not defined
	}{
		{Root, ArchX86_64, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
		{RootVerity, ArchX86_64, "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"},
		{RootVeritySig, ArchX86_64, "41092b05-9fc8-4523-994f-2def0408b176"},
		{Root, ArchX86, "44479540-f297-41b2-9af7-d131d5f0458a"},
		{RootVerity, ArchARM64, "df3300ce-d69f-4c92-978c-9bfb0f38d820"},
		{RootVeritySig, ArchARM, "42b0455f-eb11-491d-98d3-56145ba9d037"},
		{Usr, ArchRISCV64, "beaec34b-8442-439b-a40b-984381ed097d"},
		{UsrVeritySig, ArchRISCV64, "d2f9000a-7a18-453f-b5cd-4d32f77a7b32"},
		{Root, ArchLoongArch64, "77055800-792c-4f94-b39a-98c91b762bb6"},
		{Root, ArchPPC64LE, "c31c45e6-3f39-412e-80fb-4809c4980599"},
		{Root, ArchS390X, "5eead9a9-fe09-4a1e-a1d7-520d00531306"},
		{ESP, "", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
		{ESP, ArchARM64, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"}, // arch ignored
		{XBOOTLDR, "", "bc13c2ff-59e6-4262-a352-b275fd6f7172"},
		{LinuxGeneric, "", "0fc63daf-8483-4772-8e79-3d69d8477de4"},
		{Root, "", ""},
		{Root, "sparc", ""},
		{0, ArchX86_64, ""},
		{Role(99), "", ""},
	} {
		g, ok := TypeGUID(c.r, c.a)
		if ok != (c.want != "") || ok && g.String() != c.want {
			t.Errorf("TypeGUID(%v, %q) = %s, %v; want %q", c.r, c.a, g, ok, c.want)
		}
	}
}

func TestIdentifyRoundTrip(t *testing.T) {
	for _, e := range typeTable {
		g, ok := TypeGUID(e.role, e.arch)
		if !ok {
			t.Fatalf("TypeGUID(%v, %q) not found", e.role, e.arch)
		}
		r, a, ok := Identify(g)
		if !ok || r != e.role || a != e.arch {
			t.Errorf("Identify(%s) = %v, %q, %v; want %v, %q", g, r, a, ok, e.role, e.arch)
		}
		if strings.ReplaceAll(g.String(), "-", "") != e.hex {
			t.Errorf("%s prints as %s", e.hex, g)
		}
	}
	if r, a, ok := Identify(gpt.GUID{}); ok {
		t.Errorf("Identify(zero) = %v, %q, true", r, a)
	}
	// A DPS type with its bytes in text order instead of on-disk order
	// is not a DPS type.
	g, _ := TypeGUID(Root, ArchX86_64)
	swapped := gpt.GUID(g.Bytes())
	if _, _, ok := Identify(swapped); ok {
		t.Errorf("Identify(%s) found a type", swapped)
	}
}

func TestTypeName(t *testing.T) {
	for _, c := range []struct{ uuid, want string }{
		{"4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "root-x86-64"},
		{"2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "root-x86-64-verity"},
		{"41092b05-9fc8-4523-994f-2def0408b176", "root-x86-64-verity-sig"},
		{"df3300ce-d69f-4c92-978c-9bfb0f38d820", "root-arm64-verity"},
		{"8484680c-9521-48c6-9c11-b0720656f69e", "usr-x86-64"},
		{"ee2b9983-21e8-4153-86d9-b6901a54d1ce", "usr-ppc64-le-verity"},
		{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "esp"},
		{"bc13c2ff-59e6-4262-a352-b275fd6f7172", "xbootldr"},
		{"0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "swap"},
		{"773f91ef-66d4-49b5-bd83-d683bf40ad16", "user-home"},
		{"0fc63daf-8483-4772-8e79-3d69d8477de4", "linux-generic"},
		{"ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", ""}, // Microsoft basic data
		{"00000000-0000-0000-0000-000000000000", ""},
	} {
		if got := TypeName(mustGUID(t, c.uuid)); got != c.want {
			t.Errorf("TypeName(%s) = %q, want %q", c.uuid, got, c.want)
		}
	}
}

func TestRoleString(t *testing.T) {
	for r, want := range map[Role]string{
		Root: "root", RootVerity: "root-verity", RootVeritySig: "root-verity-sig",
		Usr: "usr", UsrVerity: "usr-verity", UsrVeritySig: "usr-verity-sig",
		ESP: "esp", XBOOTLDR: "xbootldr", Swap: "swap", Home: "home", Srv: "srv",
		Var: "var", Tmp: "tmp", UserHome: "user-home", LinuxGeneric: "linux-generic",
		0: "Role(0)", -1: "Role(-1)", LinuxGeneric + 1: "Role(16)",
	} {
		if got := r.String(); got != want {
			t.Errorf("Role(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}

func TestParseArch(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    Arch
		wantErr bool
	}{
		{"x86-64", ArchX86_64, false},
		{"x86_64", ArchX86_64, false},
		{"amd64", ArchX86_64, false},
		{"x86", ArchX86, false},
		{"i686", ArchX86, false},
		{"386", ArchX86, false},
		{"arm64", ArchARM64, false},
		{"aarch64", ArchARM64, false},
		{"arm", ArchARM, false},
		{"riscv64", ArchRISCV64, false},
		{"riscv32", ArchRISCV32, false},
		{"loongarch64", ArchLoongArch64, false},
		{"loong64", ArchLoongArch64, false},
		{"ppc64-le", ArchPPC64LE, false},
		{"ppc64le", ArchPPC64LE, false},
		{"s390x", ArchS390X, false},
		{"mips64el", ArchMIPS64LE, false},
		{"hppa", ArchPARISC, false},
		{"", "", true},
		{"X86-64", "", true},
		{"sparc64", "", true},
		{"root", "", true},
	} {
		got, err := ParseArch(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseArch(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestNativeArch(t *testing.T) {
	for goarch, want := range map[string]Arch{
		"amd64": ArchX86_64, "386": ArchX86, "arm64": ArchARM64, "arm": ArchARM,
		"riscv64": ArchRISCV64, "loong64": ArchLoongArch64, "ppc64le": ArchPPC64LE,
		"ppc64": ArchPPC64, "s390x": ArchS390X, "mips": ArchMIPS, "mipsle": ArchMIPSLE,
		"mips64": ArchMIPS64, "mips64le": ArchMIPS64LE, "wasm": "",
	} {
		got := archOfGOARCH(goarch)
		if got != want {
			t.Errorf("archOfGOARCH(%q) = %q, want %q", goarch, got, want)
		}
		if got != "" {
			if _, ok := TypeGUID(Root, got); !ok {
				t.Errorf("no root type for %q", got)
			}
			if back := got.GOARCH(); back != goarch {
				t.Errorf("%s.GOARCH() = %q, want %q", got, back, goarch)
			}
		}
	}
	if g := ArchIA64.GOARCH(); g != "" {
		t.Errorf("ia64.GOARCH() = %q, want none", g)
	}
	if got, want := NativeArch(), archOfGOARCH(runtime.GOARCH); got != want {
		t.Errorf("NativeArch() = %q, want %q", got, want)
	}
}

func TestFlags(t *testing.T) {
	// dps.md §3 and the specification: bits 63, 60 and 59.
	if FlagNoAuto != 0x8000000000000000 || FlagReadOnly != 0x1000000000000000 || FlagGrowFS != 0x0800000000000000 {
		t.Fatalf("flag values %#x %#x %#x", FlagNoAuto, FlagReadOnly, FlagGrowFS)
	}
	for _, c := range []struct {
		attrs              uint64
		noAuto, ro, growfs bool
	}{
		{0, false, false, false},
		{1<<63 | 1<<60, true, true, false},
		{1 << 59, false, false, true},
		{7, false, false, false}, // the generic UEFI bits 0-2
		{1<<62 | 1<<61 | 1<<58, false, false, false},
		{^uint64(0), true, true, true},
	} {
		if NoAuto(c.attrs) != c.noAuto || ReadOnly(c.attrs) != c.ro || GrowFS(c.attrs) != c.growfs {
			t.Errorf("attrs %#x: NoAuto %v ReadOnly %v GrowFS %v", c.attrs, NoAuto(c.attrs), ReadOnly(c.attrs), GrowFS(c.attrs))
		}
	}
}
