package config

import (
	"bufio"
	"bytes"
	"fmt"
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
	Verity Requirement
}

// policyKeys are the keys a policy file may hold.
var policyKeys = map[string]bool{"verity": true}

// maxPolicyBytes bounds the packed policy file.
const maxPolicyBytes = 64 << 10

// ParsePolicy reads a packed policy: "key=value" lines, '#' comments.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	if len(b) > maxPolicyBytes {
		return p, fmt.Errorf("policy: %d bytes, more than %d", len(b), maxPolicyBytes)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			return p, fmt.Errorf("policy line %d: %q: want key=value", n, line)
		case !policyKeys[key]:
			return p, fmt.Errorf("policy line %d: unknown key %q", n, key)
		case seen[key]:
			return p, fmt.Errorf("policy line %d: %s given twice", n, key)
		}
		seen[key] = true
		r, err := parseRequirement(value)
		if err != nil {
			return p, fmt.Errorf("policy line %d: %s=%s: %w", n, key, value, err)
		}
		p.Verity = r
	}
	return p, sc.Err()
}

// Format renders p as ParsePolicy reads it.
func (p Policy) Format() []byte {
	return []byte("# verinit policy: the kernel command line may tighten it, never weaken it\nverity=" + p.Verity.String() + "\n")
}
