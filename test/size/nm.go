package main

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// bySize adds up go tool nm -size output per package; output it cannot
// read counts as nothing.
func bySize(nm []byte) map[string]int64 {
	m, err := parseNM(nm)
	if err != nil {
		return map[string]int64{}
	}
	return m
}

// diff returns the total of bin's symbol bytes beyond peer's and one
// line for each of the n packages that add the most.
func diff(bin, peer map[string]int64, n int) (int64, []string) {
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
	var lines []string
	for _, p := range names[:min(n, len(names))] {
		lines = append(lines, fmt.Sprintf("  %+9.1f KB  %s", float64(diffs[p])/1000, p))
	}
	return total, lines
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
			return nil, fmt.Errorf("size: nm line %d: size %q: %v", line, f[1], err)
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
