package contrib

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/cmdline"
	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/image"
	"github.com/verinit/verinit/pkg/initramfs"
)

const brExt = "buildroot"

// TestBuildrootExternal checks the BR2_EXTERNAL tree for the rules
// Buildroot's make and Kconfig apply (utils/check-package applies more;
// it reported nothing on these files when they were written).
func TestBuildrootExternal(t *testing.T) {
	desc := readFile(t, filepath.Join(brExt, "external.desc"))
	if !strings.HasPrefix(desc, "name: VERINIT\n") {
		t.Fatalf("external.desc: want name: VERINIT first, got %q", desc)
	}
	// Every $(BR2_EXTERNAL_X_PATH) or $BR2_EXTERNAL_X_PATH use names this
	// tree, and every path below it exists.
	ref := regexp.MustCompile(`\$\(?BR2_EXTERNAL_([A-Z0-9_]+)_PATH\)?(/[^" \n)]*)?`)
	err := filepath.WalkDir(brExt, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			if m[1] != "VERINIT" {
				t.Errorf("%s: %s: not this tree's name", path, m[0])
			}
			if p := m[2]; p != "" && !strings.Contains(p, "*") && !strings.HasPrefix(p, "/../") {
				if _, err := os.Stat(filepath.Join(brExt, p)); err != nil {
					t.Errorf("%s: %s: %v", path, m[0], err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	symbols := checkConfigIn(t, filepath.Join(brExt, "Config.in"))
	for _, board := range []string{"qemu_x86_64", "qemu_aarch64_virt"} {
		checkDefconfig(t, filepath.Join(brExt, "configs", "verinit_"+board+"_defconfig"), symbols)
	}
	checkPackageMk(t, filepath.Join(brExt, "package", "verinit", "verinit.mk"))
	st, err := os.Stat(filepath.Join(brExt, "board", "common", "post-image.sh"))
	if err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("post-image.sh must exist and be executable (Buildroot runs it directly): %v %v", st.Mode(), err)
	}
}

// checkConfigIn follows the source lines from a Config.in and checks
// Kconfig's layout rules as Buildroot writes them: attributes indented
// by one tab, help text by a tab and two spaces within 62 columns. It
// returns the symbols defined.
func checkConfigIn(t *testing.T, path string) []string {
	t.Helper()
	var symbols []string
	inHelp := false
	for i, line := range strings.Split(readFile(t, path), "\n") {
		where := path + ":" + strconv.Itoa(i+1)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "source "):
			inHelp = false
			src := strings.Trim(strings.TrimPrefix(line, "source "), `"`)
			src = strings.Replace(src, "$BR2_EXTERNAL_VERINIT_PATH", brExt, 1)
			symbols = append(symbols, checkConfigIn(t, src)...)
		case strings.HasPrefix(line, "config "):
			inHelp = false
			symbols = append(symbols, strings.TrimPrefix(line, "config "))
		case line == "\thelp":
			inHelp = true
		case inHelp:
			text, ok := strings.CutPrefix(line, "\t  ")
			if !ok || len(text) > 62 {
				t.Errorf("%s: help text must be <tab><2 spaces><at most 62 characters>: %q", where, line)
			}
		case strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "\t\t") && !strings.HasPrefix(line, "\t "):
			attr := strings.Fields(line)[0]
			if !slices.Contains([]string{"bool", "depends", "select", "default", "string", "prompt"}, attr) {
				t.Errorf("%s: unexpected attribute %q", where, attr)
			}
		default:
			t.Errorf("%s: not Kconfig as Buildroot writes it: %q", where, line)
		}
	}
	return symbols
}

// checkDefconfig checks that every line sets or unsets a symbol and that
// the external tree's symbols it sets exist.
func checkDefconfig(t *testing.T, path string, symbols []string) {
	t.Helper()
	set := regexp.MustCompile(`^(BR2_[A-Za-z0-9_]+)=(y|"[^"]*"|[0-9]+)$`)
	unset := regexp.MustCompile(`^# BR2_[A-Za-z0-9_]+ is not set$`)
	var ours []string
	for i, line := range strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n") {
		switch m := set.FindStringSubmatch(line); {
		case m != nil:
			if strings.HasPrefix(m[1], "BR2_PACKAGE_VERINIT") || strings.HasPrefix(m[1], "BR2_PACKAGE_HOST_VERINIT") {
				ours = append(ours, m[1])
			}
		case unset.MatchString(line), strings.HasPrefix(line, "# "):
		default:
			t.Errorf("%s:%d: not a defconfig line: %q", path, i+1, line)
		}
	}
	for _, s := range []string{"BR2_PACKAGE_VERINIT", "BR2_PACKAGE_HOST_VERINIT"} {
		if !slices.Contains(ours, s) {
			t.Errorf("%s: does not set %s", path, s)
		}
	}
	for _, s := range ours {
		if !slices.Contains(symbols, s) {
			t.Errorf("%s: sets %s, which no Config.in of the tree defines", path, s)
		}
	}
}

// checkPackageMk checks the make syntax Buildroot's package makefiles
// need and the settings verinit's build depends on.
func checkPackageMk(t *testing.T, path string) {
	t.Helper()
	text := readFile(t, path)
	depth, inDefine := 0, false
	vars := map[string]string{}
	assign := regexp.MustCompile(`^([A-Z0-9_]+)\s*(=|:=|\+=|\?=)\s*(.*)$`)
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		where := path + ":" + strconv.Itoa(n)
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			t.Errorf("%s: trailing white space", where)
		}
		switch {
		case strings.HasPrefix(line, "define "):
			if inDefine {
				t.Errorf("%s: define inside define", where)
			}
			inDefine = true
		case line == "endef":
			if !inDefine {
				t.Errorf("%s: endef without define", where)
			}
			inDefine = false
		case inDefine:
			if line != "" && !strings.HasPrefix(line, "\t") {
				t.Errorf("%s: a command in a define must start with a tab", where)
			}
		case strings.HasPrefix(line, "ifeq ") || strings.HasPrefix(line, "ifneq ") || strings.HasPrefix(line, "ifdef "):
			depth++
		case line == "endif":
			depth--
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "$(eval "):
		default:
			m := assign.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: not an assignment: %q", where, line)
				continue
			}
			if !strings.HasPrefix(m[1], "VERINIT_") && !strings.HasPrefix(m[1], "HOST_VERINIT_") {
				t.Errorf("%s: %s: package variables start with VERINIT_ or HOST_VERINIT_", where, m[1])
			}
			vars[m[1]] += m[3]
		}
	}
	if inDefine || depth != 0 {
		t.Errorf("%s: unbalanced define/endef (%v) or conditionals (%d)", path, inDefine, depth)
	}
	if !strings.Contains(text, "\n$(eval $(golang-package))\n$(eval $(host-golang-package))\n") {
		t.Errorf("%s: must end with the golang-package and host-golang-package evals", path)
	}
	want := map[string]string{
		"VERINIT_GO_ENV":             "CGO_ENABLED=0",
		"HOST_VERINIT_GO_ENV":        "CGO_ENABLED=0",
		"VERINIT_BUILD_TARGETS":      "cmd/init",
		"HOST_VERINIT_BUILD_TARGETS": "cmd/verinit",
		"VERINIT_GOMOD":              "github.com/verinit/verinit",
		"VERINIT_SITE_METHOD":        "local",
		"VERINIT_LICENSE":            "BSD-3-Clause",
		"VERINIT_LICENSE_FILES":      "LICENSE",
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s: %s = %q, want %q", path, k, vars[k], v)
		}
	}
	for _, target := range []string{vars["VERINIT_BUILD_TARGETS"], vars["HOST_VERINIT_BUILD_TARGETS"]} {
		if _, err := os.Stat(filepath.Join("..", target, "main.go")); err != nil {
			t.Errorf("%s: build target %s: %v", path, target, err)
		}
	}
	if !strings.Contains(readFile(t, "../"+vars["VERINIT_LICENSE_FILES"]), "Redistribution and use in source and binary forms") {
		t.Errorf("%s: VERINIT_LICENSE_FILES %q is not the BSD licence", path, vars["VERINIT_LICENSE_FILES"])
	}
	// The module path the package builds must be this module's.
	if gomod := readFile(t, "../go.mod"); !strings.HasPrefix(gomod, "module "+vars["VERINIT_GOMOD"]+"\n") {
		t.Errorf("%s: VERINIT_GOMOD %q is not go.mod's module", path, vars["VERINIT_GOMOD"])
	}
}

// TestBuildrootPostImage runs the post-image script as Buildroot would,
// on a small squashfs root, with the verinit built from this tree, and
// checks what it made: the initramfs, the A/B image, the signatures and
// each slot's command line (which verinit inspect must accept).
func TestBuildrootPostImage(t *testing.T) {
	needTool(t, "mksquashfs")
	openssl := needTool(t, "openssl")
	bash := needTool(t, "bash")
	dir := t.TempDir()
	images, target := filepath.Join(dir, "images"), filepath.Join(dir, "target")
	for _, d := range []string{filepath.Join(images, "verinit"), filepath.Join(target, "sbin"), filepath.Join(target, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	initBytes, err := os.ReadFile(built.init)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(images, "verinit", "init"), initBytes, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "sbin", "init"), []byte("#!/bin/sh\necho real init\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "etc", "os-release"), []byte("ID=buildroot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := image.BuildFS(target, image.FSSquashfs, filepath.Join(images, "rootfs.squashfs")); err != nil {
		t.Fatal(err)
	}
	brConfig := filepath.Join(dir, ".config")
	if err := os.WriteFile(brConfig, []byte("BR2_ARCH=\"x86_64\"\nBR2_x86_64=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"VERINIT=" + built.verinit, "HOST_DIR=" + filepath.Join(dir, "host"), "TARGET_DIR=" + target,
		"BR2_CONFIG=" + brConfig, "BINARIES_DIR=" + images}
	// Buildroot passes the images directory, then BR2_ROOTFS_POST_SCRIPT_ARGS.
	out := run(t, env, bash, filepath.Join(brExt, "board", "common", "post-image.sh"), images, "--slots", "2")
	if !strings.Contains(out, "signing with the DEVELOPMENT key") {
		t.Errorf("no word of the development key:\n%s", out)
	}

	// The initramfs: the init as /init, the certificate, the policy.
	cpioGz, err := os.ReadFile(filepath.Join(images, "initramfs.cpio.gz"))
	if err != nil {
		t.Fatal(err)
	}
	archive, format, err := initramfs.Decompress(cpioGz, 256<<20)
	if err != nil || format != "gzip" {
		t.Fatalf("initramfs.cpio.gz: %v (format %q)", err, format)
	}
	entries, err := initramfs.List(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		files["/"+e.Name] = archive[e.DataOffset : e.DataOffset+int64(e.FileSize)]
	}
	if !bytes.Equal(files["/init"], initBytes) {
		t.Errorf("/init is not the verinit package's init (%d bytes, want %d)", len(files["/init"]), len(initBytes))
	}
	policy := files[config.PolicyPath]
	if p := string(policy); !strings.Contains(p, "signature=required") || !strings.Contains(p, "\ncmdline-keys=console panic\n") {
		t.Errorf("%s = %q, want signature=required and cmdline-keys=console panic", config.PolicyPath, p)
	}
	cert := readFile(t, filepath.Join(images, "verinit-dev.pem"))
	if got := string(files["/etc/verinit/certs/00-verinit-dev.pem"]); got != cert {
		t.Errorf("the packed certificate is not the signing key's:\n%s", got)
	}

	// The disk and each slot: the command line names the slot's pair and
	// carries the signature of its root hash, which openssl verifies
	// against the certificate; verinit inspect accepts it, with that hash.
	disk := filepath.Join(images, "disk.img")
	diskTxt := readFile(t, filepath.Join(images, "disk.txt"))
	hashes := regexp.MustCompile(`(?m)^  root hash +([0-9a-f]{64})$`).FindAllStringSubmatch(diskTxt, -1)
	if len(hashes) != 2 {
		t.Fatalf("disk.txt: want 2 root hashes:\n%s", diskTxt)
	}
	for i, slot := range []string{"a", "b"} {
		hash := hashes[i][1]
		line := strings.TrimSpace(readFile(t, filepath.Join(images, "slot-"+slot+".cmdline")))
		for _, want := range []string{"console=ttyS0 ", "panic=5 ", "roothash=" + hash + " ", "rauc.slot=" + strings.ToUpper(slot) + " ", " verinit.roothashsig=base64:"} {
			if !strings.Contains(line, want) {
				t.Errorf("slot %s command line lacks %q: %s", slot, want, line)
			}
		}
		if strings.Contains(" "+line, " root=") {
			t.Errorf("slot %s command line names root=: %s", slot, line)
		}
		// The packed policy lets every word of it through, and refuses
		// one more for the real init.
		if _, err := config.Parse(cmdline.Parse(line), config.Packed{Policy: policy}); err != nil {
			t.Errorf("slot %s command line under the packed policy: %v", slot, err)
		}
		if _, err := config.Parse(cmdline.Parse(line+" init=/bin/sh"), config.Packed{Policy: policy}); err == nil || !strings.Contains(err.Error(), "init=/bin/sh: refused by the policy (packed)") {
			t.Errorf("slot %s command line with init=/bin/sh: %v, want refused", slot, err)
		}
		content := filepath.Join(dir, "roothash-"+slot)
		if err := os.WriteFile(content, []byte(hash), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, nil, openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", filepath.Join(images, "slot-"+slot+".p7s"),
			"-content", content, "-CAfile", filepath.Join(images, "verinit-dev.pem"), "-purpose", "any", "-out", os.DevNull)
		insp := run(t, nil, built.verinit, "inspect", disk, "--cmdline", line)
		if !strings.Contains(insp, "the root hash "+hash+" matches the tree") {
			t.Errorf("slot %s: inspect does not verify root hash %s:\n%s", slot, hash, insp)
		}
		if saved := readFile(t, filepath.Join(images, "slot-"+slot+".inspect")); saved != insp {
			t.Errorf("slot %s: the script's inspect record differs from a fresh run", slot)
		}
	}
	start := readFile(t, filepath.Join(images, "start-qemu.sh"))
	if !strings.Contains(start, "-initrd initramfs.cpio.gz") || !strings.Contains(start, `"slot-$slot.cmdline"`) ||
		!strings.Contains(start, "qemu-system-x86_64 -M pc") || !strings.Contains(start, "-kernel bzImage") {
		t.Errorf("start-qemu.sh does not boot the images it sits beside on a PC:\n%s", start)
	}
	run(t, nil, "sh", "-n", filepath.Join(images, "start-qemu.sh"))

	// For aarch64 (verinit_qemu_aarch64_virt_defconfig): the virt board's
	// console and emulator. (test/vm's TestBuildrootPostImage boots it.)
	if err := os.WriteFile(brConfig, []byte("BR2_ARCH=\"aarch64\"\nBR2_aarch64=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runErr(env, bash, filepath.Join(brExt, "board", "common", "post-image.sh"), images); err == nil ||
		!regexp.MustCompile(`init .*x86-64.*arm64|arm64.*x86-64`).MatchString(out) {
		t.Errorf("an x86-64 init for an aarch64 build: err %v, output:\n%s", err, out)
	}
	arm64Init := filepath.Join(dir, "init-arm64")
	build := exec.Command("go", "build", "-trimpath", "-o", arm64Init, "./cmd/init")
	build.Dir, build.Env = "..", append(os.Environ(), "CGO_ENABLED=0", "GOARCH=arm64")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build GOARCH=arm64: %v\n%s", err, b)
	}
	if b, err := os.ReadFile(arm64Init); err != nil || os.WriteFile(filepath.Join(images, "verinit", "init"), b, 0o755) != nil {
		t.Fatal(err)
	}
	out = run(t, env, bash, filepath.Join(brExt, "board", "common", "post-image.sh"), images)
	if !strings.Contains(out, "(arm64)") {
		t.Errorf("the disk is not arm64's:\n%s", out)
	}
	if line := readFile(t, filepath.Join(images, "slot-a.cmdline")); !strings.HasPrefix(line, "console=ttyAMA0 panic=5 ") {
		t.Errorf("aarch64 slot A command line: %s", line)
	}
	start = readFile(t, filepath.Join(images, "start-qemu.sh"))
	if !strings.Contains(start, "qemu-system-aarch64 -M virt -cpu cortex-a53") || !strings.Contains(start, "-kernel Image") ||
		!strings.Contains(start, "-device virtio-blk-device,drive=d0") {
		t.Errorf("aarch64 start-qemu.sh:\n%s", start)
	}
	run(t, nil, "sh", "-n", filepath.Join(images, "start-qemu.sh"))

	// Run again with the key from the first run: the same key is reused,
	// and a wrong argument pair is refused.
	run(t, env, bash, filepath.Join(brExt, "board", "common", "post-image.sh"), images,
		"--sign-key", filepath.Join(images, "verinit-dev.key"), "--sign-cert", filepath.Join(images, "verinit-dev.pem"))
	cmd := []string{filepath.Join(brExt, "board", "common", "post-image.sh"), images, "--sign-key", filepath.Join(images, "verinit-dev.key")}
	if out, err := runErr(env, bash, cmd...); err == nil || !strings.Contains(out, "--sign-key and --sign-cert go together") {
		t.Errorf("a key without its certificate: err %v, output:\n%s", err, out)
	}
}
