// Command verinit is the host side of verinit: it makes what the init
// consumes. Exit status: 0 on success, 1 on an error, 2 on misuse.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// version is set at build time with -ldflags -X main.version=...
var version = "dev"

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"disk":      {"write an A/B GPT disk image with Discoverable Partitions root and root-verity partitions", runDisk},
	"inspect":   {"dry run of the init on disk images: partitions, verity pairs, and the root a command line selects", runInspect},
	"initramfs": {"write the initramfs: the init, kernel modules and files, as a newc cpio", runInitramfs},
	"lvm":       {"print the LVM2 metadata of devices or images as JSON, as the init reads it", runLVM},
	"sign":      {"sign a root hash (PKCS#7, as veritysetup --root-hash-signature and the kernel take it)", runSign},
	"verity":    {"make, check and dump veritysetup-compatible dm-verity hash trees", runVerity},
	"version":   {"print the version", func(_ []string, stdout, _ io.Writer) error { fmt.Fprintln(stdout, version); return nil }},
}

// errUsage marks misuse: exit status 2.
var errUsage = errors.New("usage")

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "verinit: unknown command %q (see verinit --help)\n", args[0])
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		if err != errUsage { // a message beyond the usage text
			fmt.Fprintf(stderr, "verinit %s: %v\n", args[0], err)
		}
		return 2
	case errors.Is(err, errQuiet):
		return 1
	default:
		fmt.Fprintf(stderr, "verinit %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "verinit %s: make what the verinit /init consumes.\n\nUsage: verinit COMMAND [flags]\n\nCommands:\n", version)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'verinit COMMAND --help' for its flags.")
}

// newFlags returns a flag set whose parse errors count as misuse.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: verinit %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and maps errors to errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
