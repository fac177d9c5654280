package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verinit/verinit/pkg/config/keys"
)

// TestCommandTable: every command documents itself and yields its
// FlagSet to --help without doing anything else.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		if seen[c.name] {
			t.Errorf("%s: listed twice", c.name)
		}
		seen[c.name] = true
		if c.args == "" || c.summary == "" || c.doc == "" {
			t.Errorf("%s: synopsis, summary or description missing", c.name)
		}
		fs, err := flagsOf(c)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if fs.Name() != c.name {
			t.Errorf("%s: its FlagSet is named %q", c.name, fs.Name())
		}
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage == "" {
				t.Errorf("%s --%s: no usage text", c.name, f.Name)
			}
		})
	}
}

// TestHelpListsEveryFlag: --help shows the synopsis and every flag the
// command's FlagSet defines, on stdout.
func TestHelpListsEveryFlag(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(strings.Fields(c.name), "--help")
			if code := dispatch(args, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			out := stdout.String()
			if !strings.HasPrefix(out, "Usage: verinit "+c.name+" "+c.args+"\n") {
				t.Errorf("help starts %q", strings.SplitN(out, "\n", 2)[0])
			}
			fs, _ := flagsOf(c)
			fs.VisitAll(func(f *flag.Flag) {
				want := "\n  --" + f.Name
				if len(f.Name) == 1 {
					want = "\n  -" + f.Name
				}
				if !strings.Contains(out, want+"\n") && !strings.Contains(out, want+" ") {
					t.Errorf("help lacks %s", want[3:])
				}
			})
		})
	}
}

func TestUsageListsEveryCommand(t *testing.T) {
	var stdout bytes.Buffer
	if code := dispatch([]string{"--help"}, &stdout, &stdout); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(stdout.String(), "\n  "+c.name+" ") {
			t.Errorf("usage lacks %s", c.name)
		}
	}
	for _, e := range exitCodes {
		if !strings.Contains(stdout.String(), "\n  "+string(rune('0'+e.code))+"  ") {
			t.Errorf("usage lacks exit status %d", e.code)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"", 10, ""},
		{"a b c", 10, "a b c"},
		{"aaaa bbbb cccc", 9, "aaaa bbbb\ncccc"},
		{"averyveryverylongword x", 5, "averyveryverylongword\nx"},
		{"  spaced   out  ", 20, "spaced out"},
	} {
		if got := wrap(tc.in, tc.width); got != tc.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestInline(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                        "plain",
		"a `--flag` b":                 `a \fB\-\-flag\fR b`,
		`back\slash`:                   `back\eslash`,
		"see [the doc](docs/x.md) now": `see the doc (\fIdocs/x.md\fR) now`,
	} {
		if got := inline(in); got != want {
			t.Errorf("inline(%q) = %q, want %q", in, got, want)
		}
	}
	if got := line(".TH oops"); got != `\&.TH oops` {
		t.Errorf("line: %q", got)
	}
}

// man renders a page with verinit man and formats it with man -l.
func man(t *testing.T, section string) (roff, text string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"man", "--section", section}, &stdout, &stderr); code != 0 {
		t.Fatalf("verinit man --section %s: exit %d: %s", section, code, stderr.String())
	}
	page := filepath.Join(t.TempDir(), "page."+section)
	if err := os.WriteFile(page, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// groff's warnings (-ww) are errors here: a bad request or escape
	// shows up as a warning.
	groff := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z", page)
	if out, err := groff.CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("groff -man -ww: %v\n%s", err, out)
	}
	cmd := exec.Command("man", "-l", page)
	cmd.Env = append(os.Environ(), "MANWIDTH=200", "MANPAGER=cat", "PAGER=cat")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("man -l: %v", err)
	}
	// man -l may still overstrike for bold when not on a terminal, and
	// groff's UTF-8 output has hyphens and minus signs for "-".
	text = strings.NewReplacer("\u2010", "-", "\u2212", "-").Replace(stripOverstrike(string(out)))
	return stdout.String(), text
}

// stripOverstrike removes "x\bx" bold and "_\bx" underline sequences.
func stripOverstrike(s string) string {
	var b []rune
	for _, r := range s {
		if r == '\b' {
			if len(b) > 0 {
				b = b[:len(b)-1]
			}
			continue
		}
		b = append(b, r)
	}
	return string(b)
}

func TestManVerinit(t *testing.T) {
	_, text := man(t, "1")
	text = strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"VERINIT(1)", "NAME verinit - make", "EXIT STATUS", "NO_COLOR", "SEE ALSO verinit-init(7)"} {
		if !strings.Contains(text, want) {
			t.Errorf("verinit(1) lacks %q", want)
		}
	}
	for _, c := range commands() {
		if !strings.Contains(text, "verinit "+c.name+" "+c.args) {
			t.Errorf("verinit(1) lacks the synopsis of %s", c.name)
		}
		fs, _ := flagsOf(c)
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			if isBool(f) {
				arg = ""
			}
			row := strings.TrimSpace(flagRow{name: f.Name, arg: arg}.spelling() + " " + strings.Join(strings.Fields(usage), " "))
			if !strings.Contains(text, row) {
				t.Errorf("verinit(1), %s: lacks %q", c.name, row)
			}
		})
	}
}

func TestManInit(t *testing.T) {
	roff, text := man(t, "7")
	text = strings.Join(strings.Fields(text), " ")
	for _, k := range keys.Table() {
		term := strings.Join(strings.Fields(plain(k.Term)), " ")
		doc := strings.Join(strings.Fields(plain(k.Doc)), " ")
		if !strings.Contains(text, term+" "+doc[:min(len(doc), 60)]) {
			t.Errorf("verinit-init(7) lacks %s followed by its text", term)
		}
	}
	if !strings.Contains(roff, `\fBverinit.root=\fR`) {
		t.Error("keys are not set in bold")
	}
}

// TestManDate: the date comes from SOURCE_DATE_EPOCH, for reproducible
// pages.
func TestManDate(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	var stdout bytes.Buffer
	if code := dispatch([]string{"man"}, &stdout, &stdout); code != 0 {
		t.Fatalf("exit %d: %s", code, stdout.String())
	}
	if !strings.HasPrefix(stdout.String(), `.TH VERINIT 1 "2023-11-14" "verinit dev"`) {
		t.Errorf("header %q", strings.SplitN(stdout.String(), "\n", 2)[0])
	}
	t.Setenv("SOURCE_DATE_EPOCH", "soon")
	if code := dispatch([]string{"man"}, &stdout, &stdout); code != 1 {
		t.Errorf("bad SOURCE_DATE_EPOCH: exit %d", code)
	}
	if code := dispatch([]string{"man", "--section", "8"}, &stdout, &stdout); code != 2 {
		t.Errorf("--section 8: exit %d", code)
	}
}
