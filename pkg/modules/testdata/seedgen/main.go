// Command seedgen writes the fuzz seed corpora of pkg/modules and
// pkg/modules/loadlist from a kernel modules directory. Run from the
// repository root:
//
//	go run ./pkg/modules/testdata/seedgen /lib/modules/6.1.0-56-amd64
//
// It lives under testdata so that "go build ./..." and "go vet ./..." skip it.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/verinit/verinit/pkg/dps"
	"github.com/verinit/verinit/pkg/modules"
	"github.com/verinit/verinit/pkg/modules/loadlist"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "seedgen:", err)
		os.Exit(1)
	}
}

func grep(file, pattern string, n int) string {
	out, err := exec.Command("sh", "-c", fmt.Sprintf("grep -E %q %s | head -%d", pattern, file, n)).Output()
	must(err)
	return string(out)
}

func write(dir, target, name string, data []byte) {
	d := filepath.Join(dir, "testdata", "fuzz", target)
	must(os.MkdirAll(d, 0o755))
	must(os.WriteFile(filepath.Join(d, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)), 0o644))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seedgen MODULESDIR (run from the repository root)")
		os.Exit(2)
	}
	out := "pkg/modules"
	llout := "pkg/modules/loadlist"
	kdir := os.Args[1]
	dep := filepath.Join(kdir, "modules.dep")

	// modules.dep
	write(out, "FuzzParseDep", "debian-dm-virtio", []byte(grep(dep, "/(dm-|virtio)", 40)))
	write(out, "FuzzParseDep", "debian-storage", []byte(grep(dep, "/(usb|scsi|ata|nvme|mmc)/", 60)))
	write(out, "FuzzParseDep", "comments-blank-crlf", []byte("# comment\n\n  \nkernel/a.ko.xz:  kernel/b.ko.zst\t\tkernel/c.ko.gz  \r\nkernel/b.ko.zst:\r\nkernel/c.ko.gz:\n"))
	write(out, "FuzzParseDep", "missing-colon", []byte("kernel/a.ko:\nkernel/b.ko kernel/a.ko\n"))
	write(out, "FuzzParseDep", "cycle", []byte("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko: kernel/a.ko\n"))
	write(out, "FuzzParseDep", "duplicate-name", []byte("kernel/dm-mod.ko:\nupdates/dm_mod.ko.xz:\n"))
	write(out, "FuzzParseDep", "escaping-path", []byte("../x.ko: /abs/y.ko\n"))

	// modules.softdep
	sd, err := os.ReadFile(filepath.Join(kdir, "modules.softdep"))
	must(err)
	write(out, "FuzzParseSoftdep", "debian", sd)
	write(out, "FuzzParseSoftdep", "post-before-pre", []byte("softdep m post: a pre: b post: c\nsoftdep n\n"))
	write(out, "FuzzParseSoftdep", "bad-keyword", []byte("options m x=1\n"))

	// modules.alias
	alias := filepath.Join(kdir, "modules.alias")
	write(out, "FuzzParseAlias", "debian", []byte(grep(alias, "(crypto-crc32c|virtio|\\[|fs-)", 40)))
	write(out, "FuzzParseAlias", "bad-glob", []byte("alias a[ b\nalias x\n"))

	// modules.builtin
	write(out, "FuzzParseBuiltin", "debian", []byte(grep(filepath.Join(kdir, "modules.builtin"), ".", 30)))
	write(out, "FuzzParseBuiltin", "bad", []byte("/abs/a.ko\nkernel/a\n"))

	// modules.builtin.modinfo: its first records, and every sha record
	modinfo, err := os.ReadFile(filepath.Join(kdir, "modules.builtin.modinfo"))
	must(err)
	recs := bytes.SplitAfter(modinfo, []byte{0})
	var sha []byte
	for _, r := range recs {
		if bytes.HasPrefix(r, []byte("sha")) {
			sha = append(sha, r...)
		}
	}
	write(out, "FuzzParseBuiltinModinfo", "debian-head", bytes.Join(recs[:min(40, len(recs))], nil))
	write(out, "FuzzParseBuiltinModinfo", "debian-sha", sha)
	write(out, "FuzzParseBuiltinModinfo", "bad", []byte("m.alias=pci:v[0\x00no-key\x00"))

	// verinit.load, from the default plan of the kernel
	db, err := modules.LoadDB(os.DirFS(kdir))
	must(err)
	plan, err := modules.Resolve(db, modules.DefaultModules(dps.ArchX86_64))
	must(err)
	release := filepath.Base(kdir)
	list, err := modules.LoadList(db, plan, modules.DefaultSet(dps.ArchX86_64), func(m modules.Module) string {
		ko, _, _ := modules.SplitModulePath(m.Path)
		return "/lib/modules/" + release + "/" + ko
	})
	must(err)
	var buf bytes.Buffer
	must(loadlist.Write(&buf, list))
	write(llout, "FuzzParse", "debian-default", buf.Bytes())
	buf.Reset()
	must(loadlist.Write(&buf, modules.Eager(list)))
	write(llout, "FuzzParse", "debian-eager", buf.Bytes())
	v := loadlist.VersionLine + "\n"
	write(llout, "FuzzParse", "header-only", []byte(loadlist.Header+"\n"+v))
	write(llout, "FuzzParse", "version-1", []byte("# verinit load list v1: NAME PATH [DEP ...]\na /m/a.ko\n"))
	write(llout, "FuzzParse", "dep-later", []byte(v+"module a dep /m/a.ko b\nmodule b dep /m/b.ko\n"))
	write(llout, "FuzzParse", "whitespace-crlf", []byte(v+"module\ta\tstart /m/a.ko\r\n\n# c\nmodule  b storage  /m/b.ko   a \r\nalias\tx* b\r\n"))
	write(llout, "FuzzParse", "duplicate", []byte(v+"module a dep /m/a.ko\nmodule a dep /n/a.ko\n"))
	write(llout, "FuzzParse", "bad-path", []byte(v+"module a dep m/../a.ko.xz\n"))
	write(llout, "FuzzParse", "bad-class", []byte(v+"module a boot /m/a.ko\n"))
	write(llout, "FuzzParse", "alias-glob", []byte(v+"module a storage /m/a.ko\nalias usb:v13FDp3940d0[0-2]*dc* a\nalias x[ a\n"))
	write(llout, "FuzzParse", "alias-unnormalised", []byte(v+"module a dm /m/a.ko\nalias crypto-sha256 a\n"))
	write(llout, "FuzzParse", "module-after-alias", []byte(v+"module a dm /m/a.ko\nalias x a\nmodule b dep /m/b.ko\n"))
	write(llout, "FuzzParse", "long-line", []byte(v+"module a dep /m/a.ko"+strings.Repeat(" a", 2100)+"\n"))
}
