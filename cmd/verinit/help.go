package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The help text, verinit(1) and the completions are rendered from the
// command table and from each command's own FlagSet (flagsOf), so what
// they list is what the code accepts.

// usage prints the command list.
func usage(w io.Writer) {
	fmt.Fprintf(w, "verinit %s: make what the verinit /init consumes.\n\nUsage: verinit COMMAND [flags]\n\nCommands:\n", version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'verinit COMMAND --help' for a command's flags, 'verinit man | man -l -' for the manual.\n\nExit status:\n")
	for _, e := range exitCodes {
		fmt.Fprintf(w, "%s\n", indent(wrap(plain(e.doc), 74), fmt.Sprintf("  %d  ", e.code), "     "))
	}
}

// groupUsage lists the commands of a group such as "verity".
func groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage:\n")
	for _, c := range commands() {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(w, "  verinit %s %s\n      %s\n", c.name, c.args, c.summary)
		}
	}
	fmt.Fprintf(w, "Run 'verinit %s COMMAND --help' for more.\n", group)
}

// writeHelp prints a command's help: synopsis, description and flags.
func writeHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: verinit %s %s\n\n", c.name, c.args)
	for _, p := range paragraphs(c.doc) {
		fmt.Fprintf(w, "%s\n\n", wrap(plain(p), 78))
	}
	rows := flagRows(fs)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "Flags:\n")
	for _, r := range rows {
		fmt.Fprintf(w, "  %s\n%s\n", r.spelling(), indent(wrap(r.usageWithDefault(), 70), "        ", "        "))
	}
}

// fullSynopsis is c's synopsis with "[flags]" spelt out, wrapped at
// width with continuation lines indented by indentBy.
func fullSynopsis(c command, fs *flag.FlagSet, width int, indentBy string) string {
	var opt []string
	for _, r := range flagRows(fs) {
		named := false
		for _, before := range []string{" ", "|", "["} {
			named = named || strings.Contains(" "+c.args, before+r.dash()+" ") || strings.HasSuffix(" "+c.args, before+r.dash())
		}
		if !named {
			opt = append(opt, "["+r.spelling()+"]")
		}
	}
	args, found := strings.CutSuffix(c.args, "[flags]")
	words := append(strings.Fields("verinit "+c.name+" "+args), opt...)
	if !found && len(opt) > 0 {
		words = append(strings.Fields("verinit "+c.name+" "+c.args), opt...)
	}
	// Wrap between words, never inside a bracketed group.
	var lines []string
	cur := ""
	for _, w := range words {
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w) > width:
			lines = append(lines, cur)
			cur = indentBy + w
		default:
			cur += " " + w
		}
	}
	return strings.Join(append(lines, cur), "\n")
}

// synopsisArgs returns the synopsis arguments of the named command.
func synopsisArgs(name string) string {
	for _, c := range commands() {
		if c.name == name {
			return c.args
		}
	}
	return "[flags]"
}

// flagsOf returns the FlagSet command c makes, by asking it for help.
func flagsOf(c command) (*flag.FlagSet, error) {
	err := c.run([]string{"--help"}, io.Discard, io.Discard)
	var h *helpRequest
	if errors.As(err, &h) {
		return h.fs, nil
	}
	return nil, fmt.Errorf("verinit %s --help: %v, not a help request", c.name, err)
}

// flagRow is one flag as the documentation shows it.
type flagRow struct {
	name, arg, usage, def string
}

// flagRows lists the flags of fs in name order.
func flagRows(fs *flag.FlagSet) []flagRow {
	var rows []flagRow
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if isBool(f) {
			arg = ""
		}
		r := flagRow{name: f.Name, arg: arg, usage: usage}
		switch f.DefValue {
		case "", "0", "false":
		default:
			r.def = f.DefValue
		}
		rows = append(rows, r)
	})
	return rows
}

// isBool reports whether f takes no argument.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// dash returns the flag as typed: -o, --json.
func (r flagRow) dash() string {
	if len(r.name) == 1 {
		return "-" + r.name
	}
	return "--" + r.name
}

func (r flagRow) spelling() string {
	if r.arg == "" {
		return r.dash()
	}
	return r.dash() + " " + r.arg
}

func (r flagRow) usageWithDefault() string {
	if r.def == "" {
		return r.usage
	}
	return fmt.Sprintf("%s (default: %s)", r.usage, r.def)
}

// paragraphs splits documentation text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
		}
	}
	return out
}

// mdLink is a Markdown link [text](target).
var mdLink = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)

// plain turns the documentation's Markdown (`code`, [links](x)) into
// terminal text.
func plain(s string) string {
	s = mdLink.ReplaceAllString(s, "$1 ($2)")
	return strings.ReplaceAll(s, "`", "")
}

// wrap fills s into lines of at most width bytes (longer words stand
// alone).
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		switch {
		case n == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// indent prefixes the first line with first and the others with rest.
func indent(s, first, rest string) string {
	return first + strings.ReplaceAll(s, "\n", "\n"+rest)
}
