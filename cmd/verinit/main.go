// Command verinit is the host side of verinit: it makes what the init
// consumes. Exit status: 0 on success, 1 on an error, 2 on misuse (see
// exitCodes).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/verinit/verinit/pkg/progress"
)

// version is set at build time with -ldflags -X main.version=...
var version = "dev"

// command is one command the user runs. Its --help text, its section of
// verinit(1) and its shell completions are all rendered from this entry
// and from the flag.FlagSet its run function makes, so they cannot drift
// from the code.
type command struct {
	name    string // "verity format": the words after verinit
	args    string // what follows the name in its synopsis
	summary string // one line, for the command list
	doc     string // paragraphs separated by blank lines; `code` only
	// run makes its FlagSet with newFlags and calls parse or parseMixed
	// before any side effect: help, the manual and the completions call
	// it with --help to get the flags.
	run func(args []string, stdout, stderr io.Writer) error
}

// commands returns every command, in the order help lists them. (A
// function, not a variable: man and completion read the table, and a
// variable that refers to itself would be an initialization cycle.)
func commands() []command {
	return []command{
		{"initramfs", "-o FILE [flags]",
			"write the initramfs: the init, kernel modules and files, as a newc cpio",
			"Write a newc cpio archive: the init as `/init`, the directories and `/dev/console`, the modules named with `--module` with everything they depend on (`modules.dep`, `modules.softdep`; built-ins skipped per `modules.builtin`, and names a built-in declares per `modules.builtin.modinfo`, such as `crypto-sha256`; compressed modules decompressed at pack time), and the load list `/lib/modules/verinit.load` the init follows.\n\n" +
				"A modules directory without `modules.dep` (an extracted kernel package, a Buildroot or Yocto staging tree before depmod) needs no depmod: the dependencies, aliases and softdeps are computed from the modules themselves as depmod computes them (the symbols each exports and uses, its `.modinfo`).\n\n" +
				"The target architecture is the modules' (from their ELF header), or `--arch`. Without `--init`, the init built for it is packed: `bin/linux-ARCH/init` from `make cross` beside this verinit or under `bin/` of the working directory, or the init beside this verinit if it is built for that architecture. An init built for another machine than the modules is refused. The default module set is that architecture's (see README).\n\n" +
				"The output is reproducible: the same inputs give the same bytes (`SOURCE_DATE_EPOCH` sets the timestamps, default 0). Prints the archive's size, its modules, the built-in ones and the ones not found.",
			runInitramfs},
		{"sign", "--key KEY --cert CERT ROOTHASH|--root-hash-file F [flags]",
			"sign a root hash (PKCS#7, as veritysetup --root-hash-signature and the kernel take it)",
			"Sign the hex root hash with the private key, as a detached PKCS#7 signature in DER (what `veritysetup --root-hash-signature` and the kernel's `root_hash_sig_key_desc` take), or as the JSON content of a Discoverable Partitions root-verity-sig partition.\n\n" +
				"Without `--version` the signature has no signed attributes, as systemd-repart makes it. `--version N` binds the root version N to it: a signed attribute (OID `2.25.192671839107988438118157943287131884715`, a SET of one INTEGER) beside the content type, message digest and signing time, which the init reports to its rollback check. The kernel ignores the attribute and checks the signature as before; `openssl cms -verify` accepts it too.",
			runSign},
		{"verity format", "DATA HASH [flags]",
			"make a veritysetup-compatible hash tree; prints the root hash",
			"Compute the dm-verity hash tree of DATA and write it, with a superblock, to HASH: the same bytes as `veritysetup format` given the same salt and UUID (random ones by default). Prints the same fields, including the `Root hash:` line. DATA and HASH may be the same file with `--hash-offset` past the data.",
			runVerityFormat},
		{"verity verify", "DATA HASH ROOTHASH [flags]",
			"check every block against the root hash; names the first bad one",
			"Check every data block and the whole hash tree against ROOTHASH. Exits 0 only if every block checks, else names the first bad block and exits 1.",
			runVerityVerify},
		{"verity dump", "HASH [flags]",
			"print the superblock of a hash tree",
			"Print the parameters in the verity superblock of HASH, as `veritysetup dump` does.",
			runVerityDump},
		{"inspect", "DISK... [flags]",
			"dry run of the init on disk images: partitions, verity pairs, and the root a command line selects",
			"The init's dry run on disk images (or block devices, read-only): list each disk's partitions with their Discoverable Partitions type names, flags and verity pairs, and the LVM2 volume groups with each logical volume's table or the reason it would be refused. Then make the init's own decision for the given command line (the same code, on the images as disks vda, vdb, ...) and, for a verified root, the same checks (superblock, root hash against the tree), and print the dm table the init would load, or the error it would stop with (exit 1).\n\n" +
				"Auto-discovery (no `root=`) looks for the root partition types of one architecture: `--arch`, or the one whose root types the disks hold; with none or several, give `--arch`.",
			runInspect},
		{"disk create", "OUT.img --rootfs DIR|IMAGE [flags]",
			"write an A/B GPT disk image with Discoverable Partitions root and root-verity partitions",
			"Write a complete A/B GPT disk image, from a directory (with mksquashfs or mkfs.erofs, no root privileges needed) or from a file system image: per slot a root partition `root-a`, `root-b`, ... and its root-verity partition `root-a-verity`, ..., each slot verity-formatted, the partition UUIDs derived from its root hash. Prints for each slot its partitions, root hash and the kernel command line a boot loader should pass.\n\n" +
				"The partition types are those of the root's architecture: the one its programs are built for (from the ELF header of `sbin/init`, `bin/sh`, ... in the DIR), or `--arch`, which an IMAGE needs.",
			runDiskCreate},
		{"tpm predict", "DISK... --initramfs FILE [flags]",
			"print the PCR value a slot's boot will measure, to seal secrets to it in advance",
			tpmPredictDoc, runTPMPredict},
		{"lvm dump", "DEV... [flags]",
			"print the LVM2 metadata of devices or images as JSON, as the init reads it",
			"Print the LVM2 metadata on the devices (or images) as JSON: each physical volume's label, areas and metadata, and the volume groups assembled from them, as the init reads them (no lvm2 needed). JSON is the only output, so `--json` changes nothing.",
			runLVMDump},
		{"version", "[flags]", "print the version", "Print the version of verinit.", runVersion},
		{"man", "[--section 1|7]", "print a manual page (roff)",
			"Print the manual page verinit(1), this one, or verinit-init(7), the kernel command line the init reads, in roff. `make man` writes both under `bin/man`; read one with `man -l`.",
			runMan},
		{"completion", "bash|zsh|fish", "print a shell completion script",
			"Print the completion script for the shell. For bash, source it or install it as `/usr/share/bash-completion/completions/verinit`; for zsh, install it as `_verinit` in a directory of `$fpath`; for fish, as `verinit.fish` in `~/.config/fish/completions`.",
			runCompletion},
	}
}

// exitCodes are verinit's exit statuses, for help and verinit(1).
var exitCodes = [...]struct {
	code int
	doc  string
}{
	{0, "success"},
	{1, "an error, reported in one line on standard error; or a check that failed (`verity verify` on a bad block, `inspect` when the init would stop, which its report explains)"},
	{2, "misuse: an unknown command or flag, or missing arguments; the usage goes to standard error"},
}

// environment lists the variables verinit reads, for verinit(1).
var environment = [...]struct{ name, doc string }{
	{"SOURCE_DATE_EPOCH", "the time stamp of every file `initramfs` packs (default 0), for reproducible archives"},
	{"TERM", "progress of long work (hashing, writing images, compressing) is shown on standard error only when it is a terminal and `TERM` is not `dumb`; in pipes and logs verinit is quiet"},
	{"NO_COLOR", "honoured trivially: verinit never colors its output or writes escape sequences (progress lines use carriage returns only)"},
}

// errUsage marks misuse: exit status 2.
var errUsage = errors.New("usage")

// errQuiet is an error already reported on stdout: exit 1, no message.
var errQuiet = errors.New("")

// helpRequest is returned by parse for --help: dispatch prints the
// command's help on stdout.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return "help requested" }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 1 {
			usage(stdout)
			return 0
		}
		args = append(args[1:], "--help") // verinit help COMMAND...
	}
	cmd, rest, group := lookup(args)
	if cmd == nil {
		if group == "" {
			fmt.Fprintf(stderr, "verinit: unknown command %q (see verinit --help)\n", args[0])
			return 2
		}
		if len(args) > 1 && isHelp(args[1]) {
			groupUsage(stdout, group)
			return 0
		}
		if len(args) > 1 {
			fmt.Fprintf(stderr, "verinit %s: unknown command %q\n", group, args[1])
		}
		groupUsage(stderr, group)
		return 2
	}
	err := cmd.run(rest, stdout, stderr)
	var h *helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &h):
		writeHelp(stdout, *cmd, h.fs)
		return 0
	case errors.Is(err, errUsage):
		if err != errUsage { // a message beyond the usage text
			fmt.Fprintf(stderr, "verinit %s: %v\n", cmd.name, err)
		}
		return 2
	case errors.Is(err, errQuiet):
		return 1
	default:
		fmt.Fprintf(stderr, "verinit %s: %v\n", cmd.name, err)
		return 1
	}
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

// lookup finds the command args name and returns it with the remaining
// arguments. When args name only a group ("verity"), it returns the
// group.
func lookup(args []string) (cmd *command, rest []string, group string) {
	all := commands()
	for i := range all {
		words := strings.Fields(all[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == all[i].name {
			return &all[i], args[len(words):], ""
		}
		if len(words) > 1 && words[0] == args[0] {
			group = words[0]
		}
	}
	return nil, nil, group
}

// newFlags returns the flag set of a command: parse reports its errors
// and help requests, and its Usage prints the synopsis.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: verinit %s %s\nRun 'verinit %s --help' for more.\n", name, synopsisArgs(name), name)
	}
	return fs
}

// parse parses flags: --help becomes a helpRequest, a bad flag errUsage
// (after the usage on stderr).
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package would print usage for -help too
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return &helpRequest{fs}
	default:
		fmt.Fprintf(out, "verinit %s: %v\n", fs.Name(), err)
		fs.Usage()
		return errUsage
	}
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// meter returns a progress meter on stderr if it is a terminal, else a
// nil (silent) one.
func meter(stderr io.Writer, label string, total int64) *progress.Meter {
	return progress.New(stderr, label, total, progress.Terminal(stderr, os.Getenv("TERM")))
}

// writeJSON writes v indented, as every --json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	asJSON := fs.Bool("json", false, "print JSON: version, go_version, os, arch")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	if *asJSON {
		return writeJSON(stdout, struct {
			Version   string `json:"version"`
			GoVersion string `json:"go_version"`
			OS        string `json:"os"`
			Arch      string `json:"arch"`
		}{version, runtime.Version(), runtime.GOOS, runtime.GOARCH})
	}
	_, err := fmt.Fprintln(stdout, version)
	return err
}
