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

	// verinit.load, from the default plan of the kernel
	db, err := modules.LoadDB(os.DirFS(kdir))
	must(err)
	plan, err := modules.Resolve(db, modules.DefaultModules())
	must(err)
	var entries []loadlist.Entry
	for _, m := range plan.Modules {
		ko, _, _ := modules.SplitModulePath(m.Path)
		entries = append(entries, loadlist.Entry{Name: m.Name, Path: "/lib/modules/" + filepath.Base(kdir) + "/" + ko, Deps: m.Deps})
	}
	var buf bytes.Buffer
	must(loadlist.Write(&buf, entries))
	write(llout, "FuzzParse", "debian-default", buf.Bytes())
	write(llout, "FuzzParse", "header-only", []byte(loadlist.Header+"\n"))
	write(llout, "FuzzParse", "dep-later", []byte("a /m/a.ko b\nb /m/b.ko\n"))
	write(llout, "FuzzParse", "whitespace-crlf", []byte("a\t/m/a.ko\r\n\n# c\nb  /m/b.ko   a \r\n"))
	write(llout, "FuzzParse", "duplicate", []byte("a /m/a.ko\na /n/a.ko\n"))
	write(llout, "FuzzParse", "bad-path", []byte("a m/../a.ko.xz\n"))
	write(llout, "FuzzParse", "long-line", []byte("a /m/a.ko"+strings.Repeat(" a", 2100)+"\n"))
}
