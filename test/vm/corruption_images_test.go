//go:build vm

package vm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/verinit/verinit/internal/vmtest"
)

// The file whose data block is flipped on disk: read by the test root only
// when verinit_test.read= names it, never by the init or the root's startup.
const (
	blobPath   = "/data/blob"
	blobSize   = 1 << 20
	blobMarker = "VERINIT-CORRUPTION-MARKER-7f3a9c" // unique, so it can be found in the image
	// At 3/4 of the file, beyond any readahead from the start of the device.
	blobMarkerAt = 3 << 18
)

// blobDisk is what `verinit disk create --json --print barebox` printed for
// the blob disk.
type blobDisk struct {
	Slots []struct {
		Bootname string `json:"bootname"`
		RootHash string `json:"root_hash"`
		Cmdline  string `json:"cmdline"`
		Data     struct {
			OffsetBytes int64 `json:"offset_bytes"`
		} `json:"data"`
	} `json:"slots"`
	Barebox struct {
		Entries []struct {
			Path    string `json:"path"`
			Content string `json:"content"`
		} `json:"entries"`
		Bootchooser string `json:"bootchooser"`
	} `json:"barebox"`
}

// corruptImages describes the disks "blob" (an A/B disk made by verinit
// disk create from an uncompressed squashfs root holding blobPath) and
// "blob-a-flip" (the same with one byte of slot A's blob inverted, after the
// hash trees were made).
type corruptImages struct {
	disk    blobDisk
	block   int64  // slot A's data block (4096 bytes) holding the flipped byte
	sumGood string // sha256 of the blob as written
	sumFlip string // sha256 of the blob with the byte flipped
}

func (e *env) makeCorruptImages(c *corruptImages) error {
	img := func(name string) string { return filepath.Join(e.dir, name) }
	dir := img("rootfs-blob")
	if err := vmtest.MakeRootDir(dir, true); err != nil {
		return err
	}
	blob := make([]byte, blobSize)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	copy(blob[blobMarkerAt:], blobMarker)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, blobPath), blob, 0o644); err != nil {
		return err
	}
	// Uncompressed data and no fragments: the blob lies verbatim in the image.
	fs := img("blob.squashfs")
	if err := vmtest.Run(e.dir, "mksquashfs", dir, fs, "-noappend", "-all-root", "-quiet", "-noD", "-noF"); err != nil {
		return err
	}
	sq, err := os.ReadFile(fs)
	if err != nil {
		return err
	}
	if n := bytes.Count(sq, []byte(blobMarker)); n != 1 {
		return fmt.Errorf("blob.squashfs holds the marker %d times, want once", n)
	}
	at := int64(bytes.Index(sq, []byte(blobMarker)))
	c.block = at / 4096
	good := sha256.Sum256(blob)
	blob[blobMarkerAt] ^= 0xff
	flipped := sha256.Sum256(blob)
	c.sumGood, c.sumFlip = hex.EncodeToString(good[:]), hex.EncodeToString(flipped[:])

	path := img("blob.img")
	out, err := exec.Command(filepath.Join(e.dir, "bin", "verinit"), "disk", "create", path, "--rootfs", fs,
		"--arch", "x86-64", "--json", "--print", "barebox").Output()
	if err != nil {
		return fmt.Errorf("verinit disk create: %v\n%s", err, out)
	}
	if err := json.Unmarshal(out, &c.disk); err != nil {
		return fmt.Errorf("verinit disk create --json: %v\n%s", err, out)
	}
	if len(c.disk.Slots) != 2 || c.disk.Slots[0].Bootname != "A" {
		return fmt.Errorf("verinit disk create: want slots A and B, got %s", out)
	}
	e.AddImage("blob", path, false)
	if err := flipCopy(path, img("blob-a-flip.img"), c.disk.Slots[0].Data.OffsetBytes+at); err != nil {
		return err
	}
	e.AddImage("blob-a-flip", img("blob-a-flip.img"), false)
	return nil
}
