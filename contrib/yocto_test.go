package contrib

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/initramfs"
	"github.com/verinit/verinit/pkg/modules"
)

const layer = "yocto/meta-verinit"

var updateGoMods = flag.Bool("update", false, "rewrite meta-verinit's verinit-go-mods.inc from go list -deps and the Go module cache")

// bbFile is a BitBake file read for the rules checked here: its
// assignments (value text, operators kept), its inherits and requires,
// and its shell functions. bitbake itself is not available here.
type bbFile struct {
	assigns  map[string][]string // VAR, VAR:override or VAR[flag] -> "OP value" in order
	inherits []string
	requires []string
	funcs    map[string]string // name -> body
}

var (
	// An assignment: [export] VAR[:override...][[flag]] OP "value" or 'value'.
	bbAssign = regexp.MustCompile(`^(?:export\s+)?([A-Za-z0-9_\-+.${}/~:]+(?:\[[A-Za-z0-9_\-+.@/]+\])?)\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*("(.*)"|'(.*)')$`)
	// A function: [python|fakeroot] NAME () {, or python () {.
	bbFunc = regexp.MustCompile(`^(?:(python|fakeroot)\s+)?([A-Za-z0-9_\-+.${}:]*)\s*\(\)\s*\{$`)
	bbWord = regexp.MustCompile(`^(inherit|require|include|addtask|deltask|EXPORT_FUNCTIONS|addhandler)\s+(.+)$`)
)

// parseBB reads BitBake metadata: logical lines (a trailing backslash
// continues a line), comments, assignments with a quoted value, the
// directives, and functions that end with a "}" line. Anything else, an
// unbalanced quote, or an unclosed ${ is an error.
func parseBB(text string) (bbFile, error) {
	f := bbFile{assigns: map[string][]string{}, funcs: map[string]string{}}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := lines[i]
		if m := bbFunc.FindStringSubmatch(line); m != nil {
			var body []string
			for i++; i < len(lines) && lines[i] != "}"; i++ {
				body = append(body, lines[i])
			}
			if i == len(lines) {
				return f, fmt.Errorf("line %d: function %q has no closing }", n, m[2])
			}
			name := m[2]
			if m[1] == "python" {
				name = "python " + name
			}
			f.funcs[name] = strings.Join(body, "\n")
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + lines[i]
		}
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		switch trimmed := strings.TrimSpace(line); {
		case trimmed == "", strings.HasPrefix(trimmed, "#"):
			continue
		case line != trimmed:
			return f, fmt.Errorf("line %d: indented outside a function: %q", n, line)
		}
		if m := bbWord.FindStringSubmatch(line); m != nil {
			if err := checkExpansions(m[2]); err != nil {
				return f, fmt.Errorf("line %d: %w", n, err)
			}
			switch m[1] {
			case "inherit":
				f.inherits = append(f.inherits, strings.Fields(m[2])...)
			case "require", "include":
				f.requires = append(f.requires, m[2])
			}
			continue
		}
		m := bbAssign.FindStringSubmatch(line)
		if m == nil {
			return f, fmt.Errorf("line %d: not BitBake metadata: %q", n, line)
		}
		value := m[4] + m[5]
		if err := checkExpansions(value); err != nil {
			return f, fmt.Errorf("line %d: %w", n, err)
		}
		f.assigns[m[1]] = append(f.assigns[m[1]], m[2]+" "+strings.Join(strings.Fields(value), " "))
	}
	return f, nil
}

// checkExpansions checks that every ${ closes (inline Python's too).
func checkExpansions(s string) error {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '{' && depth > 0:
			depth++
		case s[i] == '}' && depth > 0:
			depth--
		}
	}
	if depth != 0 {
		return fmt.Errorf("unclosed ${ in %q", s)
	}
	return nil
}

// value returns the value of the last plain assignment (=, ?=, ??=, :=)
// to v, and "" if none.
func (f bbFile) value(v string) string {
	as := f.assigns[v]
	for i := len(as) - 1; i >= 0; i-- {
		op, val, _ := strings.Cut(as[i], " ")
		if op == "=" || op == "?=" || op == "??=" || op == ":=" {
			return val
		}
	}
	return ""
}

// all returns every value assigned to v, whatever the operator.
func (f bbFile) all(v string) string {
	var vals []string
	for _, a := range f.assigns[v] {
		_, val, _ := strings.Cut(a, " ")
		vals = append(vals, val)
	}
	return strings.Join(vals, " ")
}

func readBB(t *testing.T, path string) bbFile {
	t.Helper()
	f, err := parseBB(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// checkShellFuncs runs sh -n on every shell function of f. Inline Python
// (${@...}) becomes a word; ${VAR} is shell syntax already.
func checkShellFuncs(t *testing.T, path string, f bbFile) {
	t.Helper()
	sh := needTool(t, "sh")
	inline := regexp.MustCompile(`\$\{@[^}]*\}`)
	for name, body := range f.funcs {
		if strings.HasPrefix(name, "python") {
			t.Errorf("%s: %s: Python functions are not checked here; keep to shell", path, name)
			continue
		}
		script := "f() {\n" + inline.ReplaceAllString(body, "x") + "\n}\n"
		if out, err := exec.Command(sh, "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("%s: %s: sh -n: %v\n%s", path, name, err, out)
		}
	}
}

// TestBitBakeParser checks that the reader used below rejects malformed
// metadata (BitBake rejects all of these but the indented assignment,
// which is refused here as a layout rule) and reads what it accepts.
func TestBitBakeParser(t *testing.T) {
	bad := map[string]string{
		"unbalanced quote":    "A = \"x\n",
		"no quotes":           "A = x\n",
		"unknown operator":    "A != \"x\"\n",
		"unclosed expansion":  "A = \"${B\"\n",
		"unclosed function":   "do_x() {\n\ttrue\n",
		"indented assignment": "  A = \"x\"\n",
	}
	for name, text := range bad {
		if _, err := parseBB(text); err == nil {
			t.Errorf("%s: %q accepted", name, text)
		}
	}
	f, err := parseBB("export A ?= \"1\"\nA:append:class-target = \" 2\"\nB[depends] += \"x:do_y\"\nC = \"a \\\n    b\"\ninherit go-mod ${@'x' if True else ''}\ndo_x:append() {\n\ttrue\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	if f.value("A") != "1" || f.all("A:append:class-target") != "2" || f.all("B[depends]") != "x:do_y" || f.value("C") != "a b" ||
		!slices.Equal(f.inherits, []string{"go-mod", "${@'x'", "if", "True", "else", "''}"}) || f.funcs["do_x:append"] != "\ttrue" {
		t.Errorf("parsed %+v", f)
	}
}

// TestYoctoLayer checks meta-verinit: layer.conf, the recipe, the image
// and the class, for BitBake's syntax and for the settings verinit needs.
func TestYoctoLayer(t *testing.T) {
	conf := readBB(t, filepath.Join(layer, "conf", "layer.conf"))
	if !strings.Contains(conf.all("BBFILE_COLLECTIONS"), "verinit") || conf.value("BBFILE_PATTERN_verinit") != "^${LAYERDIR}/" ||
		conf.value("BBFILE_PRIORITY_verinit") == "" || conf.value("LAYERSERIES_COMPAT_verinit") == "" ||
		!strings.Contains(conf.value("LAYERDEPENDS_verinit"), "core") || !strings.Contains(conf.all("BBPATH"), "${LAYERDIR}") {
		t.Errorf("layer.conf: %v", conf.assigns)
	}
	// Every recipe is found by BBFILES.
	var patterns []string
	for _, p := range strings.Fields(conf.all("BBFILES")) {
		patterns = append(patterns, strings.Replace(p, "${LAYERDIR}", layer, 1))
	}
	err := filepath.WalkDir(layer, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".bb" {
			return err
		}
		if !slices.ContainsFunc(patterns, func(p string) bool { ok, _ := filepath.Match(p, path); return ok }) {
			t.Errorf("%s: not matched by BBFILES %v", path, patterns)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	recipePath := filepath.Join(layer, "recipes-core", "verinit", "verinit_git.bb")
	r := readBB(t, recipePath)
	checkShellFuncs(t, recipePath, r)
	gomod := strings.SplitN(readFile(t, "../go.mod"), "\n", 2)[0]
	want := map[string]string{
		"GO_IMPORT":               strings.TrimPrefix(gomod, "module "),
		"GO_INSTALL":              "${GO_IMPORT}/cmd/init",
		"GO_INSTALL:class-native": "${GO_IMPORT}/cmd/verinit",
		"CGO_ENABLED":             "0",
		"GO_LINUXLOADER":          "",
		"FILES:${PN}":             "/init",
	}
	for k, v := range want {
		if got := r.value(k); got != v {
			t.Errorf("%s: %s = %q, want %q", recipePath, k, got, v)
		}
	}
	for _, dir := range []string{"cmd/init", "cmd/verinit"} {
		if _, err := os.Stat(filepath.Join("..", dir)); err != nil {
			t.Errorf("%s: GO_INSTALL names %s: %v", recipePath, dir, err)
		}
	}
	if !strings.Contains(r.all("GOBUILDFLAGS:remove"), "-buildmode=pie") {
		t.Errorf("%s: must remove go.bbclass's -buildmode=pie (a PIE Go binary needs the dynamic loader)", recipePath)
	}
	if !slices.Contains(r.inherits, "go-mod") || !strings.Contains(r.value("BBCLASSEXTEND"), "native") ||
		!strings.Contains(r.value("SRC_URI"), "destsuffix=${GO_SRCURI_DESTSUFFIX}") || r.value("LICENSE") == "" {
		t.Errorf("%s: wants inherit go-mod, BBCLASSEXTEND native, SRC_URI into GO_SRCURI_DESTSUFFIX and a LICENSE", recipePath)
	}
	// The licence: the checksum of the LICENSE file that go.bbclass
	// checks out under ${S}/src/${GO_IMPORT}.
	if r.value("LICENSE") != "BSD-3-Clause" {
		t.Errorf("%s: LICENSE = %q, want BSD-3-Clause", recipePath, r.value("LICENSE"))
	}
	sum := md5.Sum([]byte(readFile(t, "../LICENSE")))
	if want := "file://src/${GO_IMPORT}/LICENSE;md5=" + hex.EncodeToString(sum[:]); r.value("LIC_FILES_CHKSUM") != want {
		t.Errorf("%s: LIC_FILES_CHKSUM = %q, want %q", recipePath, r.value("LIC_FILES_CHKSUM"), want)
	}
	if !slices.Contains(r.requires, "${BPN}-go-mods.inc") {
		t.Errorf("%s: does not require ${BPN}-go-mods.inc", recipePath)
	}
	if !strings.Contains(r.funcs["do_install:append:class-target"], "mv ${D}${bindir}/init ${D}/init") {
		t.Errorf("%s: the init must be installed as /init", recipePath)
	}

	imagePath := filepath.Join(layer, "recipes-core", "images", "verinit-initramfs.bb")
	img := readBB(t, imagePath)
	checkShellFuncs(t, imagePath, img)
	if img.value("IMAGE_FSTYPES") != "${INITRAMFS_FSTYPES}" || !slices.Contains(img.inherits, "image") ||
		!strings.Contains(img.value("PACKAGE_INSTALL"), "verinit") || img.value("LICENSE") == "" ||
		!strings.Contains(img.all("do_image_cpio[depends]"), "verinit-native:do_populate_sysroot") {
		t.Errorf("%s: %v %v", imagePath, img.assigns, img.inherits)
	}
	// The staged modules are ones the packer takes by default, for one
	// architecture or another (the layer builds for any MACHINE).
	var defaults []string
	for _, a := range []dps.Arch{dps.ArchX86_64, dps.ArchARM64, dps.ArchARM, dps.ArchRISCV64} {
		defaults = append(defaults, modules.DefaultModules(a)...)
	}
	staged := strings.Fields(img.value("VERINIT_INITRAMFS_MODULES"))
	if len(staged) == 0 || img.value("PACKAGE_INSTALL_ATTEMPTONLY") != "${VERINIT_INITRAMFS_MODULES}" {
		t.Errorf("%s: the kernel modules must be staged with PACKAGE_INSTALL_ATTEMPTONLY (a built-in driver has no package)", imagePath)
	}
	for _, pkg := range staged {
		name, ok := strings.CutPrefix(pkg, "kernel-module-")
		if !ok || !slices.Contains(defaults, strings.ReplaceAll(name, "-", "_")) {
			t.Errorf("%s: %s is not a module of verinit initramfs's default set %v", imagePath, pkg, defaults)
		}
	}
	cpio := img.funcs["IMAGE_CMD:cpio"]
	if !strings.Contains(cpio, "verinit initramfs -o ${IMGDEPLOYDIR}/${IMAGE_NAME}.cpio --compression none") ||
		!strings.Contains(cpio, "--init ${IMAGE_ROOTFS}/init") {
		t.Errorf("%s: IMAGE_CMD:cpio must write ${IMAGE_NAME}.cpio, uncompressed, with verinit initramfs:\n%s", imagePath, cpio)
	}
	if !slices.Contains(img.inherits, "${@'verinit-dm-verity'") {
		t.Errorf("%s: does not inherit verinit-dm-verity when DM_VERITY_IMAGE is set: %v", imagePath, img.inherits)
	}

	classPath := filepath.Join(layer, "classes", "verinit-dm-verity.bbclass")
	c := readBB(t, classPath)
	checkShellFuncs(t, classPath, c)
	// meta-security's dm-verity-img.bbclass writes the env here.
	if got := c.value("VERINIT_DM_VERITY_ENV"); got != "${STAGING_VERITY_DIR}/${DM_VERITY_IMAGE}.${DM_VERITY_IMAGE_TYPE}.verity.env" {
		t.Errorf("%s: VERINIT_DM_VERITY_ENV = %q", classPath, got)
	}
	args := c.all("VERINIT_INITRAMFS_ARGS")
	for _, dst := range []string{":" + config.VerityEnvPath + " ", ":" + config.VeritySigEnvPath + " "} {
		if !strings.Contains(args, dst) {
			t.Errorf("%s: does not pack a file at %s, where the init reads it: %s", classPath, strings.Trim(dst, ": "), args)
		}
	}
	stage := strings.TrimSpace(c.all("do_image_cpio[prefuncs]"))
	if c.funcs[stage] == "" || !strings.Contains(c.funcs[stage], "verinit sign --key ${VERINIT_SIGN_KEY} --cert ${VERINIT_SIGN_CERT}") {
		t.Errorf("%s: the prefunc %q must exist and sign the root hash", classPath, stage)
	}
	if !strings.Contains(c.all("do_image_cpio[depends]"), "${DM_VERITY_IMAGE}:do_image_") {
		t.Errorf("%s: the cpio must be made after the verity image", classPath)
	}
}

// TestYoctoGoMods checks verinit-go-mods.inc against the modules that
// cmd/init and cmd/verinit build from, with the checksums of their zips
// in the Go module cache (go-mod-update-modules.bbclass's format).
func TestYoctoGoMods(t *testing.T) {
	go_ := needTool(t, "go")
	inc := filepath.Join(layer, "recipes-core", "verinit", "verinit-go-mods.inc")
	f := readBB(t, inc)
	entry := regexp.MustCompile(`^gomod://([^;]+);version=([^;]+);sha256sum=([0-9a-f]{64})$`)
	have := map[string]string{}
	for _, u := range strings.Fields(f.all("SRC_URI")) {
		m := entry.FindStringSubmatch(u)
		if m == nil {
			t.Errorf("%s: not a gomod:// entry of a module zip: %s", inc, u)
			continue
		}
		have[m[1]+"@"+m[2]] = m[3]
	}
	cmd := exec.Command(go_, "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}}{{end}}{{end}}", "./cmd/init", "./cmd/verinit")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	need := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		need[m] = true
	}
	cache, err := exec.Command(go_, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	zipSum := func(m string) (string, error) {
		path, version, _ := strings.Cut(m, "@")
		b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(cache)), "cache", "download", escapeModulePath(path), "@v", version+".zip"))
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:]), nil
	}
	if *updateGoMods {
		// The header comment stays; the list is rewritten, sorted as
		// go-mod-update-modules.bbclass sorts it.
		text := readFile(t, inc)
		head := text[:strings.Index(text, "SRC_URI += ")]
		var uris []string
		for m := range need {
			sum, err := zipSum(m)
			if err != nil {
				t.Fatal(err)
			}
			path, version, _ := strings.Cut(m, "@")
			uris = append(uris, "gomod://"+path+";version="+version+";sha256sum="+sum)
		}
		fold := func(u string) string { return strings.NewReplacer(";", " ", "/", "!").Replace(u) }
		slices.SortFunc(uris, func(a, b string) int { return strings.Compare(fold(a), fold(b)) })
		var out strings.Builder
		out.WriteString(head + "SRC_URI += \"\\\n")
		for _, u := range uris {
			out.WriteString("    " + u + " \\\n")
		}
		out.WriteString("\"\n")
		if err := os.WriteFile(inc, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for m := range need {
		if _, ok := have[m]; !ok {
			t.Errorf("%s lacks %s (regenerate: go test ./contrib -run TestYoctoGoMods -update, or bitbake -c update_modules verinit)", inc, m)
		}
	}
	for m, sum := range have {
		if !need[m] {
			t.Errorf("%s lists %s, which the build does not use", inc, m)
			continue
		}
		got, err := zipSum(m)
		if err != nil {
			t.Errorf("%s: %v", m, err)
		} else if got != sum {
			t.Errorf("%s: sha256sum %s, the module zip's is %s", m, sum, got)
		}
	}
}

// escapeModulePath is the module cache's case encoding: an upper-case
// letter becomes "!" and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// bbExpand expands ${VAR} from vars (repeatedly, for nested values) and
// the one inline-Python form the layer uses, ${@'A' if d.getVar('V')
// else 'B'} (A in single or double quotes). An unknown variable fails the
// test: every one the image commands use must be known here.
func bbExpand(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	cond := regexp.MustCompile(`\$\{@(?:'((?:[^'$]|\$\{[^}]*\})*)'|"((?:[^"$]|\$\{[^}]*\})*)") if d\.getVar\('([A-Z_]+)'\) else '([^']*)'\}`)
	ref := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	for range 10 {
		s = cond.ReplaceAllStringFunc(s, func(m string) string {
			p := cond.FindStringSubmatch(m)
			if vars[p[3]] != "" {
				return p[1] + p[2] // one of them is empty
			}
			return p[4]
		})
		next := ref.ReplaceAllStringFunc(s, func(m string) string {
			name := ref.FindStringSubmatch(m)[1]
			v, ok := vars[name]
			if !ok {
				t.Fatalf("${%s} is not known to the test", name)
			}
			return v
		})
		if next == s {
			return s
		}
		s = next
	}
	t.Fatalf("expansion does not end: %s", s)
	return ""
}

// TestYoctoImageCommands runs the image's IMAGE_CMD:cpio and the class's
// staging function as do_image_cpio would, with BitBake's variables
// expanded, on a staged image root and a dm-verity.env made from
// veritysetup's output as meta-security's class makes it, and reads the
// cpio it wrote: the init, the env and its signature at the paths the
// init reads, the certificate and the policy.
func TestYoctoImageCommands(t *testing.T) {
	veritysetup := needTool(t, "veritysetup")
	openssl := needTool(t, "openssl")
	sh := needTool(t, "sh")
	needTool(t, "mksquashfs")
	dir := t.TempDir()
	rootfs, deploy, staging, work := filepath.Join(dir, "rootfs"), filepath.Join(dir, "deploy"), filepath.Join(dir, "dm-verity"), filepath.Join(dir, "work")
	for _, d := range []string{rootfs, deploy, staging, work, filepath.Join(dir, "src", "sbin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	initBytes, err := os.ReadFile(built.init)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "init"), initBytes, 0o755); err != nil {
		t.Fatal(err)
	}

	// The verity image and its env, as dm-verity-img.bbclass writes them:
	// veritysetup's output without its first line, "Key: value" as
	// KEY=value without spaces, then DATA_SIZE and SEPARATE_HASH.
	if err := os.WriteFile(filepath.Join(dir, "src", "sbin", "init"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "core-image-minimal.squashfs.verity")
	run(t, nil, "mksquashfs", filepath.Join(dir, "src"), img, "-noappend", "-quiet")
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, nil, veritysetup, "--data-block-size=1024", "--hash-block-size=4096", "--hash-offset="+strconv.FormatInt(st.Size(), 10), "format", img, img)
	var env strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		k, v, _ := strings.Cut(line, ":")
		env.WriteString(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(k), " ", "_")) + "=" + strings.Join(strings.Fields(v), "") + "\n")
	}
	fmt.Fprintf(&env, "DATA_SIZE=%d\nSEPARATE_HASH=0\n", st.Size())
	envPath := filepath.Join(staging, "core-image-minimal.squashfs.verity.env")
	if err := os.WriteFile(envPath, []byte(env.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rootHash := regexp.MustCompile(`(?m)^ROOT_HASH=([0-9a-f]+)$`).FindStringSubmatch(env.String())
	if rootHash == nil {
		t.Fatalf("no ROOT_HASH in veritysetup's output:\n%s", out)
	}
	key, cert := filepath.Join(dir, "release.key"), filepath.Join(dir, "release.pem")
	run(t, nil, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
		"-subj", "/CN=yocto test", "-keyout", key, "-out", cert)

	image := readBB(t, filepath.Join(layer, "recipes-core", "images", "verinit-initramfs.bb"))
	class := readBB(t, filepath.Join(layer, "classes", "verinit-dm-verity.bbclass"))
	vars := map[string]string{
		"IMAGE_ROOTFS": rootfs, "nonarch_base_libdir": "/lib", "IMGDEPLOYDIR": deploy, "IMAGE_NAME": "verinit-initramfs-qemux86-64",
		"WORKDIR": work, "STAGING_VERITY_DIR": staging, "DM_VERITY_IMAGE": "core-image-minimal", "DM_VERITY_IMAGE_TYPE": "squashfs",
		"VERINIT_SIGN_KEY": key, "VERINIT_SIGN_CERT": cert,
	}
	// The class's values, as BitBake would assign them (?= keeps a value set above).
	for _, v := range []string{"VERINIT_DM_VERITY_DIR", "VERINIT_DM_VERITY_ENV", "VERINIT_POLICY", "VERINIT_CMDLINE_KEYS"} {
		vars[v] = class.value(v)
	}
	if vars["VERINIT_CMDLINE_KEYS"] != "" {
		t.Errorf("VERINIT_CMDLINE_KEYS defaults to %q, want empty: every word passes", vars["VERINIT_CMDLINE_KEYS"])
	}
	vars["VERINIT_CMDLINE_KEYS"] = "console=ttyS0,115200 quiet" // as local.conf sets it
	vars["VERINIT_INITRAMFS_ARGS"] = image.value("VERINIT_INITRAMFS_ARGS") + " " + class.all("VERINIT_INITRAMFS_ARGS")
	stage := strings.TrimSpace(class.all("do_image_cpio[prefuncs]"))
	script := "set -e\nbbfatal() { echo \"bbfatal: $*\" >&2; exit 1; }\n" +
		bbExpand(t, class.funcs[stage], vars) + "\n" + bbExpand(t, image.funcs["IMAGE_CMD:cpio"], vars) + "\n"
	run(t, []string{"PATH=" + filepath.Dir(built.verinit) + ":" + os.Getenv("PATH")}, sh, "-c", script)

	archive, err := os.ReadFile(filepath.Join(deploy, "verinit-initramfs-qemux86-64.cpio"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := initramfs.List(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatalf("the image's cpio (uncompressed, for INITRAMFS_FSTYPES' conversions): %v", err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		files["/"+e.Name] = archive[e.DataOffset : e.DataOffset+int64(e.FileSize)]
	}
	if !bytes.Equal(files["/init"], initBytes) {
		t.Errorf("/init is not the staged init")
	}
	if got := string(files[config.VerityEnvPath]); got != env.String() {
		t.Errorf("%s = %q, want the verity image's env", config.VerityEnvPath, got)
	}
	if p := string(files[config.PolicyPath]); !strings.Contains(p, "signature=required") || !strings.Contains(p, "\ncmdline-keys=console=ttyS0,115200 quiet\n") {
		t.Errorf("%s = %q, want signature=required and VERINIT_CMDLINE_KEYS' cmdline-keys=", config.PolicyPath, p)
	}
	if got := string(files["/etc/verinit/certs/00-release.pem"]); got != readFile(t, cert) {
		t.Errorf("the certificate is not packed: %q", got)
	}
	sig := filepath.Join(dir, "env.p7s")
	if err := os.WriteFile(sig, files[config.VeritySigEnvPath], 0o644); err != nil {
		t.Fatal(err)
	}
	content := filepath.Join(dir, "roothash")
	if err := os.WriteFile(content, []byte(rootHash[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, nil, openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content, "-CAfile", cert, "-purpose", "any", "-out", os.DevNull)
	// And the init reads the packed env as the image's.
	parsed, err := config.ParseVerityEnv(files[config.VerityEnvPath])
	if err != nil || parsed.RootHash != rootHash[1] || parsed.DataSize != uint64(st.Size()) {
		t.Errorf("the packed env reads as %+v, %v", parsed, err)
	}
}
