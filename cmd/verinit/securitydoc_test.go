package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/config/keys"
)

// TestSecurityDoc keeps docs/security.md's table of policy decisions
// equal to pkg/config/keys.PolicyDocs (-update rewrites it).
func TestSecurityDoc(t *testing.T) {
	const (
		path  = "../../docs/security.md"
		start = "<!-- policy decisions: generated from pkg/config/keys (go test ./cmd/verinit -run TestSecurityDoc -update) -->\n"
		end   = "<!-- end of policy decisions -->\n"
	)
	var table strings.Builder
	table.WriteString("| input | allowed under a policy requiring verity | why |\n| --- | --- | --- |\n")
	for _, d := range keys.PolicyDocs() {
		key := "`" + d.Key + "`"
		if strings.Contains(d.Key, " ") && !strings.HasPrefix(d.Key, "--") {
			key = d.Key
		}
		table.WriteString("| " + key + " | " + d.Allowed + " | " + d.Why + " |\n")
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(start)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: no generated part between %q and %q", path, start, end)
	}
	i += len(start)
	if string(doc[i:j]) == table.String() {
		return
	}
	if !*updateREADME {
		t.Fatalf("%s's table of policy decisions differs from pkg/config/keys: run go test ./cmd/verinit -run TestSecurityDoc -update", path)
	}
	out := append(append(append([]byte(nil), doc[:i]...), table.String()...), doc[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
