package keys

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/config"
)

// TestTableMatchesParser: every key package config reads is documented,
// and every documented key is read.
func TestTableMatchesParser(t *testing.T) {
	read, err := parsedKeys("..")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, k := range Table() {
		for _, p := range k.Parsed {
			if documented[p] {
				t.Errorf("%s is documented twice", p)
			}
			documented[p] = true
			if _, ok := read[p]; !ok {
				t.Errorf("%s: %s is documented, but package config does not read it", k.Term, p)
			}
		}
	}
	var missing []string
	for k, where := range read {
		if !documented[k] {
			missing = append(missing, k+" (read at "+where+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("undocumented command-line key %s: add it to Table in pkg/config/keys, then run go test ./cmd/verinit -run TestREADME -update", m)
	}
}

// link is the one Markdown construct besides `code` the text may use.
var link = regexp.MustCompile(`\[[^\]\x60]+\]\([^)\s]+\)`)

func TestTableText(t *testing.T) {
	for _, k := range Table() {
		if k.Term == "" || k.Doc == "" {
			t.Errorf("%q: empty term or doc", k.Term)
		}
		for _, s := range []string{k.Term, k.Doc} {
			if strings.Count(s, "`")%2 != 0 {
				t.Errorf("%q: unbalanced backquotes in %q", k.Term, s)
			}
			if strings.ContainsAny(s, "|\n") {
				t.Errorf("%q: | or a newline would break the README table", k.Term)
			}
			if rest := link.ReplaceAllString(s, ""); strings.Contains(rest, "](") {
				t.Errorf("%q: malformed link in %q", k.Term, s)
			}
		}
		// Each parsed key is named in code, so the text cannot forget it.
		for _, p := range k.Parsed {
			if !strings.Contains(k.Term+" "+k.Doc, "`"+p) {
				t.Errorf("%q: parses %s but its text never shows `%s...`", k.Term, p, p)
			}
		}
	}
}

// TestEveryKeyHasAPolicyDecision: every key package config reads has
// exactly one rule in pkg/config (the decision the init applies under a
// policy that requires verity), and every rule is explained exactly once
// in PolicyDocs; a key added without a decision fails here (and is
// refused at boot under such a policy).
func TestEveryKeyHasAPolicyDecision(t *testing.T) {
	read, err := parsedKeys("..")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, k := range config.RuleKeys() {
		rules[k]++
	}
	for k, n := range rules {
		if n > 1 {
			t.Errorf("%s has %d rules", k, n)
		}
	}
	for k := range read {
		if rules[k] == 0 {
			t.Errorf("command-line key %s has no policy decision: add a rule to pkg/config/rules.go and explain it in PolicyDocs", k)
		}
	}
	docs := map[string]int{}
	for _, d := range PolicyDocs() {
		docs[d.Key]++
		if d.Allowed == "" || d.Why == "" {
			t.Errorf("%s: the explanation says neither what is allowed nor why", d.Key)
		}
	}
	for k := range rules {
		if docs[k] != 1 {
			t.Errorf("the rule for %s is explained %d times in PolicyDocs, want once", k, docs[k])
		}
	}
	for k := range docs {
		if rules[k] == 0 && !slices.Contains(NotRead, k) {
			t.Errorf("PolicyDocs explains %s, which has no rule and is not in NotRead", k)
		}
	}
}

// TestSystemdVerity: README's table of systemd's dm-verity keys and
// options agrees with what package config reads. Every option it parses
// is a row; a row not refused is parsed; a key row is read (supported or
// refused with the reason, never ignored); an option row marked refused
// is either not parsed (an unknown option is an error) or refused by its
// parser, as FEC is.
func TestSystemdVerity(t *testing.T) {
	parsed := map[string]bool{}
	for _, k := range Table() {
		for _, p := range k.Parsed {
			parsed[p] = true
		}
	}
	options := map[string]bool{}
	prefix := config.VerityOptionsKey + "="
	for _, d := range PolicyDocs() {
		if name, ok := strings.CutPrefix(d.Key, prefix); ok {
			options[name] = true
		}
	}
	rows := map[string]bool{}
	for _, r := range SystemdVerity() {
		if rows[r.Name] {
			t.Errorf("%s: two rows", r.Name)
		}
		rows[r.Name] = true
		refused := strings.HasPrefix(r.Verinit, Refused)
		switch r.Kind {
		case CmdlineKey:
			if !parsed[r.Name] {
				t.Errorf("key %s: package config does not read it, so it would be ignored", r.Name)
			}
		case VerityOption:
			if !refused && !options[r.Name] {
				t.Errorf("option %s: said to be supported, but package config does not parse it", r.Name)
			}
		case VeritytabOnly:
			if options[r.Name] || refused == slices.Contains(config.VeritytabIgnored(), r.Name) {
				t.Errorf("veritytab option %s: want it ignored in a veritytab (config.VeritytabIgnored) or refused, and not parsed as a verity option", r.Name)
			}
		}
	}
	for name := range options {
		if !rows[name] {
			t.Errorf("option %s is parsed but not in the table", name)
		}
	}
	for _, k := range []string{"roothash", "systemd.verity", "systemd.verity_root_data", "systemd.verity_root_hash", "systemd.verity_root_options", "usrhash"} {
		if !rows[k] {
			t.Errorf("key %s is not in the table", k)
		}
	}
}
