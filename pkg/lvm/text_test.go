package lvm

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// dumpNode prints a parsed tree compactly: key=value, key{...}, lists as
// [a,b], strings quoted, with the line of each key.
func dumpNode(n *cnode) string {
	var b strings.Builder
	var walk func(n *cnode)
	walk = func(n *cnode) {
		for i, c := range n.children {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(c.key + "@" + strconv.Itoa(c.line))
			switch c.kind {
			case kindSection:
				b.WriteByte('{')
				walk(c)
				b.WriteByte('}')
			case kindInt:
				b.WriteString("=" + strconv.FormatInt(c.i, 10))
			case kindString:
				b.WriteString("=" + strconv.Quote(c.s))
			case kindList:
				b.WriteString("=[")
				for j, v := range c.list {
					if j > 0 {
						b.WriteByte(',')
					}
					if v.kind == kindInt {
						b.WriteString(strconv.FormatInt(v.i, 10))
					} else {
						b.WriteString(strconv.Quote(v.s))
					}
				}
				b.WriteByte(']')
			}
		}
	}
	walk(n)
	return b.String()
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only comments", "# a\n  # b\n", ""},
		{"value", "a = 1", "a@1=1"},
		{"no spaces", "a=1 b=\"x\"", `a@1=1 b@1="x"`},
		{"negative and plus", "a = -1\nb = +7\nc = 0\nd = -0", "a@1=-1 b@2=7 c@3=0 d@4=0"},
		{"int64 bounds", "a = 9223372036854775807\nb = -9223372036854775808", "a@1=9223372036854775807 b@2=-9223372036854775808"},
		{"creation_time out of range is repaired", "creation_time = 99999999999999999999", "creation_time@1=1527120000"},
		{"section", "vg {\nid = \"x\"\n}\n", `vg@1{id@2="x"}`},
		{"nested and empty sections", "a { b { c { } } d { } }", "a@1{b@1{c@1{}} d@1{}}"},
		{"lists", `l = ["a", "b"]` + "\nm = [1 2 3]\nn = []\no = [\n\"pv0\", 0,\n\"pv1\", 5\n]\np = [1,]", `l@1=["a","b"] m@2=[1,2,3] n@3=[] o@4=["pv0",0,"pv1",5] p@8=[1]`},
		{"escapes", `s = "a\"b\\c\d\n"`, `s@1="a\"b\\c\\d\\n"`},
		{"single quotes are literal", `s = 'a\"b'`, `s@1="a\\\"b"`},
		{"newline in a string counts lines", "s = \"a\nb\"\nt = 1", `s@1="a\nb" t@3=1`},
		{"comment after value", "a = 1 # one\nb = 2\t# two", "a@1=1 b@2=2"},
		{"hash in a string is not a comment", `s = "a # b"`, `s@1="a # b"`},
		{"quoted keys", `"my vg" { 'k' = 1 }`, `my vg@1{k@1=1}`},
		{"stops at NUL", "a = 1\x00garbage {{{", "a@1=1"},
		{"CRLF and tabs", "a = 1\r\n\tb = 2\r\n", "a@1=1 b@2=2"},
		{"same key in different sections", "a { x = 1 } b { x = 2 }", "a@1{x@1=1} b@1{x@1=2}"},
		{"many keys use the duplicate map", strings.Repeat("k", 0) + manyKeys(40), manyKeysDump(40)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := parseConfig([]byte(tc.in))
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			if got := dumpNode(root); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("k" + strconv.Itoa(i) + " = " + strconv.Itoa(i) + "\n")
	}
	return b.String()
}

func manyKeysDump(n int) string {
	var s []string
	for i := range n {
		s = append(s, "k"+strconv.Itoa(i)+"@"+strconv.Itoa(i+1)+"="+strconv.Itoa(i))
	}
	return strings.Join(s, " ")
}

func TestParseConfigErrors(t *testing.T) {
	deep := strings.Repeat("a {\n", maxDepth+1) + strings.Repeat("}\n", maxDepth+1)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"duplicate key", "vg {\nid = 1\nid = 2\n}", `lvm: metadata line 3: vg: duplicate key "id" (first on line 2)`},
		{"duplicate section", "a {}\na {}", `lvm: metadata line 2: duplicate key "a" (first on line 1)`},
		{"duplicate among many keys", manyKeys(30) + "k3 = 1\n", `lvm: metadata line 31: duplicate key "k3" (first on line 4)`},
		{"nested too deep", deep, "lvm: metadata line 17: sections nested deeper than 16"},
		{"unclosed section", "vg {\na = 1\n", `lvm: metadata line 1: section "vg" is not closed before the end of the text`},
		{"stray brace", "a = 1\n}", "lvm: metadata line 2: unexpected '}' at the top level"},
		{"unterminated string", "a = \"abc\n\n", "lvm: metadata line 1: string is not terminated"},
		{"unterminated string at NUL", "a = \"abc\x00\"", "lvm: metadata line 1: string is not terminated"},
		{"missing value", "a =\n", `lvm: metadata line 2: expected a value for key "a", got the end of the text`},
		{"missing value before brace", "s { a = }", `lvm: metadata line 1: s: expected a value for key "a", got '}'`},
		{"key without = or {", "a 1", `lvm: metadata line 1: expected '=' or '{' after key "a", got "1"`},
		{"key at end", "a", `lvm: metadata line 1: expected '=' or '{' after key "a", got the end of the text`},
		{"value where a key belongs", "= 1", "lvm: metadata line 1: expected a key, got '='"},
		{"empty key", `"" = 1`, "lvm: metadata line 1: empty key"},
		{"bare string", "a = abc", `lvm: metadata line 1: unquoted value "abc" for key "a" (strings must be quoted)`},
		{"hex", "a = 0x10", `lvm: metadata line 1: unquoted value "0x10" for key "a" (strings must be quoted)`},
		{"octal", "a = 010", `lvm: metadata line 1: integer 010 for key "a" has a leading zero (lvm2 would read it as octal)`},
		{"float", "a = 1.5", `lvm: metadata line 1: floating-point value 1.5 for key "a" (LVM2 metadata has none)`},
		{"lone sign", "a = -", `lvm: metadata line 1: unquoted value "-" for key "a" (strings must be quoted)`},
		{"double sign", "a = --1", `lvm: metadata line 1: unquoted value "--1" for key "a" (strings must be quoted)`},
		{"out of range", "a = 9223372036854775808", `lvm: metadata line 1: integer 9223372036854775808 for key "a" is out of range`},
		{"nested list", "a = [[1]]", `lvm: metadata line 1: list inside the list of key "a"`},
		{"unclosed list", "a = [1, 2", `lvm: metadata line 1: expected a value for key "a", got the end of the text`},
		{"double comma", "a = [1,,2]", `lvm: metadata line 1: expected a value for key "a", got ','`},
		{"leading comma", "a = [,1]", `lvm: metadata line 1: expected a value for key "a", got ','`},
		{"section as a value", "a = { }", `lvm: metadata line 1: expected a value for key "a", got '{'`},
		{"control byte", "a = 1\x01", `lvm: metadata line 1: unexpected byte '\x01'`},
		{"high byte in a key", "\xffa = 1", `lvm: metadata line 1: unexpected byte 'ÿ'`},
		{"line of the error counts comments and strings", "# c\ns = \"x\ny\"\n\n a = b", `lvm: metadata line 5: unquoted value "b" for key "a" (strings must be quoted)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tc.in))
			if err == nil {
				t.Fatalf("parseConfig succeeded; want %q", tc.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line == 0 {
				t.Fatalf("error %v is not a *FormatError with a line", err)
			}
			if err.Error() != tc.want {
				t.Fatalf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseConfigLimits(t *testing.T) {
	long := "a = \"" + strings.Repeat("x", maxStringBytes+1) + "\""
	if _, err := parseConfig([]byte(long)); err == nil || err.Error() != "lvm: metadata line 1: string longer than 262144 bytes" {
		t.Errorf("long string: %v", err)
	}
	okLong := "a = \"" + strings.Repeat("x", maxStringBytes-1) + "\""
	if _, err := parseConfig([]byte(okLong)); err != nil {
		t.Errorf("string of %d bytes: %v", maxStringBytes-1, err)
	}
	longWord := strings.Repeat("k", maxStringBytes+1) + " = 1"
	if _, err := parseConfig([]byte(longWord)); err == nil || !strings.Contains(err.Error(), "word longer than") {
		t.Errorf("long key: %v", err)
	}
	many := "a = [" + strings.Repeat("1 ", maxNodes) + "]"
	if _, err := parseConfig([]byte(many)); err == nil || err.Error() != "lvm: metadata line 1: more than 262144 keys and list elements" {
		t.Errorf("many nodes: %v", err)
	}
	okMany := "a = [" + strings.Repeat("1 ", maxNodes-1) + "]"
	if _, err := parseConfig([]byte(okMany)); err != nil {
		t.Errorf("%d nodes: %v", maxNodes, err)
	}
}
