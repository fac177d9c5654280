package cmdline

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that its result keeps the
// invariants in checkInvariants. The seeds are the inputs of parseTests
// plus the corpus in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkInvariants(t, s)
	})
}

// maxCrossChecks bounds the quadratic Lookup and ModuleParams checks.
const maxCrossChecks = 64

// checkInvariants parses s and checks what must hold for every input.
func checkInvariants(t *testing.T, s string) {
	t.Helper()
	c := Parse(s)
	if c.Raw != s {
		t.Fatalf("Raw = %q, want the input %q", c.Raw, s)
	}
	params, initParams, _ := split(s)

	// 1. The result is what a literal transliteration of the kernel's C
	// code computes on a NUL-terminated buffer.
	refParams, refInitArgs, ok := refSplit(s)
	if !ok {
		t.Fatalf("reference model hit repair_env_string's BUG() for %q", s)
	}
	if !slices.Equal(c.Params, refParams) {
		t.Fatalf("Parse(%q).Params =\n\t%+v\nkernel model gives\n\t%+v", s, c.Params, refParams)
	}
	if !slices.Equal(c.InitArgs, refInitArgs) {
		t.Fatalf("Parse(%q).InitArgs = %q, kernel model gives %q", s, c.InitArgs, refInitArgs)
	}

	// 2. Shape of every parameter.
	line := s
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	for _, p := range slices.Concat(params, initParams) {
		if p.HasValue && p.Key == "" {
			t.Fatalf("Parse(%q): value %q with an empty key", s, p.Value)
		}
		if !p.HasValue && p.Value != "" {
			t.Fatalf("Parse(%q): key %q has Value %q but HasValue is false", s, p.Key, p.Value)
		}
		if len(p.Key) > 1 && strings.IndexByte(p.Key[1:], '=') >= 0 {
			t.Fatalf("Parse(%q): key %q has an '=' after index 0", s, p.Key)
		}
		if !strings.Contains(line, p.Key) || !strings.Contains(line, p.Value) {
			t.Fatalf("Parse(%q): %+v is not taken from the input before its first NUL", s, p)
		}
	}
	for _, p := range c.Params {
		if isDashes(p) {
			t.Fatalf("Parse(%q): bare -- among the parameters", s)
		}
	}
	for _, a := range c.InitArgs {
		if a == "--" {
			t.Fatalf("Parse(%q): -- among the init args", s)
		}
	}
	if len(initParams) != len(c.InitArgs) {
		t.Fatalf("Parse(%q): %d init params, %d init args", s, len(initParams), len(c.InitArgs))
	}

	// 3. Without quotes the command line is a plain list of words.
	if strings.IndexByte(line, '"') < 0 {
		wantParams, wantInit := splitUnquoted(line)
		if !slices.Equal(params, wantParams) || !slices.Equal(initParams, wantInit) {
			t.Fatalf("Parse(%q) = %+v -- %+v, want the plain words %+v -- %+v",
				s, params, initParams, wantParams, wantInit)
		}
	}

	// 4. A canonical rendering parses back to the same result. Every
	// parameter can be rendered, and only the last word of the line may
	// end inside quotes (it ran to the end of the input).
	var words []string
	renderAll := func(ps []Param) {
		for _, p := range ps {
			w, _, ok := render(p)
			if !ok {
				t.Fatalf("Parse(%q): cannot render %+v", s, p)
			}
			words = append(words, w)
		}
	}
	renderAll(params)
	if len(initParams) > 0 {
		words = append(words, "--")
		renderAll(initParams)
	}
	for i, w := range words[:max(len(words)-1, 0)] {
		if _, _, open := scan(w); open {
			t.Fatalf("Parse(%q): word %d rendered as %q ends inside quotes but is not last", s, i, w)
		}
	}
	rendered := strings.Join(words, " ")
	p2, i2, _ := split(rendered)
	if !slices.Equal(p2, params) || !slices.Equal(i2, initParams) {
		t.Fatalf("Parse(%q) = %+v -- %+v, but its rendering %q parses to %+v -- %+v",
			s, params, initParams, rendered, p2, i2)
	}

	// 5. Lookup, Flag and Values agree.
	for _, p := range params[:min(len(params), maxCrossChecks)] {
		v, ok := c.Lookup(p.Key)
		vs := c.Values(p.Key)
		if !ok || !c.Flag(p.Key) || len(vs) == 0 || vs[len(vs)-1] != v {
			t.Fatalf("Parse(%q): key %q: Lookup = %q, %v; Flag = %v; Values = %q",
				s, p.Key, v, ok, c.Flag(p.Key), vs)
		}
	}

	// 6. ModuleParams gives options that the kernel reads back as the
	// module's parameters when joined with spaces. It leaves none out
	// unless a quote comes before or at the start of a parameter's name.
	// Blacklisted finds every name listed in modprobe.blacklist.
	for _, p := range params[:min(len(params), maxCrossChecks)] {
		mod, _, found := strings.Cut(p.Key, ".")
		if !found || mod == "" {
			continue
		}
		opts := c.ModuleParams(mod)
		got, rest, _ := split(strings.Join(opts, " "))
		if rest != nil || len(got) != len(opts) {
			t.Fatalf("Parse(%q).ModuleParams(%q) = %q, reads back as %+v -- %+v", s, mod, opts, got, rest)
		}
		var want []Param
		clean := true
		for _, q := range params {
			m, name, found := strings.Cut(q.Key, ".")
			if !found || name == "" || !KeyEqual(m, mod) {
				continue
			}
			q := Param{Key: name, Value: q.Value, HasValue: q.HasValue}
			if isDashes(q) {
				continue
			}
			want = append(want, q)
			clean = clean && strings.IndexByte(m, '"') < 0 && name[0] != '"'
		}
		if clean && !slices.Equal(got, want) {
			t.Fatalf("Parse(%q).ModuleParams(%q) = %q, reads back as %+v, want %+v", s, mod, opts, got, want)
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Fatalf("Parse(%q).ModuleParams(%q) = %q, reads back as %+v, which has %+v not among %+v",
					s, mod, opts, got, g, want)
			}
		}
		if KeyEqual(p.Key, "modprobe.blacklist") && p.HasValue {
			for _, name := range strings.Split(p.Value, ",") {
				if name != "" && !c.Blacklisted(name) {
					t.Fatalf("Parse(%q): Blacklisted(%q) = false", s, name)
				}
			}
		}
	}
}

// splitUnquoted is the kernel's grammar for a line without quotes: words
// separated by white space, split at the first '=' after index 0.
func splitUnquoted(line string) (params, initParams []Param) {
	dashes := 0
	start := -1
	var words []string
	for i := 0; i <= len(line); i++ {
		if i < len(line) && !isSpace(line[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			words = append(words, line[start:i])
			start = -1
		}
	}
	for _, w := range words {
		p := Param{Key: w}
		if len(w) > 1 {
			if e := strings.IndexByte(w[1:], '='); e >= 0 {
				p = Param{Key: w[:e+1], Value: w[e+2:], HasValue: true}
			}
		}
		if isDashes(p) {
			dashes++
			if dashes == 2 {
				break
			}
			continue
		}
		if dashes == 0 {
			params = append(params, p)
		} else {
			initParams = append(initParams, p)
		}
	}
	return params, initParams
}

// The reference model below transliterates lib/cmdline.c next_arg,
// kernel/params.c parse_args, and init/main.c start_kernel,
// repair_env_string and set_init_arg, working like the C code on a
// NUL-terminated byte buffer that it cuts by writing NUL bytes. It shares
// no code with the package.

// refCtypeSpace is the _S column of lib/ctype.c's _ctype table.
var refCtypeSpace = [256]bool{9: true, 10: true, 11: true, 12: true, 13: true, 32: true, 160: true}

// refStrlen is strlen(buf + i).
func refStrlen(buf []byte, i int) int {
	n := 0
	for buf[i+n] != 0 {
		n++
	}
	return n
}

// refString is the C string at buf + i.
func refString(buf []byte, i int) string {
	return string(buf[i : i+refStrlen(buf, i)])
}

// refSkipSpaces is skip_spaces.
func refSkipSpaces(buf []byte, i int) int {
	for refCtypeSpace[buf[i]] {
		i++
	}
	return i
}

// refNextArg is next_arg; val is -1 for NULL.
func refNextArg(buf []byte, args int) (next, param, val int) {
	var i, equals int
	inQuote, quoted := false, false
	if buf[args] == '"' {
		args++
		inQuote, quoted = true, true
	}
	for i = 0; buf[args+i] != 0; i++ {
		if refCtypeSpace[buf[args+i]] && !inQuote {
			break
		}
		if equals == 0 {
			if buf[args+i] == '=' {
				equals = i
			}
		}
		if buf[args+i] == '"' {
			inQuote = !inQuote
		}
	}
	param = args
	if equals == 0 {
		val = -1
	} else {
		buf[args+equals] = 0
		val = args + equals + 1
		if buf[val] == '"' {
			val++
			if buf[args+i-1] == '"' {
				buf[args+i-1] = 0
			}
		}
	}
	if quoted && i > 0 && buf[args+i-1] == '"' {
		buf[args+i-1] = 0
	}
	if buf[args+i] != 0 {
		buf[args+i] = 0
		args += i + 1
	} else {
		args += i
	}
	return refSkipSpaces(buf, args), param, val
}

// refParseArgs is parse_args with an "unknown" handler that takes every
// parameter. It returns the position after a bare "--", or -1.
func refParseArgs(buf []byte, args int, unknown func(param, val int)) int {
	args = refSkipSpaces(buf, args)
	for buf[args] != 0 {
		var param, val int
		args, param, val = refNextArg(buf, args)
		if val < 0 && refString(buf, param) == "--" {
			return args
		}
		unknown(param, val)
	}
	return -1
}

// refRepairEnvString is repair_env_string; it reports false where the
// kernel would BUG().
func refRepairEnvString(buf []byte, param, val int) bool {
	if val < 0 {
		return true
	}
	n := refStrlen(buf, param)
	switch val {
	case param + n + 1:
		buf[val-1] = '='
	case param + n + 2:
		buf[val-2] = '='
		copy(buf[val-1:], buf[val:val+refStrlen(buf, val)+1])
	default:
		return false
	}
	return true
}

// refSplit is start_kernel's two parse_args calls.
func refSplit(s string) (params []Param, initArgs []string, ok bool) {
	buf := append([]byte(s), 0)
	ok = true
	after := refParseArgs(buf, 0, func(param, val int) {
		p := Param{Key: refString(buf, param)}
		if val >= 0 {
			p.Value, p.HasValue = refString(buf, val), true
		}
		params = append(params, p)
		ok = ok && refRepairEnvString(buf, param, val) // as unknown_bootoption does
	})
	if after >= 0 {
		refParseArgs(buf, after, func(param, val int) {
			ok = ok && refRepairEnvString(buf, param, val)
			initArgs = append(initArgs, refString(buf, param))
		})
	}
	return params, initArgs, ok
}
