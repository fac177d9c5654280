// Command sizediff shows what one Go binary links that another does not:
// `make size` runs it on bin/init and test/sizefloor (both built without
// -s, so that they keep their symbol tables) to say which packages the
// init's size beyond the floor comes from. It adds up the symbol sizes
// `go tool nm -size` reports per package and prints the largest
// differences. Symbols are not the whole file: the function tables and
// type data that grow with them make up most of the rest.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: sizediff BINARY PEER N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "sizediff: N %q: want a positive number\n", os.Args[3])
		os.Exit(2)
	}
	bin, err := sizes(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	peer, err := sizes(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var total int64
	diffs := map[string]int64{}
	for p, s := range bin {
		diffs[p] = s - peer[p]
	}
	for p, s := range peer {
		diffs[p] = bin[p] - s
	}
	names := make([]string, 0, len(diffs))
	for p, d := range diffs {
		total += d
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool {
		if diffs[names[i]] != diffs[names[j]] {
			return diffs[names[i]] > diffs[names[j]]
		}
		return names[i] < names[j]
	})
	fmt.Printf("%s over %s, symbol bytes by package (%+.1f KB in all; the %d largest):\n", os.Args[1], os.Args[2], float64(total)/1000, n)
	for _, p := range names[:min(n, len(names))] {
		fmt.Printf("  %+9.1f KB  %s\n", float64(diffs[p])/1000, p)
	}
}

// sizes runs go tool nm -size on path and adds up the sizes per package.
func sizes(path string) (map[string]int64, error) {
	out, err := exec.Command("go", "tool", "nm", "-size", path).Output()
	if err != nil {
		return nil, fmt.Errorf("sizediff: go tool nm -size %s: %w", path, err)
	}
	return parseNM(out)
}

// parseNM reads go tool nm -size output ("ADDR SIZE TYPE NAME" lines;
// undefined symbols have no address) into bytes per package. Only
// symbols in the file count: text, read-only and initialised data (T, R
// and D, either case); B (zeroed data) takes no room in the file.
func parseNM(out []byte) (map[string]int64, error) {
	m := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue // undefined symbols: "SIZE U NAME"
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sizediff: nm line %d: size %q: %v", line, f[1], err)
		}
		switch f[2] {
		case "T", "t", "R", "r", "D", "d":
			m[packageOf(strings.Join(f[3:], " "))] += size
		}
	}
	return m, sc.Err()
}

// packageOf returns the import path a symbol belongs to: what comes
// before the first dot after the last slash, outside receiver
// parentheses and type parameter brackets. Linker-made symbols keep
// their prefix ("type:", "go:").
func packageOf(sym string) string {
	for _, p := range []string{"type:", "go:"} {
		if strings.HasPrefix(sym, p) {
			return p
		}
	}
	if i := strings.IndexAny(sym, "(["); i >= 0 {
		sym = sym[:i]
	}
	start := strings.LastIndexByte(sym, '/') + 1
	if i := strings.IndexByte(sym[start:], '.'); i >= 0 {
		return sym[:start+i]
	}
	return sym
}
