package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/verinit/verinit/pkg/config"
	"github.com/verinit/verinit/pkg/config/keys"
	"github.com/verinit/verinit/pkg/modules/loadlist"
	"github.com/verinit/verinit/pkg/status"
)

func runMan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("man", stderr)
	section := fs.Int("section", 1, "the manual `section`: 1 for verinit(1), 7 for verinit-init(7)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	if *section != 1 && *section != 7 {
		return fmt.Errorf("--section %d: want 1 or 7: %w", *section, errUsage)
	}
	date, err := manDate()
	if err != nil {
		return err
	}
	if *section == 7 {
		return manInit(stdout, date)
	}
	return manVerinit(stdout, date)
}

// manDate is the page date: from SOURCE_DATE_EPOCH, so builds are
// reproducible, else none.
func manDate() (string, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return "", nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return "", fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number", v)
	}
	return time.Unix(n, 0).UTC().Format("2006-01-02"), nil
}

// roff collects a manual page; every write of text goes through esc or
// inline, so no input can start a request.
type roff struct{ strings.Builder }

func (r *roff) req(format string, a ...any) { fmt.Fprintf(r, format+"\n", a...) }

// text writes a filled line of documentation text.
func (r *roff) text(s string) { r.req("%s", line(inline(s))) }

// para writes documentation paragraphs.
func (r *roff) para(doc string) {
	for _, p := range paragraphs(doc) {
		r.req(".PP")
		r.text(p)
	}
}

// tp writes a tagged paragraph: tag (already inline roff) and its text.
func (r *roff) tp(tag, doc string) {
	r.req(".TP")
	r.req("%s", line(tag))
	r.text(doc)
}

// esc escapes plain text for roff.
func esc(s string) string {
	return strings.ReplaceAll(s, `\`, `\e`)
}

// code is literal text in bold, its hyphens unbreakable minus signs so
// that what is copied from the page can be typed.
func code(s string) string {
	return `\fB` + strings.ReplaceAll(esc(s), "-", `\-`) + `\fR`
}

// inline renders the documentation's Markdown: `code` and [text](link).
func inline(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString(code(part))
			continue
		}
		last := 0
		for _, m := range mdLink.FindAllStringSubmatchIndex(part, -1) {
			b.WriteString(esc(part[last:m[0]]))
			fmt.Fprintf(&b, `%s (\fI%s\fR)`, esc(part[m[2]:m[3]]), esc(part[m[4]:m[5]]))
			last = m[1]
		}
		b.WriteString(esc(part[last:]))
	}
	return b.String()
}

// line guards a text line: one starting with . or ' would be a request.
func line(s string) string {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return `\&` + s
	}
	return s
}

// quoted is a macro argument.
func quoted(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\(dq`) + `"`
}

// manVerinit writes verinit(1).
func manVerinit(w io.Writer, date string) error {
	var r roff
	r.req(".TH VERINIT 1 %s %s %s", quoted(date), quoted("verinit "+esc(version)), quoted("verinit manual"))
	r.req(".nh\n.ad l") // long code words: no hyphens, ragged right
	r.req(".SH NAME")
	r.req(`verinit \- make what the verinit /init consumes: initramfs, dm-verity hash trees, A/B disk images`)
	r.req(".SH SYNOPSIS")
	r.req(".nf")
	for _, c := range commands() {
		fs, err := flagsOf(c)
		if err != nil {
			return err
		}
		syn := strings.TrimPrefix(fullSynopsis(c, fs, 70, "    "), "verinit "+c.name)
		r.req("%s%s", code("verinit "+c.name), strings.ReplaceAll(esc(syn), "-", `\-`))
	}
	r.req(".fi")
	r.req(".SH DESCRIPTION")
	r.para("`verinit` is the host tool of verinit, a static Go `/init` for the initramfs of systems that boot a verified A/B root. It packs the initramfs, makes and checks veritysetup-compatible dm-verity hash trees, signs root hashes, writes A/B disk images with Discoverable Partitions, and runs the init's own decision on disk images. The kernel command line the init reads is described in verinit-init(7).\n\n" +
		"Flags may be written with one or two dashes, and (except for `initramfs`, `version`, `man` and `completion`) before, between or after the other arguments. Every command that reports something takes `--json`.")
	r.req(".SH COMMANDS")
	for _, c := range commands() {
		fs, err := flagsOf(c)
		if err != nil {
			return err
		}
		r.req(".SS %s", quoted("verinit "+c.name))
		r.req(".PP")
		r.req("%s %s", code("verinit "+c.name), line(esc(c.args)))
		r.para(c.doc)
		for _, f := range flagRows(fs) {
			tag := code(f.dash())
			if f.arg != "" {
				tag += ` \fI` + esc(f.arg) + `\fR`
			}
			r.tp(tag, f.usageWithDefault())
		}
	}
	r.req(".SH ENVIRONMENT")
	for _, e := range environment {
		r.tp(code(e.name), e.doc)
	}
	r.req(".SH EXIT STATUS")
	for _, e := range exitCodes {
		r.tp(code(strconv.Itoa(e.code)), e.doc)
	}
	r.req(".SH SEE ALSO")
	r.req(`\fBverinit-init\fR(7), \fBveritysetup\fR(8), \fBsystemd-veritysetup-generator\fR(8), \fBbootparam\fR(7)`)
	_, err := io.WriteString(w, r.String())
	return err
}

// manInit writes verinit-init(7), the kernel command line, from the
// table in package keys.
func manInit(w io.Writer, date string) error {
	var r roff
	r.req(".TH VERINIT-INIT 7 %s %s %s", quoted(date), quoted("verinit "+esc(version)), quoted("verinit manual"))
	r.req(".nh\n.ad l") // long code words: no hyphens, ragged right
	r.req(".SH NAME")
	r.req(`verinit-init \- the verinit /init and the kernel command line it reads`)
	r.req(".SH DESCRIPTION")
	r.para("The verinit `/init` runs as PID 1 of the initramfs. It mounts the API file systems, loads the kernel modules it was packed with, waits (bounded, event-driven) for the devices the boot loader named on the kernel command line, checks the root hash against the dm-verity hash tree, mounts the verified device read-only and switches into the real init. On any failure it prints one clear line and, by default, reboots, so that the boot loader can fall back to the other slot.\n\n" +
		"Every step is logged as one line `verinit: [STAGE +MSms] ...` to `/dev/kmsg`, so it is in `dmesg` and on the console; errors are logged at `KERN_ERR` and reach the console even with `quiet`.")
	r.req(".SH KERNEL COMMAND LINE")
	r.para("Keys compare as the kernel compares them: `-` and `_` are the same. An unknown or misspelt value of a `verinit.*` key is an error, not a silent default.")
	for _, k := range keys.Table() {
		r.tp(inline(k.Term), k.Doc)
	}
	r.req(".SH FILES")
	for _, f := range []struct{ path, doc string }{
		{loadlist.Path, "the modules to load and their order, written by `verinit initramfs`"},
		{config.PolicyPath, "the packed policy (`verinit initramfs --policy`), which the command line can only tighten"},
		{"/etc/verinit/certs/", "the certificates root-hash signatures are checked against (`verinit initramfs --cert`)"},
		{config.VerityEnvPath, "Yocto's `dm-verity.env` (meta-security's `dm-verity-img` class), if packed: the root hash and tree parameters"},
		{config.VeritySigEnvPath, "a signature of the root hash in `dm-verity.env`"},
		{config.VeritytabPath, "systemd's veritytab, if packed: its volume `root` (data and hash devices, root hash, options) is the root and its volume `usr` the verified /usr, their root hashes pinned; any other volume is refused"},
		{status.File, "the record of the boot, which the init writes just before it executes the real init; it stays at that path in the real system"},
	} {
		r.tp(code(f.path), f.doc)
	}
	r.req(".SH SEE ALSO")
	r.req(`\fBverinit\fR(1), \fBbootparam\fR(7), \fBdracut.cmdline\fR(7), \fBkernel-command-line\fR(7), \fBveritysetup\fR(8)`)
	_, err := io.WriteString(w, r.String())
	return err
}
