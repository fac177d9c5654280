//go:build vm

package vm

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/verinit/verinit/internal/vmtest"
	"github.com/verinit/verinit/pkg/verity"
)

// Identities of the verity disk's partitions.
const (
	uuidVData    = "7c2e4d5f-0000-4000-8000-0000000000d1" // squashfs data
	uuidVHash    = "7c2e4d5f-0000-4000-8000-0000000000e1" // its veritysetup tree, default options
	uuidVHashAlt = "7c2e4d5f-0000-4000-8000-0000000000e2" // its tree with non-default options
	uuidVErofs   = "7c2e4d5f-0000-4000-8000-0000000000d2" // erofs data
	uuidVErofsH  = "7c2e4d5f-0000-4000-8000-0000000000e3" // its tree, made by verinit verity format
	uuidVExt4App = "7c2e4d5f-0000-4000-8000-0000000000d3" // ext4 with the tree appended
	// The FEC disk: squashfs data, its tree, and veritysetup's parity.
	uuidFData = "7c2e4d5f-0000-4000-8000-0000000000f1"
	uuidFHash = "7c2e4d5f-0000-4000-8000-0000000000f2"
	uuidFFEC  = "7c2e4d5f-0000-4000-8000-0000000000f3"
	// The disk whose tree and parity verinit verity format made, in 1 KiB
	// blocks, with a damaged level-0 hash block (see makeFECHashImages).
	uuidGData = "7c2e4d5f-0000-4000-8000-0000000000f4"
	uuidGHash = "7c2e4d5f-0000-4000-8000-0000000000f5"
	uuidGFEC  = "7c2e4d5f-0000-4000-8000-0000000000f6"
)

// altOptions are the non-default veritysetup options of uuidVHashAlt,
// and how systemd.verity_root_options= names them.
var altOptions = []string{"--hash=sha512", "--data-block-size=1024", "--hash-block-size=1024", "--format=0", "--salt=00ff00ff00ff00ff"}

// verityImages holds what the cases need to name.
type verityImages struct {
	rootHash     string // of uuidVData with uuidVHash
	rootHashAlt  string // of uuidVData with uuidVHashAlt
	rootHashEro  string
	rootHashExt4 string
	ext4Size     int64 // where the appended tree starts
	dataFlip     int64 // byte offsets on the disk, for the corrupted copies
	hashFlip     int64
	superFlip    int64
	// initrdYocto carries a dm-verity.env for the appended ext4 tree and
	// a policy requiring verity.
	initrdYocto string
	// initrdVeritytab carries an /etc/veritytab whose volume "root" is
	// the verity disk's default pair (uuidVData, uuidVHash).
	initrdVeritytab string
	// The FEC disk "fec" (uuidFData, uuidFHash, uuidFFEC) and its root
	// hash; fecRounds is how many blocks apart two blocks share
	// Reed-Solomon codewords.
	rootHashFEC string
	fecRounds   int64
	// The disk "fec-hash" (uuidGData, uuidGHash, uuidGFEC): its root hash,
	// the SHA-256 of its whole data partition, and the level-0 block
	// damaged on it.
	rootHashFECHash string
	fecHashDataSum  string
	fecHashBlock    uint64
}

func (e *env) makeVerityImages(v *verityImages) error {
	if _, err := e.baseOnce(); err != nil {
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	var err error
	// Trees made by the real veritysetup; fixed salt and uuid so that
	// runs are reproducible.
	if v.rootHash, err = vmtest.VeritysetupFormat(img("root.squashfs"), img("v-default.hash"), "--uuid=9b1ec1a1-1111-4111-8111-111111111111"); err != nil {
		return err
	}
	if v.rootHashAlt, err = vmtest.VeritysetupFormat(append([]string{img("root.squashfs"), img("v-alt.hash")}, altOptions...)...); err != nil {
		return err
	}
	// The erofs tree is made by our own `verinit verity format`.
	out, err := exec.Command(filepath.Join(e.dir, "bin", "verinit"), "verity", "format", img("root.erofs"), img("v-erofs.hash")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("verinit verity format: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("verinit verity format printed no root hash:\n%s", out)
	}
	v.rootHashEro = string(m[1])
	// ext4 with the tree appended after the file system, at its size.
	st, err := os.Stat(img("root.ext4"))
	if err != nil {
		return err
	}
	v.ext4Size = st.Size()
	if err := vmtest.CopyFile(img("root.ext4"), img("v-ext4-appended")); err != nil {
		return err
	}
	if v.rootHashExt4, err = vmtest.VeritysetupFormat(img("v-ext4-appended"), img("v-ext4-appended"),
		fmt.Sprintf("--hash-offset=%d", v.ext4Size), fmt.Sprintf("--data-blocks=%d", v.ext4Size/4096)); err != nil {
		return err
	}
	if v.initrdYocto, err = e.makeYoctoInitrd(img("v-ext4-appended"), v.rootHashExt4, v.ext4Size); err != nil {
		return err
	}
	tab := img("veritytab")
	if err := os.WriteFile(tab, []byte("# systemd's veritytab(5)\nroot PARTUUID="+uuidVData+" PARTUUID="+uuidVHash+" "+v.rootHash+" x-initrd.attach,panic-on-corruption\n"), 0o644); err != nil {
		return err
	}
	v.initrdVeritytab = img("initrd-veritytab.img")
	if err := vmtest.Run(e.dir, e.bin("verinit"), "initramfs", "-o", v.initrdVeritytab, "--init", e.bin("init"), "--kernel-release", e.Release,
		"--file", tab+":/etc/veritytab"); err != nil {
		return err
	}
	if err := e.MakeDisk("verity", []vmtest.Part{
		{UUID: uuidVData, Name: "vdata", Image: img("root.squashfs")},
		{UUID: uuidVHash, Name: "vhash", Image: img("v-default.hash")},
		{UUID: uuidVHashAlt, Name: "vhash-alt", Image: img("v-alt.hash")},
		{UUID: uuidVErofs, Name: "verofs", Image: img("root.erofs")},
		{UUID: uuidVErofsH, Name: "verofs-hash", Image: img("v-erofs.hash")},
		{UUID: uuidVExt4App, Name: "vext4", Image: img("v-ext4-appended")},
	}); err != nil {
		return err
	}
	if err := e.makeFECImages(v); err != nil {
		return err
	}
	if err := e.makeFECHashImages(v); err != nil {
		return err
	}
	// Corrupted copies: one flipped byte each.
	starts, err := partStarts(img("verity.img"))
	if err != nil {
		return err
	}
	v.dataFlip = starts[0] + 0 // the squashfs superblock: read by mount
	v.hashFlip = starts[1] + 4096 + 100
	v.superFlip = starts[1] + 33 // the algorithm name ("sha256") in the superblock
	for name, off := range map[string]int64{"verity-data-flip": v.dataFlip, "verity-hash-flip": v.hashFlip, "verity-super-flip": v.superFlip} {
		if err := flipCopy(img("verity.img"), img(name+".img"), off); err != nil {
			return err
		}
		e.AddImage(name, img(name+".img"), false)
	}
	return nil
}

// fecRoots is the FEC disk's parity bytes per codeword: it repairs one
// bad byte in each.
const fecRoots = 2

// makeFECImages makes the FEC disk with veritysetup: the squashfs, its
// tree on a 1 MiB hash partition (sized before the format, since the
// parity covers the whole hash device, and the init, as cryptsetup does,
// counts from the partition's size), and the parity on a third
// partition. Then copies with damage: "fec-data" with data blocks 0 and 1
// changed (different codewords: repairable), "fec-beyond" with data
// blocks 0, fecRounds and 2*fecRounds changed (three bad bytes in one
// codeword: the kernel finds the three blocks bad by their hashes, and
// two roots repair at most two such erasures).
func (e *env) makeFECImages(v *verityImages) error {
	img := func(name string) string { return filepath.Join(e.dir, name) }
	for name, size := range map[string]int64{"f.hash": 1 << 20, "f.fec": 0} {
		if err := os.WriteFile(img(name), nil, 0o644); err != nil {
			return err
		}
		if err := os.Truncate(img(name), size); err != nil {
			return err
		}
	}
	var err error
	if v.rootHashFEC, err = vmtest.VeritysetupFormat(img("root.squashfs"), img("f.hash"), "--fec-device", img("f.fec"), fmt.Sprintf("--fec-roots=%d", fecRoots)); err != nil {
		return err
	}
	st, err := os.Stat(img("root.squashfs"))
	if err != nil {
		return err
	}
	// cryptsetup's FEC_process_inputs: the data blocks, then the hash
	// device past its superblock block, 255-roots blocks a round.
	blocks := st.Size()/4096 + (1<<20)/4096 - 1
	v.fecRounds = (blocks + 255 - fecRoots - 1) / (255 - fecRoots)
	if err := e.MakeDisk("fec", []vmtest.Part{
		{UUID: uuidFData, Name: "fdata", Image: img("root.squashfs")},
		{UUID: uuidFHash, Name: "fhash", Image: img("f.hash")},
		{UUID: uuidFFEC, Name: "ffec", Image: img("f.fec")},
	}); err != nil {
		return err
	}
	starts, err := partStarts(img("fec.img"))
	if err != nil {
		return err
	}
	for name, offs := range map[string][]int64{
		"fec-data":   {starts[0] + 16, starts[0] + 4096 + 16},
		"fec-beyond": {starts[0] + 16, starts[0] + v.fecRounds*4096 + 16, starts[0] + 2*v.fecRounds*4096 + 16},
	} {
		if err := damageCopy(img("fec.img"), img(name+".img"), offs); err != nil {
			return err
		}
		e.AddImage(name, img(name+".img"), false)
	}
	return nil
}

// makeFECHashImages makes the disk "fec-hash": the squashfs padded to
// 10 MiB, its tree (on a 1 MiB partition, sized before the format) and
// parity made by verinit verity format --fec-device with 1 KiB blocks, and
// one level-0 hash block damaged. To repair a hash block the kernel reads
// the other blocks of its codewords, and finds the data blocks among them
// by their hashes: if one of them hangs from the damaged block, that
// lookup fails in turn and the kernel gives up ("metadata block N is
// corrupted"). With 1 KiB blocks a level-0 block covers 32 data blocks and
// a codeword's blocks lie 45 apart, so some level-0 blocks cover none of
// their own codeword's data blocks: the first of those past the squashfs
// is the one damaged.
func (e *env) makeFECHashImages(v *verityImages) error {
	img := func(name string) string { return filepath.Join(e.dir, name) }
	const bs, dataBytes, hashBytes = 1024, 10 << 20, 1 << 20
	if err := vmtest.CopyFile(img("root.squashfs"), img("g.data")); err != nil {
		return err
	}
	st, err := os.Stat(img("g.data"))
	if err != nil {
		return err
	}
	if err := os.Truncate(img("g.data"), dataBytes); err != nil {
		return err
	}
	if err := os.WriteFile(img("g.hash"), nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(img("g.hash"), hashBytes); err != nil {
		return err
	}
	out, err := exec.Command(e.bin("verinit"), "verity", "format", img("g.data"), img("g.hash"), "--fec-device", img("g.fec"),
		fmt.Sprintf("--fec-roots=%d", fecRoots), fmt.Sprintf("--data-block-size=%d", bs), fmt.Sprintf("--hash-block-size=%d", bs),
		"--salt=5a17", "--uuid=9b1ec1a1-2222-4222-8222-222222222222").CombinedOutput()
	if err != nil {
		return fmt.Errorf("verinit verity format --fec-device: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Root hash:\s+([0-9a-f]+)$`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("verinit verity format printed no root hash:\n%s", out)
	}
	v.rootHashFECHash = string(m[1])
	data, err := os.ReadFile(img("g.data"))
	if err != nil {
		return err
	}
	v.fecHashDataSum = fmt.Sprintf("%x", sha256.Sum256(data))

	// Find the block to damage, as pkg/fec lays the codewords out.
	p := verity.Params{HashType: 1, Algorithm: "sha256", DataBlockSize: bs, HashBlockSize: bs, DataBlocks: dataBytes / bs}
	levels, _, err := p.TreeLayout()
	if err != nil {
		return err
	}
	treeStart, err := p.HashStartBlock()
	if err != nil {
		return err
	}
	const perL0 = bs / 32 // sha256 digests in a level-0 block
	inputBlocks := p.DataBlocks + hashBytes/bs - treeStart
	rounds := (inputBlocks + 255 - fecRoots - 1) / (255 - fecRoots)
	l0 := levels[0].OffsetBytes / bs
	found := false
	for j := uint64(st.Size()/bs/perL0 + 1); j < levels[0].Blocks && !found; j++ {
		round := (p.DataBlocks + l0 + j - treeStart) % rounds
		found = true
		for b := j * perL0; b < (j+1)*perL0; b++ {
			if b%rounds == round {
				found = false // a data block of its own codeword hangs from it
			}
		}
		if found {
			v.fecHashBlock = j
		}
	}
	if !found {
		return fmt.Errorf("no level-0 block of the fec-hash tree is clear of its codewords (%d rounds)", rounds)
	}
	if err := e.MakeDisk("fec-hash-clean", []vmtest.Part{
		{UUID: uuidGData, Name: "gdata", Image: img("g.data")},
		{UUID: uuidGHash, Name: "ghash", Image: img("g.hash")},
		{UUID: uuidGFEC, Name: "gfec", Image: img("g.fec")},
	}); err != nil {
		return err
	}
	starts, err := partStarts(img("fec-hash-clean.img"))
	if err != nil {
		return err
	}
	if err := damageCopy(img("fec-hash-clean.img"), img("fec-hash.img"), []int64{starts[1] + int64((l0+v.fecHashBlock)*bs) + 16}); err != nil {
		return err
	}
	e.AddImage("fec-hash", img("fec-hash.img"), false)
	return nil
}

// damageCopy copies src to dst with 64 bytes inverted at each of offs.
func damageCopy(src, dst string, offs []int64) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	for _, off := range offs {
		for i := off; i < off+64; i++ {
			b[i] ^= 0xff
		}
	}
	return os.WriteFile(dst, b, 0o644)
}

// flipCopy copies src to dst with the byte at off inverted.
func flipCopy(src, dst string, off int64) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	b[off] ^= 0xff
	return os.WriteFile(dst, b, 0o644)
}

// partStarts returns the byte offset of each partition of a disk image.
func partStarts(disk string) ([]int64, error) {
	out, err := exec.Command("sfdisk", "--dump", disk).Output()
	if err != nil {
		return nil, fmt.Errorf("sfdisk --dump %s: %v", disk, err)
	}
	var starts []int64
	for _, m := range regexp.MustCompile(`start=\s*(\d+)`).FindAllStringSubmatch(string(out), -1) {
		var s int64
		fmt.Sscan(m[1], &s)
		starts = append(starts, s*512)
	}
	return starts, nil
}

// makeYoctoInitrd packs a second initramfs as a Yocto build with
// meta-security's dm-verity image class would: a dm-verity.env made from
// veritysetup's output for the ext4 image with its appended tree, and a
// packed policy that requires verity.
func (e *env) makeYoctoInitrd(image, rootHash string, dataSize int64) (initrd string, err error) {
	out, err := exec.Command("veritysetup", "dump", image, fmt.Sprintf("--hash-offset=%d", dataSize)).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("veritysetup dump: %v\n%s", err, out)
	}
	// dm-verity-img.bbclass: drop the first line; "Key: value" becomes
	// KEY=value with the spaces of the value removed.
	var env strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		k, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		env.WriteString(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(k), " ", "_")) + "=" + strings.Join(strings.Fields(val), "") + "\n")
	}
	fmt.Fprintf(&env, "ROOT_HASH=%s\nDATA_SIZE=%d\nSEPARATE_HASH=0\n", rootHash, dataSize)
	envFile := filepath.Join(e.dir, "dm-verity.env")
	if err := os.WriteFile(envFile, []byte(env.String()), 0o644); err != nil {
		return "", err
	}
	initrd = filepath.Join(e.dir, "initrd-yocto.img")
	return initrd, vmtest.Run(e.dir, e.bin("verinit"), "initramfs", "-o", initrd,
		"--init", e.bin("init"), "--kernel-release", e.Release,
		"--file", envFile+":/usr/share/misc/dm-verity.env", "--policy", "verity=required")
}
