package dps

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/gpt"
)

// uid returns a distinct non-zero GUID for n.
func uid(n int) gpt.GUID {
	var g gpt.GUID
	g[0], g[1], g[15] = byte(n), byte(n>>8), 0x5a
	return g
}

// typ returns the type GUID of r on a, or a non-DPS GUID for role 0.
func typ(t testing.TB, r Role, a Arch) gpt.GUID {
	t.Helper()
	if r == 0 {
		return mustGUID(t, "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7")
	}
	g, ok := TypeGUID(r, a)
	if !ok {
		t.Fatalf("no type %v %s", r, a)
	}
	return g
}

type pspec struct {
	num   int
	role  Role
	arch  Arch
	uuid  gpt.GUID
	name  string
	attrs uint64
}

func mkDisk(t testing.TB, name string, boot bool, ps ...pspec) Disk {
	t.Helper()
	tab := &gpt.Table{SectorSize: 512}
	for _, p := range ps {
		u := p.uuid
		if u.IsZero() {
			u = uid(p.num + 1000*len(name))
		}
		tab.Partitions = append(tab.Partitions, gpt.Partition{
			Number: p.num, Type: typ(t, p.role, p.arch), UUID: u, Name: p.name, Attributes: p.attrs,
			FirstLBA: uint64(2048 * p.num), LastLBA: uint64(2048*p.num + 2047),
		})
	}
	return Disk{Name: name, Table: tab, Boot: boot}
}

func TestSelectRoot(t *testing.T) {
	x := ArchX86_64
	for _, c := range []struct {
		name                string
		disks               []Disk
		arch                Arch
		want                string // "disk:number" of the chosen root
		wantErr             string // substring of the error
		notFound, ambiguous bool
		nMatches            int // for ambiguous
	}{
		{
			name:  "one root",
			disks: []Disk{mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, name: "root"})},
			arch:  x, want: "vda:1",
		},
		{
			name: "newest label wins",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root-a"},
				pspec{num: 2, role: RootVerity, arch: x, name: "root-a-verity"},
				pspec{num: 3, role: Root, arch: x, name: "root-b"},
				pspec{num: 4, role: RootVerity, arch: x, name: "root-b-verity"})},
			arch: x, want: "vda:3",
		},
		{
			name: "versioned labels",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "fooOS_2021.10"},
				pspec{num: 2, role: Root, arch: x, name: "fooOS_2021.4"})},
			arch: x, want: "vda:1",
		},
		{
			name: "tie: the earlier wins",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root"},
				pspec{num: 2, role: Root, arch: x, name: "root"})},
			arch: x, want: "vda:1",
		},
		{
			name: "no-auto skipped",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root-a"},
				pspec{num: 3, role: Root, arch: x, name: "root-b", attrs: FlagNoAuto})},
			arch: x, want: "vda:1",
		},
		{
			name: "read-only and grow-fs do not matter",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root-a", attrs: FlagReadOnly | FlagGrowFS | 7})},
			arch: x, want: "vda:1",
		},
		{
			name: "reserved labels skipped",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "os_1"},
				pspec{num: 2, role: Root, arch: x, name: "_empty"},
				pspec{num: 3, role: Root, arch: x, name: "PRT#os_3"},
				pspec{num: 4, role: Root, arch: x, name: "PND#os_4"})},
			arch: x, want: "vda:1",
		},
		{
			name:  "only no-auto",
			disks: []Disk{mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, name: "root", attrs: FlagNoAuto})},
			arch:  x, notFound: true,
		},
		{
			name: "other architectures and types do not count",
			disks: []Disk{mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: ArchX86, name: "root-x86"},
				pspec{num: 2, role: Root, arch: ArchARM64, name: "root-arm64"},
				pspec{num: 3, role: Usr, arch: x, name: "usr"},
				pspec{num: 4, role: RootVerity, arch: x, name: "verity"},
				pspec{num: 5, role: LinuxGeneric, name: "data"},
				pspec{num: 6, role: 0, name: "windows"})},
			arch: x, notFound: true,
		},
		{
			name:  "arm64",
			disks: []Disk{mkDisk(t, "mmcblk0", false, pspec{num: 1, role: Root, arch: x}, pspec{num: 2, role: Root, arch: ArchARM64})},
			arch:  ArchARM64, want: "mmcblk0:2",
		},
		{
			name: "the boot disk is searched, even if another has a newer root",
			disks: []Disk{
				mkDisk(t, "sda", false, pspec{num: 1, role: Root, arch: x, name: "root-z"}),
				mkDisk(t, "vda", true, pspec{num: 1, role: ESP, name: "esp"}, pspec{num: 2, role: Root, arch: x, name: "root-a"}),
			},
			arch: x, want: "vda:2",
		},
		{
			name: "a boot disk without a root is not found, other disks are not tried",
			disks: []Disk{
				mkDisk(t, "sda", false, pspec{num: 1, role: Root, arch: x, name: "root"}),
				mkDisk(t, "vda", true, pspec{num: 1, role: ESP, name: "esp"}),
			},
			arch: x, notFound: true, wantErr: "boot disk vda holds no root-x86-64 partition",
		},
		{
			name: "two boot disks",
			disks: []Disk{
				mkDisk(t, "vda", true, pspec{num: 1, role: Root, arch: x}),
				mkDisk(t, "sda", true, pspec{num: 1, role: Root, arch: x}),
			},
			arch: x, wantErr: "is on 2 disks (vda, sda)",
		},
		{
			name: "no boot disk, one disk with a root",
			disks: []Disk{
				{Name: "sr0"},
				mkDisk(t, "sda", false, pspec{num: 1, role: LinuxGeneric}),
				mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, name: "root-a"}, pspec{num: 2, role: Root, arch: x, name: "root-b"}),
			},
			arch: x, want: "vda:2",
		},
		{
			name: "no boot disk, two disks with roots (a USB stick made from the image)",
			disks: []Disk{
				mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, name: "root-a"}, pspec{num: 3, role: Root, arch: x, name: "root-b"}),
				mkDisk(t, "sda", false, pspec{num: 1, role: Root, arch: x, name: "root-a"}),
			},
			arch: x, ambiguous: true, nMatches: 3, wantErr: "2 disks hold one",
		},
		{
			name:     "no disks",
			arch:     x,
			notFound: true,
		},
		{
			name:    "unknown architecture",
			disks:   []Disk{mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x})},
			arch:    "sparc",
			wantErr: "unknown architecture",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := SelectRoot(c.disks, c.arch)
			if c.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				if s := fmt.Sprintf("%s:%d", got.Disk.Name, got.Partition.Number); s != c.want {
					t.Errorf("SelectRoot chose %s (%s), want %s", s, got, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("SelectRoot chose %s, want an error", got)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q does not contain %q", err, c.wantErr)
			}
			if errors.Is(err, ErrNotFound) != c.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, !c.notFound)
			}
			var amb *AmbiguousError
			if errors.As(err, &amb) != c.ambiguous {
				t.Errorf("error %v: *AmbiguousError %v, want %v", err, !c.ambiguous, c.ambiguous)
			}
			if amb != nil && len(amb.Matches) != c.nMatches {
				t.Errorf("%d matches, want %d: %v", len(amb.Matches), c.nMatches, err)
			}
		})
	}
}

func TestAmbiguousErrorText(t *testing.T) {
	d1 := mkDisk(t, "/dev/vda", false, pspec{num: 1, role: Root, arch: ArchX86_64, name: "root-a", uuid: mustGUID(t, "01234567-89ab-cdef-0123-456789abcdef")})
	d2 := mkDisk(t, "/dev/sda", false, pspec{num: 2, role: Root, arch: ArchX86_64, name: "root-a", uuid: mustGUID(t, "01234567-89ab-cdef-0123-456789abcdef")})
	_, err := SelectRoot([]Disk{d1, d2}, ArchX86_64)
	want := `dps: ambiguous root-x86-64 partition: 2 disks hold one and the boot loader named no boot disk (LoaderDevicePartUUID); ` +
		`refusing to guess between /dev/vda partition 1 "root-a" (root-x86-64, PARTUUID 01234567-89ab-cdef-0123-456789abcdef), ` +
		`/dev/sda partition 2 "root-a" (root-x86-64, PARTUUID 01234567-89ab-cdef-0123-456789abcdef)`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

func TestIsBootDisk(t *testing.T) {
	esp := mustGUID(t, "5a4b3c2d-1e0f-4a1b-8c2d-3e4f5a6b7c8d")
	d := mkDisk(t, "vda", false,
		pspec{num: 1, role: ESP, uuid: esp},
		pspec{num: 2, role: XBOOTLDR, uuid: uid(2)},
		pspec{num: 3, role: LinuxGeneric, uuid: uid(3)},
		pspec{num: 4, role: Root, arch: ArchX86_64, uuid: uid(4)})
	for _, c := range []struct {
		name string
		uuid gpt.GUID
		want bool
	}{
		{"ESP", esp, true},
		{"XBOOTLDR", uid(2), true},
		{"generic Linux data is not a boot partition", uid(3), false},
		{"root is not a boot partition", uid(4), false},
		{"absent", uid(9), false},
		{"zero", gpt.GUID{}, false},
	} {
		if got := IsBootDisk(d.Table, c.uuid); got != c.want {
			t.Errorf("%s: IsBootDisk = %v", c.name, got)
		}
	}
	if IsBootDisk(nil, esp) {
		t.Error("IsBootDisk(nil) = true")
	}
}

func TestFindVerityWithHash(t *testing.T) {
	x := ArchX86_64
	hashA := unhexT(t, "0123456789abcdef0123456789abcdef"+"fedcba9876543210fedcba9876543210")
	dA, vA, _ := PairUUIDs(hashA)
	hashB := unhexT(t, "1111111111111111111111111111111122222222222222222222222222222222")
	dB, vB, _ := PairUUIDs(hashB)

	ab := mkDisk(t, "vda", false,
		pspec{num: 1, role: Root, arch: x, uuid: dA, name: "root-a"},
		pspec{num: 2, role: RootVerity, arch: x, uuid: vA, name: "root-a-verity"},
		pspec{num: 3, role: Root, arch: x, uuid: dB, name: "root-b"},
		pspec{num: 4, role: RootVerity, arch: x, uuid: vB, name: "root-b-verity"})
	part := func(d Disk, n int) gpt.Partition {
		for _, p := range d.Table.Partitions {
			if p.Number == n {
				return p
			}
		}
		t.Fatalf("no partition %d", n)
		return gpt.Partition{}
	}

	for _, c := range []struct {
		name     string
		disk     Disk
		data     gpt.Partition
		hash     []byte
		want     int
		wantErr  string
		notFound bool
		amb      bool
	}{
		{name: "slot A", disk: ab, data: part(ab, 1), hash: hashA, want: 2},
		{name: "slot B", disk: ab, data: part(ab, 3), hash: hashB, want: 4},
		{name: "data does not match the hash", disk: ab, data: part(ab, 1), hash: hashB, wantErr: "does not belong to root hash 1111"},
		{name: "short hash", disk: ab, data: part(ab, 1), hash: hashA[:15], wantErr: "too short"},
		{
			name: "verity missing",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, uuid: dA}),
			hash: hashA, notFound: true, wantErr: "no root-x86-64-verity partition with PARTUUID fedcba98-7654-3210-fedc-ba9876543210",
		},
		{
			name: "verity has no-auto",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, uuid: dA}, pspec{num: 2, role: RootVerity, arch: x, uuid: vA, attrs: FlagNoAuto}),
			hash: hashA, notFound: true, wantErr: "has the no-auto flag",
		},
		{
			name: "verity has a reserved label",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, uuid: dA}, pspec{num: 2, role: RootVerity, arch: x, uuid: vA, name: "PRT#v"}),
			hash: hashA, notFound: true, wantErr: "has a reserved label",
		},
		{
			name: "the UUID on a partition of another type",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, uuid: dA}, pspec{num: 2, role: LinuxGeneric, uuid: vA}),
			hash: hashA, notFound: true, wantErr: "(linux-generic, PARTUUID fedcba98-7654-3210-fedc-ba9876543210) is not a root-x86-64-verity partition",
		},
		{
			name: "verity of another architecture",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, uuid: dA}, pspec{num: 2, role: RootVerity, arch: ArchX86, uuid: vA}),
			hash: hashA, notFound: true, wantErr: "is not a root-x86-64-verity partition",
		},
		{
			name: "duplicate verity UUIDs",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, uuid: dA}, pspec{num: 2, role: RootVerity, arch: x, uuid: vA}, pspec{num: 3, role: RootVerity, arch: x, uuid: vA}),
			hash: hashA, amb: true, wantErr: "several have PARTUUID fedcba98",
		},
		{
			name: "/usr",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Usr, arch: x, uuid: dA}, pspec{num: 2, role: RootVerity, arch: x, uuid: uid(7)}, pspec{num: 3, role: UsrVerity, arch: x, uuid: vA}),
			hash: hashA, want: 3,
		},
		{
			name: "data is not a root partition",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: LinuxGeneric, uuid: dA}, pspec{num: 2, role: RootVerity, arch: x, uuid: vA}),
			hash: hashA, wantErr: "is not a DPS root or /usr partition",
		},
		{
			name: "data is on another disk",
			disk: mkDisk(t, "sda", false, pspec{num: 2, role: RootVerity, arch: x, uuid: vA}),
			data: part(ab, 1), hash: hashA, wantErr: "is not on sda",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if data.Number == 0 {
				data = c.disk.Table.Partitions[0]
			}
			v, h, err := FindVerity(c.disk, data, c.hash)
			if c.want != 0 {
				if err != nil {
					t.Fatal(err)
				}
				if v.Number != c.want || !bytes.Equal(h, c.hash) {
					t.Errorf("FindVerity = partition %d, hash %x; want %d, %x", v.Number, h, c.want, c.hash)
				}
				return
			}
			if err == nil {
				t.Fatalf("FindVerity = partition %d, want an error", v.Number)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q does not contain %q", err, c.wantErr)
			}
			if errors.Is(err, ErrNotFound) != c.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, !c.notFound)
			}
			var amb *AmbiguousError
			if errors.As(err, &amb) != c.amb {
				t.Errorf("*AmbiguousError %v, want %v: %v", !c.amb, c.amb, err)
			}
		})
	}
}

func TestFindVerityWithoutHash(t *testing.T) {
	x := ArchX86_64
	for _, c := range []struct {
		name     string
		disk     Disk
		data     int // partition number
		want     int
		wantErr  string
		notFound bool
		amb      bool
	}{
		{
			name: "the only one",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x, name: "a"}, pspec{num: 2, role: RootVerity, arch: x, name: "b"}),
			data: 1, want: 2,
		},
		{
			name: "labelled like the data partition, even if older",
			disk: mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root-a"},
				pspec{num: 2, role: RootVerity, arch: x, name: "root-a-verity"},
				pspec{num: 3, role: Root, arch: x, name: "root-b", attrs: FlagNoAuto},
				pspec{num: 4, role: RootVerity, arch: x, name: "root-b-verity"}),
			data: 1, want: 2,
		},
		{
			name: "mkosi labels",
			disk: mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "os_1.2"},
				pspec{num: 2, role: RootVerity, arch: x, name: "os_1.3_verity"},
				pspec{num: 3, role: RootVerity, arch: x, name: "os_1.2_verity"}),
			data: 1, want: 3,
		},
		{
			name: "otherwise the newest",
			disk: mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "os"},
				pspec{num: 2, role: RootVerity, arch: x, name: "v2"},
				pspec{num: 3, role: RootVerity, arch: x, name: "v10"}),
			data: 1, want: 3,
		},
		{
			name: "a tie is refused",
			disk: mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root"},
				pspec{num: 2, role: RootVerity, arch: x, name: "verity"},
				pspec{num: 3, role: RootVerity, arch: x, name: "verity"}),
			data: 1, amb: true, wantErr: "neither the labels nor their versions tell",
		},
		{
			name: "no-auto verity partitions do not count",
			disk: mkDisk(t, "vda", false,
				pspec{num: 1, role: Root, arch: x, name: "root"},
				pspec{num: 2, role: RootVerity, arch: x, name: "verity", attrs: FlagNoAuto},
				pspec{num: 3, role: RootVerity, arch: x, name: "verity"}),
			data: 1, want: 3,
		},
		{
			name: "none",
			disk: mkDisk(t, "vda", false, pspec{num: 1, role: Root, arch: x}, pspec{num: 2, role: RootVerity, arch: ArchARM64}),
			data: 1, notFound: true, wantErr: "no root-x86-64-verity partition without the no-auto flag on vda",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var data gpt.Partition
			for _, p := range c.disk.Table.Partitions {
				if p.Number == c.data {
					data = p
				}
			}
			v, h, err := FindVerity(c.disk, data, nil)
			if c.want != 0 {
				if err != nil {
					t.Fatal(err)
				}
				if v.Number != c.want {
					t.Errorf("FindVerity = partition %d, want %d", v.Number, c.want)
				}
				if want := GuessRootHash(data.UUID, v.UUID); !bytes.Equal(h, want) {
					t.Errorf("hash %x, want %x", h, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("FindVerity = partition %d, want an error", v.Number)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q does not contain %q", err, c.wantErr)
			}
			if errors.Is(err, ErrNotFound) != c.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, !c.notFound)
			}
			var amb *AmbiguousError
			if errors.As(err, &amb) != c.amb {
				t.Errorf("*AmbiguousError %v, want %v: %v", !c.amb, c.amb, err)
			}
		})
	}
}

func TestFindVeritySig(t *testing.T) {
	x := ArchX86_64
	d := mkDisk(t, "vda", false,
		pspec{num: 1, role: Root, arch: x, name: "root-a"},
		pspec{num: 2, role: RootVerity, arch: x, name: "root-a-verity"},
		pspec{num: 3, role: RootVeritySig, arch: x, name: "root-a-verity-sig"},
		pspec{num: 4, role: Root, arch: x, name: "root-b"},
		pspec{num: 5, role: RootVerity, arch: x, name: "root-b-verity"},
		pspec{num: 6, role: RootVeritySig, arch: x, name: "root-b-verity-sig"},
		pspec{num: 7, role: Usr, arch: x, name: "usr"})
	for _, c := range []struct {
		data, want int
		notFound   bool
	}{
		{1, 3, false},
		{4, 6, false},
		{7, 0, true},
	} {
		p, err := FindVeritySig(d, d.Table.Partitions[c.data-1])
		if c.notFound {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("data %d: %v, want ErrNotFound", c.data, err)
			}
			continue
		}
		if err != nil || p.Number != c.want {
			t.Errorf("data %d: FindVeritySig = %d, %v; want %d", c.data, p.Number, err, c.want)
		}
	}
	if _, err := FindVeritySig(d, gpt.Partition{Number: 1, Type: typ(t, LinuxGeneric, "")}); err == nil {
		t.Error("FindVeritySig of a generic partition succeeded")
	}
}

func TestCandidateString(t *testing.T) {
	c := Candidate{Partition: gpt.Partition{Number: 9, Type: mustGUID(t, "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"), UUID: uid(1), Name: "x\"y", Attributes: FlagNoAuto}}
	want := `disk partition 9 "x\"y" (type ebd0a0a2-b9e5-4433-87c0-68b6b72699c7, PARTUUID ` + uid(1).String() + `, no-auto)`
	if got := c.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}
