package cmdline

import "strings"

// Param is one parameter as the kernel split it.
//
// Key is never empty when HasValue is true. A word made only of quotes
// (`"` or `""`) gives an empty Key without a value, as in the kernel.
type Param struct {
	// Key is the text before the first '=' (the whole word without a value),
	// with the word's leading quote and its matching trailing quote removed.
	Key string
	// Value is the text after the first '=', with a leading quote and a
	// trailing quote removed. It is empty when HasValue is false.
	Value string
	// HasValue reports whether the word had a '=' that split it; "key=" has
	// a value (the empty string), "key" does not.
	HasValue bool
}

// Cmdline is a parsed kernel command line.
type Cmdline struct {
	// Raw is the string given to Parse, unchanged.
	Raw string
	// Params are the kernel parameters before the first bare "--", in order.
	Params []Param
	// InitArgs are the words after the first bare "--" and before a second
	// one, each as the kernel passes it to the init: "key=value" (quotes
	// removed as for Param) or the bare word.
	InitArgs []string
	// Ignored are the words after a second bare "--": the kernel hands
	// them to no one, but /proc/cmdline still shows them to whatever
	// reads it, as systemd does.
	Ignored []Param
}

// Parse splits a kernel command line, as read from /proc/cmdline, with the
// kernel's rules. It never fails: every input gives some result. A trailing
// newline is white space like any other; input after a NUL byte is ignored,
// because the kernel's command line is a C string.
func Parse(s string) *Cmdline {
	params, initParams, ignored := split(s)
	c := &Cmdline{Raw: s, Params: params, Ignored: ignored}
	if len(initParams) > 0 {
		c.InitArgs = make([]string, len(initParams))
		for i, p := range initParams {
			c.InitArgs[i] = initArg(p)
		}
	}
	return c
}

// KeyEqual reports whether two parameter names are the same to the kernel:
// equal byte for byte, except that '-' and '_' match each other (parameq in
// kernel/params.c). Case matters.
func KeyEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '-' {
			x = '_'
		}
		if y == '-' {
			y = '_'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Lookup returns the value of the last parameter whose key is KeyEqual to
// key; a later occurrence overrides an earlier one, as it does for the
// kernel's own handlers. ok is true for a bare flag too, with value "".
func (c *Cmdline) Lookup(key string) (value string, ok bool) {
	for i := len(c.Params) - 1; i >= 0; i-- {
		if p := c.Params[i]; KeyEqual(p.Key, key) {
			return p.Value, true
		}
	}
	return "", false
}

// Flag reports whether a parameter with the key appears at all, bare or
// with a value.
func (c *Cmdline) Flag(key string) bool {
	_, ok := c.Lookup(key)
	return ok
}

// Values returns the values of every parameter with the key, in command
// line order. A bare occurrence contributes "", so the last element is
// always what Lookup returns.
func (c *Cmdline) Values(key string) []string {
	var vs []string
	for _, p := range c.Params {
		if KeyEqual(p.Key, key) {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// ModuleParams returns the options the command line gives a module, in
// order, for the parameters "module.param=value" (the module name compared
// with KeyEqual, the key split at its first '.'). Each option is "param"
// or "param=value", written so that the kernel's parser reads it back as
// the same param and value: a value with white space is enclosed in double
// quotes (param="a b"), unless its own quotes already hold the white space
// (param=b"c d"e), which added quotes would break. Joined with spaces, the
// options can be passed to init_module or finit_module, as modprobe does.
//
// Parameters with an empty name ("module.=x") are skipped, as is a bare
// "module.--", which the kernel would take as the end of the options. So
// are two kinds that need a quote in the key before or at the start of the
// name, as in `mod."a b`: a name that no word can pass on unchanged, and
// an option that could only be written ending inside quotes when another
// option follows it, which it would swallow.
func (c *Cmdline) ModuleParams(module string) []string {
	if module == "" {
		return nil
	}
	var opts []string
	lastOpen := false
	for _, p := range c.Params {
		mod, name, found := strings.Cut(p.Key, ".")
		if !found || name == "" || !KeyEqual(mod, module) {
			continue
		}
		w, open, ok := render(Param{Key: name, Value: p.Value, HasValue: p.HasValue})
		if !ok {
			continue
		}
		if lastOpen {
			// The previous option ends inside quotes and would swallow
			// this one.
			opts = opts[:len(opts)-1]
		}
		opts = append(opts, w)
		lastOpen = open
	}
	return opts
}

// Blacklisted reports whether a modprobe.blacklist= parameter names the
// module. The parameter may appear several times, each with a
// comma-separated list; names compare with KeyEqual.
func (c *Cmdline) Blacklisted(module string) bool {
	if module == "" {
		return false
	}
	for _, p := range c.Params {
		if !p.HasValue || !KeyEqual(p.Key, "modprobe.blacklist") {
			continue
		}
		for rest := p.Value; rest != ""; {
			var name string
			name, rest, _ = strings.Cut(rest, ",")
			if KeyEqual(name, module) {
				return true
			}
		}
	}
	return false
}

// isSpace is the kernel's isspace (lib/ctype.c): the ASCII white space
// characters and 0xA0, the Latin-1 no-break space.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0xa0:
		return true
	}
	return false
}

// skipSpaces is the kernel's skip_spaces.
func skipSpaces(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

// isDashes reports whether p is the bare "--" that ends a parse_args run.
func isDashes(p Param) bool {
	return !p.HasValue && p.Key == "--"
}

// split runs the kernel's two parse_args passes of start_kernel: the
// parameters up to the first bare "--", then the init's words up to the
// next one; the words after that are ignored.
func split(s string) (params, initParams, ignored []Param) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	s = skipSpaces(s)
	afterDashes, ended := false, false
	for s != "" {
		p, n, _ := scan(s)
		s = skipSpaces(s[n:])
		switch {
		case ended:
			ignored = append(ignored, p)
			continue
		case isDashes(p) && afterDashes:
			ended = true
			continue
		case isDashes(p):
			afterDashes = true
			continue
		}
		if afterDashes {
			initParams = append(initParams, p)
		} else {
			params = append(params, p)
		}
	}
	return params, initParams, ignored
}

// scan is next_arg from lib/cmdline.c on a string that starts a word. It
// returns the parameter, the number of bytes of s the word used (the
// separator after it is not counted), and whether the word ended inside
// quotes, in which case it ran to the end of s.
//
// next_arg cuts the word by writing NUL bytes into it: at the '=', at the
// end of the word, and over a closing quote at index i-1. Here the same
// cuts become slice bounds.
func scan(s string) (p Param, n int, open bool) {
	start := 0
	quoted, inQuote := false, false
	if s != "" && s[0] == '"' {
		start = 1
		quoted, inQuote = true, true
	}
	a := s[start:]
	equals := 0 // 0 means "no split", even for an '=' at index 0
	i := 0
	for ; i < len(a); i++ {
		c := a[i]
		if isSpace(c) && !inQuote {
			break
		}
		if equals == 0 && c == '=' {
			equals = i
		}
		if c == '"' {
			inQuote = !inQuote
		}
	}
	n = start + i

	// The value starts with a quote only if it has a first byte: a[i] is
	// the separator or the end of the string, never a quote.
	valQuote := equals != 0 && equals+1 < i && a[equals+1] == '"'
	end := i
	if i > 0 && a[i-1] == '"' && (valQuote || quoted) {
		end = i - 1
	}
	if equals == 0 {
		return Param{Key: a[:end]}, n, inQuote
	}
	v := equals + 1
	if valQuote {
		v++
	}
	if end < v {
		// The closing quote was the value's opening one: `k="`.
		end = v
	}
	return Param{Key: a[:equals], Value: a[v:end], HasValue: true}, n, inQuote
}

// initArg is repair_env_string from init/main.c: the string the init gets
// for a word after "--".
func initArg(p Param) string {
	if !p.HasValue {
		return p.Key
	}
	return p.Key + "=" + p.Value
}

// render writes p as one word that scan reads back as exactly p, and
// reports whether that word ends inside quotes. It prefers a word that
// ends outside quotes, which can be followed by a space and another word;
// a word that ends inside quotes is returned only when nothing else reads
// back as p, and must then be the last word of a command line.
//
// It fails for the bare "--", which parse_args would take as a terminator.
// It succeeds for any other Param that scan produced, because the word it
// came from is among the forms tried, and it needs to end inside quotes
// only if that word did.
func render(p Param) (w string, open, ok bool) {
	if isDashes(p) {
		return "", false, false
	}
	k, v := p.Key, p.Value
	var forms [7]string
	if p.HasValue {
		forms = [...]string{
			k + "=" + v,
			k + `="` + v + `"`,
			k + `="` + v,
			`"` + k + "=" + v + `"`,
			`"` + k + "=" + v,
			`"` + k + `="` + v + `"`,
			`"` + k + `="` + v,
		}
	} else {
		forms = [...]string{k, `"` + k + `"`, `"` + k, "", "", "", ""}
	}
	for _, f := range forms {
		if f == "" {
			continue
		}
		q, n, fOpen := scan(f)
		if n != len(f) || q != p {
			continue
		}
		if !fOpen {
			return f, false, true
		}
		if !ok {
			w, open, ok = f, true, true
		}
	}
	return w, open, ok
}
