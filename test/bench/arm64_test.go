//go:build vm

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/verinit/verinit/internal/testkernel"
	"github.com/verinit/verinit/internal/vmtest"
)

// floorModulesARM64 are what the floor loads on arm64, in dependency
// order: the virt board's virtio-mmio transport, the disk driver and the
// root's file system (virtio and virtio_ring are built into Debian's
// arm64 kernel).
var floorModulesARM64 = []string{"virtio_mmio", "virtio_blk", "squashfs"}

// buildARM64Rows builds the arm64 rows: verinit with its default module
// set and the floor, both cross-built, on Debian's arm64 kernel (the
// package scripts/prereqs.sh extracts) and the same bench disk made with
// arm64's busybox, booted on QEMU's virt board. Their ratio is what the
// x86 table's verinit-to-floor ratio is on arm64.
func buildARM64Rows(dir string, only *regexp.Regexp) ([]*benchRow, error) {
	names := []string{"verinit (arm64)", "floor (arm64, no verity)", "floor (arm64, verity)"}
	if only != nil && !slices.ContainsFunc(names, only.MatchString) {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	h, err := vmtest.NewForeign(dir, testkernel.Cache(), "arm64")
	if err != nil {
		return nil, err
	}
	disk, err := makeBenchDisk(dir, h, false)
	if err != nil {
		return nil, err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, b := range [][2]string{{"init", "./cmd/init"}, {"floor", "./test/bench/floor"}} {
		if err := vmtest.RunEnv(repoRoot(), []string{"CGO_ENABLED=0", "GOARCH=arm64"}, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", p(b[0]), b[1]); err != nil {
			return nil, err
		}
	}
	paths, err := modulePaths(h.ModulesDir, floorModulesARM64)
	if err != nil {
		return nil, err
	}
	verinit := filepath.Join(shared.Dir, "bin", "verinit")
	floorArgs := []string{verinit, "initramfs", "-o", p("floor.img"), "--init", p("floor"), "--no-modules", "--arch", "arm64"}
	for i, m := range paths {
		floorArgs = append(floorArgs, "--file", fmt.Sprintf("%s:/modules/%02d-%s", m, i, filepath.Base(m)))
	}
	// The floor (verity), as on x86: dm-verity's modules too, and the table.
	// dm_mod needs dax on arm64, where dax is a module.
	vpaths, err := modulePaths(h.ModulesDir, append(append(slices.Clone(floorModulesARM64), "dax"), floorVerityModules...))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(p("verity-table"), []byte(disk.verityTable), 0o644); err != nil {
		return nil, err
	}
	floorVerityArgs := []string{verinit, "initramfs", "-o", p("floor-verity.img"), "--init", p("floor"), "--no-modules", "--arch", "arm64",
		"--file", p("verity-table") + ":/verity-table"}
	for i, m := range vpaths {
		floorVerityArgs = append(floorVerityArgs, "--file", fmt.Sprintf("%s:/modules/%02d-%s", m, i, filepath.Base(m)))
	}
	verity := fmt.Sprintf("roothash=%s systemd.verity_root_data=PARTUUID=%s systemd.verity_root_hash=PARTUUID=%s root=/dev/mapper/root ro quiet",
		disk.rootHash, uuidBenchData, uuidBenchHash)
	specs := []struct {
		row  *benchRow
		argv []string
	}{
		{&benchRow{Name: names[0], Verified: true, cmdline: verity, isVerinit: true, initrd: p("verinit.img")},
			[]string{verinit, "initramfs", "-o", p("verinit.img"), "--init", p("init"), "--modules-dir", h.ModulesDir}},
		{&benchRow{Name: names[1], cmdline: "ro quiet", initrd: p("floor.img")}, floorArgs},
		{&benchRow{Name: names[2], Verified: true, cmdline: "ro quiet", initrd: p("floor-verity.img")}, floorVerityArgs},
	}
	var rows []*benchRow
	for _, s := range specs {
		if only != nil && !only.MatchString(s.row.Name) {
			continue
		}
		r := s.row
		r.Arch, r.harness, r.rootHash, r.Build = "arm64", h, disk.rootHash, strings.Join(s.argv, " ")
		fmt.Fprintf(os.Stderr, "bench: building %s\n", r.Name)
		if err := vmtest.Run(dir, s.argv[0], s.argv[1:]...); err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		if err := r.measureArchive(); err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}
