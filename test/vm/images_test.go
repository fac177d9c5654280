//go:build vm

package vm

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The test root's init: prints markers, its arguments and status.json,
// then powers off so that QEMU exits.
const testInit = `#!/bin/busybox sh
# Booted with console=null, the real init has no console: it writes to
# the serial port itself.
[ -t 1 ] || { exec >/dev/ttyS0 2>&1; echo "` + markerNoConsole + `"; }
echo "` + markerInit + ` pid=$$"
printf '` + markerArgs + `'; for a in "$@"; do printf ' [%s]' "$a"; done; echo
echo "VERINIT-TEST-ROOT: uptime $(/bin/busybox cat /proc/uptime)"
echo "VERINIT-TEST-ROOT: env GODEBUG=$GODEBUG"
[ -f /etc/slot ] && echo "VERINIT-TEST-ROOT: slot $(/bin/busybox cat /etc/slot)"
printf 'VERINIT-TEST-ROOT: ro'; for d in /sys/class/block/vd*; do printf ' %s=%s' "${d##*/}" "$(/bin/busybox cat $d/ro)"; done; echo
if [ -f /run/verinit/status.json ]; then
	echo "` + markerStatus + `"
	/bin/busybox cat /run/verinit/status.json
	echo "` + markerEnd + `"
fi
for a in $(/bin/busybox cat /proc/cmdline); do
	case "$a" in verinit_test.read=*) rd=${a#*=} ;; esac
done
healthy=1
if [ -n "$rd" ]; then
	if sum=$(/bin/busybox sha256sum "$rd" 2>&1); then
		echo "` + markerRead + ` ok sha256=${sum%% *}"
	else
		echo "` + markerRead + ` failed: $sum"
		healthy=
	fi
fi
slot=$(/bin/busybox sed -n 's/.*"slot":{"[^"]*":"\([^"]*\)".*/\1/p' /run/verinit/status.json 2>/dev/null)
if [ -n "$slot" ] && [ -n "$healthy" ]; then echo "` + markerGood + `$slot"; fi
/bin/busybox poweroff -f
`

// Markers of the test root's health check: verinit_test.read=PATH makes it
// read PATH and print its sha256 or the error; a root that was booted as a
// slot (status.json names one) and found healthy marks itself good, as
// "rauc status mark-good" would.
const (
	markerRead = "VERINIT-TEST-ROOT: read"
	markerGood = "VERINIT-TEST-ROOT: mark-good slot="
)

// Fixed identities, so that the cases can name them.
const (
	linuxData  = "0fc63daf-8483-4772-8e79-3d69d8477de4"
	uuidFiller = "6b1d3c1e-0000-4000-8000-000000000001"
	uuidSq     = "6b1d3c1e-0000-4000-8000-000000000002"
	uuidErofs  = "6b1d3c1e-0000-4000-8000-000000000003"
	uuidExt4   = "6b1d3c1e-0000-4000-8000-000000000004"
	uuidNoInit = "6b1d3c1e-0000-4000-8000-000000000005"
	uuidSecond = "6b1d3c1e-0000-4000-8000-0000000000b1"
	fsUUIDExt4 = "3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a10"
	fsUUID2    = "3f0c4a52-9d6e-4c1b-a7f1-0e2d5b8c9a20"
)

type partSpec struct {
	uuid, name, image string
	typ               string // partition type; default: Linux data
	attrs             string // sfdisk attrs=, e.g. "GUID:63"
}

func (e *env) makeImages() error {
	good := filepath.Join(e.dir, "rootfs")
	if err := makeRootDir(good, true); err != nil {
		return err
	}
	noInit := filepath.Join(e.dir, "rootfs-noinit")
	if err := makeRootDir(noInit, false); err != nil {
		return err
	}
	img := func(name string) string { return filepath.Join(e.dir, name) }
	steps := [][]string{
		{"mksquashfs", good, img("root.squashfs"), "-noappend", "-all-root", "-quiet"},
		{"mksquashfs", noInit, img("noinit.squashfs"), "-noappend", "-all-root", "-quiet"},
		{"mkfs.erofs", "--all-root", "-T0", img("root.erofs"), good},
		{"mkfs.ext4", "-q", "-F", "-b", "4096", "-U", fsUUIDExt4, "-L", "rootext4", "-d", good, img("root.ext4"), "16M"},
		{"mkfs.ext4", "-q", "-F", "-b", "4096", "-U", fsUUID2, "-L", "second", "-d", good, img("second.ext4"), "16M"},
	}
	for _, s := range steps {
		if err := run(e.dir, s[0], s[1:]...); err != nil {
			return err
		}
	}
	if err := e.makeDisk("main", []partSpec{
		{uuid: uuidFiller, name: "filler", image: ""},
		{uuid: uuidSq, name: "root-sq", image: img("root.squashfs")},
		{uuid: uuidErofs, name: "root-erofs", image: img("root.erofs")},
		{uuid: uuidExt4, name: "root-ext4", image: img("root.ext4")},
		{uuid: uuidNoInit, name: "noinit", image: img("noinit.squashfs")},
	}); err != nil {
		return err
	}
	if err := e.makeDisk("second", []partSpec{{uuid: uuidSecond, name: "second", image: img("second.ext4")}}); err != nil {
		return err
	}
	// Garbage where a GPT should be: deterministic pseudo-random bytes.
	garbage := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	e.images["garbage"] = img("garbage.img")
	if err := os.WriteFile(e.images["garbage"], garbage, 0o644); err != nil {
		return err
	}
	if err := e.makeVerityImages(); err != nil {
		return err
	}
	if err := e.makeABImages(); err != nil {
		return err
	}
	if err := e.makeCreatedDisks(); err != nil {
		return err
	}
	if err := e.makeLVMImages(); err != nil {
		return err
	}
	if err := e.makeCorruptImages(); err != nil {
		return err
	}
	if err := e.makeSigImages(); err != nil {
		return err
	}
	return e.makePolicyImages()
}

func makeRootDir(dir string, withInit bool) error {
	for _, d := range []string{"bin", "sbin", "dev", "proc", "sys", "run", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return err
	}
	if err := copyFile(bb, filepath.Join(dir, "bin/busybox")); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(dir, "bin/busybox"), 0o755); err != nil {
		return err
	}
	if !withInit {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, "sbin/init"), []byte(testInit), 0o755)
}

const mib = 1 << 20

// makeDisk writes a GPT disk with sfdisk and copies each image into its
// partition.
func (e *env) makeDisk(name string, parts []partSpec) error {
	path := filepath.Join(e.dir, name+".img")
	var script strings.Builder
	script.WriteString("label: gpt\nunit: sectors\nfirst-lba: 2048\n")
	total := int64(2 * mib)
	e.parts[name] = map[int]partInfo{}
	for i, p := range parts {
		size := int64(mib)
		if p.image != "" {
			st, err := os.Stat(p.image)
			if err != nil {
				return err
			}
			size = (st.Size() + mib - 1) / mib * mib
		}
		total += size
		typ := p.typ
		if typ == "" {
			typ = linuxData
		}
		fmt.Fprintf(&script, "size=%d, type=%s, uuid=%s, name=%q", size/512, typ, p.uuid, p.name)
		if p.attrs != "" {
			fmt.Fprintf(&script, ", attrs=%q", p.attrs)
		}
		script.WriteString("\n")
		e.parts[name][i+1] = partInfo{UUID: p.uuid, Name: p.name}
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(path, total); err != nil {
		return err
	}
	cmd := exec.Command("sfdisk", "--no-reread", "--no-tell-kernel", "-q", path)
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sfdisk %s: %v\n%s", path, err, out)
	}
	out, err := exec.Command("sfdisk", "--json", path).Output()
	if err != nil {
		return fmt.Errorf("sfdisk --json %s: %v", path, err)
	}
	var table struct {
		PartitionTable struct {
			Partitions []struct{ Start int64 } `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &table); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	for i, p := range parts {
		if p.image == "" {
			continue
		}
		data, err := os.ReadFile(p.image)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(data, table.PartitionTable.Partitions[i].Start*512); err != nil {
			return err
		}
	}
	e.images[name] = path
	return f.Close()
}
