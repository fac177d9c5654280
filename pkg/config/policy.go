package config

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// PolicyPath is where `verinit initramfs --policy` packs the policy.
const PolicyPath = "/etc/verinit/policy"

// Requirement is the strength of a policy item.
type Requirement int

// Requirements, weakest first: a later one is stronger.
const (
	Optional Requirement = iota
	Required
)

func (r Requirement) String() string {
	if r == Required {
		return "required"
	}
	return "optional"
}

func parseRequirement(s string) (Requirement, error) {
	switch s {
	case "optional":
		return Optional, nil
	case "required":
		return Required, nil
	}
	return 0, fmt.Errorf("want required or optional")
}

// Policy is what the builder of the initramfs decided. The command line
// may make it stricter, never weaker.
type Policy struct {
	Verity    Requirement
	Signature Requirement // a root-hash signature by a packed certificate
}

// policyKeys are the keys a policy file may hold.
var policyKeys = map[string]bool{"verity": true, "signature": true}

// maxPolicyBytes bounds the packed policy file.
const maxPolicyBytes = 64 << 10

// ParsePolicy reads a packed policy: "key=value" lines, '#' comments.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	lines, err := readKeyValues(b, "policy", "key=value", maxPolicyBytes)
	if err != nil {
		return p, err
	}
	for _, l := range lines {
		n, key, value := l.n, l.key, l.value
		if !policyKeys[key] {
			return p, fmt.Errorf("policy line %d: unknown key %q", n, key)
		}
		r, err := parseRequirement(value)
		if err != nil {
			return p, fmt.Errorf("policy line %d: %s=%s: %w", n, key, shown(value), err)
		}
		if key == "verity" {
			p.Verity = r
		} else {
			p.Signature = r
		}
	}
	return p, nil
}

// Format renders p as ParsePolicy reads it.
func (p Policy) Format() []byte {
	return []byte("# verinit policy: the kernel command line may tighten it, never weaken it\nverity=" + p.Verity.String() +
		"\nsignature=" + p.Signature.String() + "\n")
}

// kvLine is one "key=value" line of a small text file.
type kvLine struct {
	n          int // line number
	key, value string
}

// readKeyValues splits b into "key=value" lines, skipping blank lines
// and '#' comments and trimming spaces. A line without '=' or with an
// empty key, a key given twice, or a file larger than maxBytes is an
// error naming what (the file) and the line; form shows the expected form.
func readKeyValues(b []byte, what, form string, maxBytes int) ([]kvLine, error) {
	if len(b) > maxBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", what, len(b), maxBytes)
	}
	var lines []kvLine
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return nil, fmt.Errorf("%s line %d: %q: want %s", what, n, line, form)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s line %d: %s given twice", what, n, shown(key))
		}
		seen[key] = true
		lines = append(lines, kvLine{n, key, value})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return lines, nil
}

// shown returns s unchanged, or quoted if it holds a control character
// (a '\r' inside a line, say), so that an error stays one readable line.
func shown(s string) string {
	if strings.IndexFunc(s, isControl) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
