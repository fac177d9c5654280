package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/elfarch"
	"github.com/verinit/verinit/pkg/hostonly"
	"github.com/verinit/verinit/pkg/initramfs"
	"github.com/verinit/verinit/pkg/modules"
	"github.com/verinit/verinit/pkg/modules/loadlist"
	"github.com/verinit/verinit/pkg/sig/sign"
)

func runInitramfs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("initramfs", stderr)
	out := fs.String("o", "", "write the archive to `FILE` (required unless --list)")
	list := fs.String("list", "", "print the entries of the initramfs `FILE` (gzip, zstd, xz or none) instead of writing one")
	initPath := fs.String("init", "", "the init `binary` packed as /init (default: bin/linux-ARCH/init of make cross for the target architecture, or the init beside this verinit if it is built for it)")
	archName := fs.String("arch", "", "the target `architecture`, such as amd64, arm64, arm or riscv64 (default: the modules' own, from their ELF header); the init must be built for it")
	release := fs.String("kernel-release", "", "pack modules of kernel `REL` from /lib/modules/REL (default: the running kernel's)")
	modulesDir := fs.String("modules-dir", "", "take modules from `DIR` instead of /lib/modules/REL")
	noModules := fs.Bool("no-modules", false, "pack no kernel modules")
	eager := fs.Bool("eager-modules", false, "load every packed module at start instead of by need (storage drivers by device modalias, device-mapper and file systems when used)")
	compression := fs.String("compression", "zstd", "archive compression: zstd, gzip, xz or none (checked against the kernel's CONFIG_RD_* options when its configuration is found)")
	asJSON := fs.Bool("json", false, "print JSON: the report on the archive written, or with --list its entries")
	hostOnly := fs.Bool("host-only", false, "pack only the modules this machine needs for its root instead of the default set: the drivers of every device from the disks that hold / (and a separate /usr) up to their bus, as /sys shows them, device-mapper with dm-verity, the root's file system, and efivarfs on UEFI; refused, with the reason, when the root cannot be traced to a storage controller")
	var mods, addMods, files, policies, certs, hostDevs listFlag
	fs.Var(&mods, "module", "pack module `NAME` and its dependencies, loaded at start, instead of the default set (repeatable; default: the architecture's set of virtio, SCSI, NVMe, USB and SD/eMMC storage drivers (SATA on PCs; virtio-mmio and SoC controllers on ARM and RISC-V), loaded by device modalias, and dm-verity, squashfs, erofs, ext4 and efivarfs, loaded when used)")
	fs.Var(&addMods, "add-module", "also pack module `NAME` and its dependencies, beside the default set (or --module), loaded by need as its aliases say: a driver when a device matches it, a file system (efivarfs) when mounted (repeatable)")
	fs.Var(&hostDevs, "host-only-device", "with --host-only, trace block device `DEV` (and the file systems on it and its partitions) instead of the mounted root (repeatable; implies --host-only)")
	fs.Var(&files, "file", "pack host file `SRC:DST` (repeatable)")
	fs.Var(&certs, "cert", "pack the trusted certificate(s) in PEM `FILE` for root-hash signatures (repeatable)")
	fs.Var(&policies, "policy", "pack policy `KEY=VALUE`, which the kernel command line cannot weaken (repeatable): verity=required, signature=required, roothash=HEX[,HEX] (pins the root hash), min-version=N (the oldest signed root version), sha1=allowed, shell=allowed, unverified-root=allowed (a writable root beside a verified /usr), tpm=required, tpm-pcr=N, 'cmdline-keys=WORD ...' (the only words beyond the init's own that the command line may carry); see docs/security.md")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *list != "" {
		if *out != "" || fs.NArg() != 0 {
			fs.Usage()
			return errUsage
		}
		return listInitramfs(*list, stdout, *asJSON)
	}
	if *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	spec := initramfs.Spec{Init: *initPath, Modules: mods, AddModules: addMods, Eager: *eager, Compression: *compression}
	var target dps.Arch
	if *archName != "" {
		a, err := dps.ParseArch(*archName)
		if err != nil {
			return fmt.Errorf("--arch: %v: %w", err, errUsage)
		}
		target = a
	}
	if !*noModules {
		rel := *release
		if rel == "" && *modulesDir == "" {
			// The running kernel's, else the newest installed.
			running, _ := os.ReadFile("/proc/sys/kernel/osrelease")
			r, err := modules.FindRelease(os.DirFS("/lib/modules"), strings.TrimSpace(string(running)))
			if err != nil {
				return fmt.Errorf("no --kernel-release given: %w", err)
			}
			rel = r
		}
		spec.ModulesDir = *modulesDir
		if spec.ModulesDir == "" {
			spec.ModulesDir = filepath.Join("/lib/modules", rel)
		}
		if rel == "" {
			rel = filepath.Base(spec.ModulesDir)
		}
		spec.KernelRelease = rel
		// The modules say which machine the kernel runs on.
		h, first, err := initramfs.ModulesMachine(spec.ModulesDir)
		switch {
		case errors.Is(err, iofs.ErrNotExist): // no module files: Build says what is wrong
		case err != nil:
			return err
		case target != "" && h.Arch() != target:
			return fmt.Errorf("--arch %s, but the modules in %s are for %v (%s)", target, spec.ModulesDir, h, first)
		case h.Arch() == "" && spec.Init == "":
			return fmt.Errorf("the modules in %s are for %v, which verinit has no init for: give --init", spec.ModulesDir, h)
		default:
			target = h.Arch()
		}
	}
	var traced *hostonly.Storage
	if *hostOnly || len(hostDevs) > 0 {
		switch {
		case *noModules || mods != nil:
			return fmt.Errorf("--host-only chooses the modules: not with --no-modules or --module: %w", errUsage)
		case target == "":
			return fmt.Errorf("--host-only: no modules in %s to choose from", spec.ModulesDir)
		}
		st, wants, db, err := hostOnlyWants(spec.ModulesDir, spec.KernelRelease, target, hostDevs)
		if err != nil {
			return err
		}
		traced, spec.Wants, spec.DB = st, wants, db
	}
	// The release of the modules packed, else the one named (--no-modules).
	if err := checkKernelUnpacks(spec.Compression, spec.ModulesDir, cmp.Or(spec.KernelRelease, *release)); err != nil {
		return err
	}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, ":")
		if !ok || src == "" || !strings.HasPrefix(dst, "/") {
			return fmt.Errorf("--file %q: want SRC:/ABSOLUTE/DST: %w", f, errUsage)
		}
		spec.Files = append(spec.Files, initramfs.FileMap{Src: src, Dst: dst})
	}
	spec.Contents = map[string][]byte{}
	var policy config.Policy
	if len(policies) > 0 {
		text := []byte(strings.Join(policies, "\n") + "\n")
		p, err := config.ParsePolicy(text)
		if err != nil {
			return fmt.Errorf("--policy: %v: %w", err, errUsage)
		}
		spec.Contents[config.PolicyPath], policy = p.Format(), p
	}
	for i, c := range certs {
		b, err := os.ReadFile(c)
		if err != nil {
			return err
		}
		if _, err := sign.ParseCertificates(b); err != nil {
			return fmt.Errorf("--cert %s: %w", c, err)
		}
		spec.Contents[fmt.Sprintf("/etc/verinit/certs/%02d-%s", i, filepath.Base(strings.TrimSuffix(c, ".pem"))+".pem")] = b
	}
	switch {
	case spec.Init == "" && target == "":
		return fmt.Errorf("no --init, and no modules to tell the target architecture: give --init or --arch: %w", errUsage)
	case spec.Init == "":
		p, err := findInit(target)
		if err != nil {
			return err
		}
		spec.Init = p
	case *archName != "":
		if err := checkInitArch(spec.Init, target); err != nil {
			return err
		}
	}
	// Reproducible: every record gets SOURCE_DATE_EPOCH (or 0) as mtime.
	spec.MTime = time.Unix(0, 0)
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number", v)
		}
		spec.MTime = time.Unix(n, 0)
	}

	var buf bytes.Buffer
	m := meter(stderr, "initramfs, written", 0)
	rep, err := initramfs.Build(m.Writer(&buf), spec)
	m.Done()
	if err != nil {
		return err
	}
	if err := checkInitParts(spec.Init, rep.InitBuild, policy, len(certs)); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, initramfsReport{Archive: *out, Bytes: buf.Len(), Compression: spec.Compression,
			UncompressedBytes: rep.UncompressedBytes, Init: spec.Init, KernelRelease: spec.KernelRelease, Arch: string(rep.Arch),
			DepsComputed: rep.Computed, Entries: rep.Files, Modules: rep.Modules, Builtin: rep.Builtin, Missing: rep.Missing,
			HostOnly: hostOnlyJSON(traced), InitWithout: partNames(rep.InitBuild)})
	}
	if traced != nil {
		fmt.Fprintln(stdout, hostOnlyLine(traced))
	}
	fmt.Fprintf(stdout, "%s: %d bytes (%s, %d bytes uncompressed), init %s%s, %d modules", *out, buf.Len(), spec.Compression, rep.UncompressedBytes, spec.Init, droppedText(rep.InitBuild), len(rep.Modules))
	if spec.KernelRelease != "" {
		fmt.Fprintf(stdout, " for %s", spec.KernelRelease)
	}
	var notes []string // what the modules are, in parentheses
	if rep.Arch != "" {
		notes = append(notes, string(rep.Arch))
	}
	if len(rep.Modules) > 0 {
		c := rep.Classes
		notes = append(notes, fmt.Sprintf("loaded at start %d, by device modalias %d, for device-mapper %d, for the root file system %d, as dependencies %d",
			c[loadlist.Start], c[loadlist.Storage], c[loadlist.DM], c[loadlist.FS], c[loadlist.Dep]), fmt.Sprintf("%d aliases", rep.Aliases))
	}
	if rep.Computed {
		notes = append(notes, "dependencies and aliases computed from the modules, without modules.dep")
	}
	if len(notes) > 0 {
		fmt.Fprintf(stdout, " (%s)", strings.Join(notes, "; "))
	}
	if len(rep.Builtin) > 0 {
		fmt.Fprintf(stdout, ", built in: %s", strings.Join(rep.Builtin, " "))
	}
	if len(rep.Missing) > 0 {
		fmt.Fprintf(stdout, ", not found: %s", strings.Join(rep.Missing, " "))
	}
	fmt.Fprintln(stdout)
	return nil
}

// initramfsReport is what initramfs --json prints.
type initramfsReport struct {
	Archive           string          `json:"archive"`
	Bytes             int             `json:"bytes"`
	Compression       string          `json:"compression"`
	UncompressedBytes int64           `json:"uncompressed_bytes"`
	Init              string          `json:"init"`
	InitWithout       []string        `json:"init_without,omitempty"` // the optional parts it was built without: "LVM", "TPM"
	KernelRelease     string          `json:"kernel_release,omitempty"`
	Arch              string          `json:"arch,omitempty"`
	DepsComputed      bool            `json:"dependencies_computed,omitempty"`
	Entries           int             `json:"entries"`
	Modules           []string        `json:"modules"`
	Builtin           []string        `json:"builtin,omitempty"`
	Missing           []string        `json:"missing,omitempty"`
	HostOnly          *hostOnlyReport `json:"host_only,omitempty"`
}

// checkKernelUnpacks refuses a compression the kernel cannot unpack: a
// kernel boots without an initramfs it cannot read. Its configuration is
// looked for where distributions and kernel builds leave it.
func checkKernelUnpacks(method, modulesDir, release string) error {
	if release == "" {
		return nil // no kernel named (--no-modules)
	}
	candidates := []string{filepath.Join("/boot", "config-"+release)}
	if modulesDir != "" {
		candidates = append([]string{filepath.Join(modulesDir, "build", ".config"), filepath.Join(modulesDir, "config")}, candidates...)
	}
	var config []byte
	for _, p := range candidates {
		if b, err := os.ReadFile(p); err == nil {
			config = b
			break
		}
	}
	if err := initramfs.CheckKernel(method, config, release); err != nil {
		return fmt.Errorf("%w; give --compression gzip", err)
	}
	return nil
}

// findInit returns the init built for arch that this verinit knows of:
// bin/linux-GOARCH/init of make cross beside it (from bin/verinit, or from
// bin/linux-X/verinit), the init beside it (make build), or the same under
// bin/ of the working directory (the repository, with go run); an init is
// taken only if its ELF header says it is built for arch.
func findInit(arch dps.Arch) (string, error) {
	goarch := arch.GOARCH()
	if goarch == "" {
		return "", fmt.Errorf("no Go port builds an init for %s: give --init", arch)
	}
	sub := filepath.Join("linux-"+goarch, "init")
	var dirs []string
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		dirs = append(dirs, filepath.Dir(self))
	}
	dirs = append(dirs, "bin")
	var looked []string
	seen := map[string]bool{}
	for _, d := range dirs {
		for _, p := range []string{filepath.Join(d, sub), filepath.Join(d, "..", sub), filepath.Join(d, "init")} {
			p = filepath.Clean(p)
			if seen[p] {
				continue
			}
			seen[p] = true
			h, err := readELFHeader(p)
			switch {
			case errors.Is(err, iofs.ErrNotExist):
				looked = append(looked, p)
			case err != nil:
				looked = append(looked, fmt.Sprintf("%s (%v)", p, err))
			case h.Arch() != arch:
				looked = append(looked, fmt.Sprintf("%s (for %s)", p, h))
			default:
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("no init built for %s (looked for %s): run make cross, or give --init", arch, strings.Join(looked, ", "))
}

// checkInitArch refuses an init that is not built for arch (--arch).
func checkInitArch(p string, arch dps.Arch) error {
	h, err := readELFHeader(p)
	switch {
	case errors.Is(err, elfarch.ErrNotELF):
		return nil // a script: the kernel runs it with the initramfs's /bin/sh
	case err != nil:
		return fmt.Errorf("--init: %w", err)
	case h.Arch() != arch:
		return fmt.Errorf("--init %s is built for %v, but --arch is %s", p, h, arch)
	}
	return nil
}

func readELFHeader(p string) (elfarch.Header, error) {
	f, err := os.Open(p)
	if err != nil {
		return elfarch.Header{}, err
	}
	defer f.Close()
	return elfarch.Read(f)
}
