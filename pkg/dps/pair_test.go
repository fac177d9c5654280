package dps

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/gpt"
)

func unhexT(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPairUUIDs(t *testing.T) {
	for _, c := range []struct {
		name, hash      string
		data, verity    string // text form; "" when an error is wanted
		dataDisk        []byte // on-disk bytes of data, if checked
		guessRoundTrips bool
	}{
		{
			// dps.md §4.3's example.
			name:            "sha256",
			hash:            "0123456789abcdef0123456789abcdef" + "fedcba9876543210fedcba9876543210",
			data:            "01234567-89ab-cdef-0123-456789abcdef",
			verity:          "fedcba98-7654-3210-fedc-ba9876543210",
			dataDisk:        []byte{0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef},
			guessRoundTrips: true,
		},
		{
			// sha1: 20 bytes, the halves overlap in bytes 4-15.
			name:   "sha1",
			hash:   "00112233445566778899aabbccddeeff01234567",
			data:   "00112233-4455-6677-8899-aabbccddeeff",
			verity: "44556677-8899-aabb-ccdd-eeff01234567",
		},
		{
			// sha512: the middle 32 bytes are not used.
			name:   "sha512",
			hash:   "0102030405060708090a0b0c0d0e0f10" + strings.Repeat("ff", 32) + "a1a2a3a4a5a6a7a8a9aaabacadaeafb0",
			data:   "01020304-0506-0708-090a-0b0c0d0e0f10",
			verity: "a1a2a3a4-a5a6-a7a8-a9aa-abacadaeafb0",
		},
		{
			// 16 bytes: both UUIDs are the same bytes.
			name:   "16 bytes",
			hash:   "0123456789abcdef0123456789abcdef",
			data:   "01234567-89ab-cdef-0123-456789abcdef",
			verity: "01234567-89ab-cdef-0123-456789abcdef",
		},
		{name: "15 bytes", hash: "0123456789abcdef0123456789abcd"},
		{name: "empty", hash: ""},
		{name: "zero first half", hash: strings.Repeat("00", 16) + strings.Repeat("11", 16)},
		{name: "zero last half", hash: strings.Repeat("11", 16) + strings.Repeat("00", 16)},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := unhexT(t, c.hash)
			d, v, err := PairUUIDs(h)
			if c.data == "" {
				if err == nil {
					t.Fatalf("PairUUIDs(%s) = %s, %s; want an error", c.hash, d, v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != c.data || v.String() != c.verity {
				t.Errorf("PairUUIDs(%s) = %s, %s; want %s, %s", c.hash, d, v, c.data, c.verity)
			}
			if c.dataDisk != nil && !bytes.Equal(d[:], c.dataDisk) {
				t.Errorf("on-disk bytes % x, want % x", d[:], c.dataDisk)
			}
			// The text form is the hash's hex digits in order.
			if got := strings.ReplaceAll(d.String(), "-", ""); got != c.hash[:32] {
				t.Errorf("data %s is not the first 32 digits of %s", d, c.hash)
			}
			if got := strings.ReplaceAll(v.String(), "-", ""); got != c.hash[len(c.hash)-32:] {
				t.Errorf("verity %s is not the last 32 digits of %s", v, c.hash)
			}
			if g := GuessRootHash(d, v); bytes.Equal(g, h) != c.guessRoundTrips {
				t.Errorf("GuessRootHash = %x, hash %x, round trip want %v", g, h, c.guessRoundTrips)
			}
		})
	}
}

func TestGuessRootHash(t *testing.T) {
	d := mustGUID(t, "01234567-89ab-cdef-0123-456789abcdef")
	v := mustGUID(t, "fedcba98-7654-3210-fedc-ba9876543210")
	want := "0123456789abcdef0123456789abcdeffedcba9876543210fedcba9876543210"
	if got := hex.EncodeToString(GuessRootHash(d, v)); got != want {
		t.Errorf("GuessRootHash = %s, want %s", got, want)
	}
}

// TestPairUUIDsSfdisk gives sfdisk the text forms of PairUUIDs' results and
// checks that the GPT it writes holds exactly the GUIDs PairUUIDs returned,
// as read by package gpt, and that sfdisk prints the same text back. This
// is the byte order the kernel, udev and systemd see. sfdisk must be
// installed: a missing tool fails the test.
func TestPairUUIDsSfdisk(t *testing.T) {
	sfdisk, err := exec.LookPath("sfdisk")
	if err != nil {
		t.Fatalf("sfdisk is required for this test: %v", err)
	}
	rootHash := unhexT(t, "3f6b2c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c")
	data, verity, err := PairUUIDs(rootHash)
	if err != nil {
		t.Fatal(err)
	}
	rootType, _ := TypeGUID(Root, ArchX86_64)
	verityType, _ := TypeGUID(RootVerity, ArchX86_64)

	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 8<<20); err != nil {
		t.Fatal(err)
	}
	script := "label: gpt\n" +
		"size=2MiB, type=" + rootType.String() + ", uuid=" + strings.ToUpper(data.String()) + ", name=root-a\n" +
		"size=1MiB, type=" + verityType.String() + ", uuid=" + verity.String() + ", name=root-a-verity\n"
	cmd := exec.Command(sfdisk, "--no-reread", "--no-tell-kernel", "-q", img)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}

	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := gpt.Read(f, 8<<20, 512)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Partitions) != 2 {
		t.Fatalf("%d partitions", len(tab.Partitions))
	}
	if got := tab.Partitions[0].UUID; got != data {
		t.Errorf("data partition UUID on disk % x, PairUUIDs % x", got[:], data[:])
	}
	if got := tab.Partitions[1].UUID; got != verity {
		t.Errorf("verity partition UUID on disk % x, PairUUIDs % x", got[:], verity[:])
	}
	if g := GuessRootHash(tab.Partitions[0].UUID, tab.Partitions[1].UUID); !bytes.Equal(g, rootHash) {
		t.Errorf("GuessRootHash from the disk = %x, want %x", g, rootHash)
	}
	d := Disk{Name: img, Table: tab}
	if v, h, err := FindVerity(d, tab.Partitions[0], rootHash); err != nil || v.Number != 2 || !bytes.Equal(h, rootHash) {
		t.Errorf("FindVerity = partition %d, %x, %v", v.Number, h, err)
	}

	out, err := exec.Command(sfdisk, "--json", img).Output()
	if err != nil {
		t.Fatalf("sfdisk --json: %v", err)
	}
	var j struct {
		PT struct {
			Partitions []struct {
				UUID string `json:"uuid"`
			} `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &j); err != nil || len(j.PT.Partitions) != 2 {
		t.Fatalf("sfdisk --json: %v\n%s", err, out)
	}
	if got, want := strings.ToLower(j.PT.Partitions[0].UUID), dashed(hex.EncodeToString(rootHash[:16])); got != want {
		t.Errorf("sfdisk shows data UUID %s, want %s", got, want)
	}
	if got := strings.ToLower(j.PT.Partitions[1].UUID); got != verity.String() {
		t.Errorf("sfdisk shows verity UUID %s, want %s", got, verity)
	}
}
