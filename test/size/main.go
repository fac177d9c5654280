// Command size is `make size`: it checks what bin/init links and how
// big it is, and says where the bytes beyond its peer come from.
//
//   - No package of -forbid may be linked (network, JSON, templates,
//     crypto/x509, the PKCS#7 library: size and attack surface), nor
//     encoding/asn1's reflection (Marshal, Unmarshal), which the
//     cryptobyte parsers the init uses must not pull in.
//   - The init may be at most -max bytes: a ratchet, lowered as the init
//     shrinks and raised only with a reason in the commit.
//   - Its size is printed as a ratio to test/sizefloor, a program that
//     only verifies an RSA and an ECDSA signature with the standard
//     library and makes a dm device with devmapper.go.
//   - What each optional part of internal/feature costs: the stripped
//     init built without it (its build tag), and without them all. An
//     init built without signatures must not import package sig nor the
//     standard library's RSA and ECDSA (partImports).
//   - The -top packages that add the most symbol bytes beyond the floor
//     are listed (go tool nm -size on unstripped builds). Symbols are not
//     the whole file: the function tables and type data that grow with
//     them make up most of the rest.
//
// Run from the repository root: go run ./test/size -init bin/init -max N.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/verinit/verinit/internal/feature"
)

func main() {
	initBin := flag.String("init", "bin/init", "the stripped init to measure, as `make build` makes it")
	maxBytes := flag.Int64("max", 0, "the largest the init may be, in bytes (0: no limit)")
	forbid := flag.String("forbid", "", "space-separated import paths the init must not link")
	top := flag.Int("top", 15, "how many packages to list")
	flag.Parse()
	if err := run(*initBin, *maxBytes, strings.Fields(*forbid), *top); err != nil {
		fmt.Fprintln(os.Stderr, "size:", err)
		os.Exit(1)
	}
}

func run(initBin string, maxBytes int64, forbid []string, top int) error {
	bad, err := initImports(forbid)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("bin/init links forbidden packages: %s", strings.Join(bad, " "))
	}

	dir, err := os.MkdirTemp("", "verinit-size-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	build := func(out, pkg string, strip bool, tags ...string) error {
		args := []string{"build", "-trimpath", "-o", filepath.Join(dir, out)}
		if len(tags) > 0 {
			args = append(args, "-tags", strings.Join(tags, ","))
		}
		if strip {
			args = append(args, "-ldflags=-s -w")
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		return nil
	}
	for _, b := range []struct {
		out, pkg string
		strip    bool
	}{{"init", "./cmd/init", false}, {"floor", "./test/sizefloor", false}, {"floor-stripped", "./test/sizefloor", true}} {
		if err := build(b.out, b.pkg, b.strip); err != nil {
			return err
		}
	}
	initSyms, err := symbols(filepath.Join(dir, "init"))
	if err != nil {
		return err
	}
	if r := asn1Reflection(initSyms); len(r) > 0 {
		return fmt.Errorf("bin/init links encoding/asn1's reflection: %s", strings.Join(r, " "))
	}

	st, err := os.Stat(initBin)
	if err != nil {
		return err
	}
	fl, err := os.Stat(filepath.Join(dir, "floor-stripped"))
	if err != nil {
		return err
	}
	limit := "no limit"
	if maxBytes > 0 {
		limit = fmt.Sprintf("limit %d", maxBytes)
	}
	fmt.Printf("%s: %d bytes (%s); test/sizefloor, only the standard library's RSA and ECDSA verification and devmapper.go: %d bytes (%.2fx)\n",
		initBin, st.Size(), limit, fl.Size(), float64(st.Size())/float64(fl.Size()))
	if maxBytes > 0 && st.Size() > maxBytes {
		return fmt.Errorf("%s is larger than %d bytes", initBin, maxBytes)
	}
	if err := unlinkedParts(); err != nil {
		return err
	}
	if err := optionalParts(build, dir, fl.Size()); err != nil {
		return err
	}

	floorSyms, err := symbols(filepath.Join(dir, "floor"))
	if err != nil {
		return err
	}
	total, lines := diff(bySize(initSyms), bySize(floorSyms), top)
	fmt.Printf("init over sizefloor, symbol bytes by package (%+.1f KB in all; the %d largest):\n", float64(total)/1000, top)
	for _, l := range lines {
		fmt.Println(l)
	}
	return nil
}

// partImports are packages an init built without an optional part (by
// its build tag) must not import. A part's feature constant drops its
// code, but not an import: the imported package's initializers stay
// linked with all they reference. LVM and TPM leave about a kilobyte
// that way; signatures would leave crypto/rsa and crypto/ecdsa, whose
// initializers reference every NIST curve (about 0.4 MB), so package sig
// is reached only through files built without verinit_nosig.
var partImports = map[string][]string{
	"verinit_nosig": {"github.com/verinit/verinit/pkg/sig", "crypto/rsa", "crypto/ecdsa", "crypto/elliptic", "math/big"},
}

// unlinkedParts checks that the init built without each optional part
// imports none of partImports.
func unlinkedParts() error {
	for _, p := range feature.Full().Parts() {
		if len(partImports[p.Tag]) == 0 {
			continue
		}
		linked, err := initImports(partImports[p.Tag], p.Tag)
		if err != nil {
			return err
		}
		if len(linked) > 0 {
			return fmt.Errorf("the init built without %s (-tags %s) still imports %s", p.Name, p.Tag, strings.Join(linked, " "))
		}
	}
	return nil
}

// initImports returns those of pkgs that cmd/init, built with tags,
// imports directly or not.
func initImports(pkgs []string, tags ...string) ([]string, error) {
	deps, err := output("go", "list", "-deps", "-tags", strings.Join(tags, ","), "./cmd/init")
	if err != nil {
		return nil, err
	}
	var found []string
	for _, d := range strings.Fields(deps) {
		if slices.Contains(pkgs, d) {
			found = append(found, d)
		}
	}
	return found, nil
}

// optionalParts prints what each optional part adds to the stripped
// init, and the size of the init without any of them.
func optionalParts(build func(out, pkg string, strip bool, tags ...string) error, dir string, floor int64) error {
	size := func(out string, tags ...string) (int64, error) {
		if err := build(out, "./cmd/init", true, tags...); err != nil {
			return 0, err
		}
		st, err := os.Stat(filepath.Join(dir, out))
		if err != nil {
			return 0, err
		}
		return st.Size(), nil
	}
	full, err := size("init-full")
	if err != nil {
		return err
	}
	var costs []string
	for _, p := range feature.Full().Parts() {
		without, err := size("init-"+p.Tag, p.Tag)
		if err != nil {
			return err
		}
		costs = append(costs, fmt.Sprintf("%s %+d bytes (-tags %s)", p.Name, full-without, p.Tag))
	}
	// The floor checks signatures: only an init that does too compares.
	all, comparable := feature.Build{}.DroppedTags(), feature.Build{Sig: true}.DroppedTags()
	lean, err := size("init-lean", comparable...)
	if err != nil {
		return err
	}
	least, err := size("init-least", all...)
	if err != nil {
		return err
	}
	fmt.Printf("optional parts: %s\n  without all but signatures (-tags %s): %d bytes (%.2fx test/sizefloor)\n  without all (-tags %s): %d bytes (test/sizefloor checks signatures, this init does not)\n",
		strings.Join(costs, ", "), strings.Join(comparable, ","), lean, float64(lean)/float64(floor), strings.Join(all, ","), least)
	return nil
}

func output(name string, args ...string) (string, error) {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(b), nil
}

// symbols is go tool nm -size's output for a binary.
func symbols(path string) ([]byte, error) {
	out, err := output("go", "tool", "nm", "-size", path)
	return []byte(out), err
}

// asn1Reflection lists encoding/asn1's Marshal and Unmarshal functions
// among the symbols.
func asn1Reflection(nm []byte) []string {
	var found []string
	for _, line := range strings.Split(string(nm), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && (strings.HasPrefix(f[3], "encoding/asn1.Unmarshal") || strings.HasPrefix(f[3], "encoding/asn1.Marshal")) {
			found = append(found, f[3])
		}
	}
	return found
}
