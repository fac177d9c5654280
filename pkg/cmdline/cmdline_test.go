package cmdline

import (
	"slices"
	"testing"
)

// kv, flag and ps keep the table below readable.
func kv(k, v string) Param  { return Param{Key: k, Value: v, HasValue: true} }
func flag(k string) Param   { return Param{Key: k} }
func ps(p ...Param) []Param { return p }

// parseTests give, for each input, what the kernel's next_arg and
// parse_args make of it. FuzzParse uses the inputs as seeds, and
// TestParse also checks each one against the fuzz invariants.
var parseTests = []struct {
	name     string
	in       string
	params   []Param
	initArgs []string
	ignored  []Param
}{
	{name: "empty", in: ""},
	{name: "only white space", in: " \t\n\v\f\r"},
	{name: "plain words", in: "quiet ro splash", params: ps(flag("quiet"), flag("ro"), flag("splash"))},
	{
		name:   "key=value",
		in:     "root=/dev/sda1 console=ttyS0,115200n8",
		params: ps(kv("root", "/dev/sda1"), kv("console", "ttyS0,115200n8")),
	},
	{name: "empty value", in: "a= b", params: ps(kv("a", ""), flag("b"))},
	{name: "first = splits", in: "root=PARTUUID=abc=d", params: ps(kv("root", "PARTUUID=abc=d"))},
	{name: "quoted value", in: `param="a b" x`, params: ps(kv("param", "a b"), flag("x"))},
	{name: "quoted empty value", in: `a="" b`, params: ps(kv("a", ""), flag("b"))},
	{name: "quoted word", in: `"quoted word" next`, params: ps(flag("quoted word"), flag("next"))},
	{name: "quoted word with value", in: `"a=b c" d`, params: ps(kv("a", "b c"), flag("d"))},
	{
		// The value's quote closes the word's: the space after c ends it.
		name:   "quoted word, quoted value",
		in:     `"a b="c d"`,
		params: ps(kv("a b", "c"), flag(`d"`)),
	},
	{name: "quoted word, = inside quotes", in: `"a=b"`, params: ps(kv("a", "b"))},
	{
		// The '=' is inside the quotes and still splits: next_arg looks for
		// the first '=' whatever the quote state.
		name:   "= inside quotes splits",
		in:     `a"b=c d"`,
		params: ps(kv(`a"b`, `c d"`)),
	},
	{
		// Quotes in the middle stay: only a quote at the start of the word
		// or of the value is removed, with one at the end of the word.
		name:   "quotes in the middle are kept",
		in:     `a=b"c d"e f`,
		params: ps(kv("a", `b"c d"e`), flag("f")),
	},
	{name: "value quote closed mid-word", in: `a="b"c x`, params: ps(kv("a", `b"c`), flag("x"))},
	{name: "value quote closed before a space", in: `a="b c"d e`, params: ps(kv("a", `b c"d`), flag("e"))},
	{name: "word quote closed before =", in: `"a="b c"`, params: ps(kv("a", "b"), flag(`c"`))},
	{name: "quote in a key", in: `a"b"=c`, params: ps(kv(`a"b"`, "c"))},
	{name: "unbalanced value quote", in: `a="`, params: ps(kv("a", ""))},
	{name: "unbalanced value quote then words", in: `a=" b c`, params: ps(kv("a", " b c"))},
	{name: "lone quote", in: `"`, params: ps(flag(""))},
	{name: "two quotes", in: `"" x`, params: ps(flag(""), flag("x"))},
	{name: "three quotes", in: `"""`, params: ps(flag(`"`))},
	{name: "lone quote swallows the rest", in: `" a b`, params: ps(flag(" a b"))},
	{name: "quote opened mid-value", in: `a=b"c`, params: ps(kv("a", `b"c`))},
	{name: "quote opened mid-value swallows the rest", in: `a=b"c d -- e`, params: ps(kv("a", `b"c d -- e`))},
	{name: "quoted word without closing quote", in: `"a b`, params: ps(flag("a b"))},
	{name: "quoted key=", in: `"a="`, params: ps(kv("a", ""))},
	{name: "equals at index 0 does not split", in: "=x", params: ps(flag("=x"))},
	{name: "lone equals", in: "=", params: ps(flag("="))},
	{name: "second equals splits after one at index 0", in: "==x =a=b", params: ps(kv("=", "x"), kv("=a", "b"))},
	{name: "equals at index 0 after a leading quote", in: `"=x"`, params: ps(flag("=x"))},
	{
		name:   "multiple spaces, tabs and newlines",
		in:     "  a \t\tb=1\n\nc\v\fd\r\n",
		params: ps(flag("a"), kv("b", "1"), flag("c"), flag("d")),
	},
	{name: "white space inside quotes", in: "a=\"x\ty\nz\" b", params: ps(kv("a", "x\ty\nz"), flag("b"))},
	{name: "0xA0 is white space", in: "a\xa0b=c\xa0", params: ps(flag("a"), kv("b", "c"))},
	{
		// U+00E0 is C3 A0 in UTF-8: the kernel ends the word at its second byte.
		name:   "UTF-8 containing 0xA0 is split",
		in:     "root=LABEL=voil\u00e0 quiet",
		params: ps(kv("root", "LABEL=voil\xc3"), flag("quiet")),
	},
	{name: "0xA0 inside quotes", in: "a=\"x\xa0y\"", params: ps(kv("a", "x\xa0y"))},
	{name: "NUL ends the command line", in: "a b\x00c d", params: ps(flag("a"), flag("b"))},
	{name: "leading NUL", in: "\x00a", params: nil},
	{
		name:     "init args after --",
		in:       `ro -- single x=1 "a b" c="d e" f=` + "\n",
		params:   ps(flag("ro")),
		initArgs: []string{"single", "x=1", "a b", "c=d e", "f="},
	},
	{
		// parse_args stops at "--" in both passes of start_kernel, so what
		// follows a second "--" reaches neither the kernel nor the init.
		name:     "second -- ends the init args",
		in:       "a -- b -- c",
		params:   ps(flag("a")),
		initArgs: []string{"b"},
		ignored:  ps(flag("c")),
	},
	{name: "-- at the end", in: "a --\n", params: ps(flag("a"))},
	{name: "-- at the start", in: "-- a", initArgs: []string{"a"}},
	{name: "quoted -- is still --", in: `a "--" b`, params: ps(flag("a")), initArgs: []string{"b"}},
	{name: "--= is a parameter", in: "--= --=x ---", params: ps(kv("--", ""), kv("--", "x"), flag("---"))},
	{name: "quoted word after --", in: `-- "a=b c"`, initArgs: []string{"a=b c"}},
	{name: "init arg with quotes in the middle", in: `-- a=b"c d"e`, initArgs: []string{`a=b"c d"e`}},
	{
		name: "debian",
		in:   "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=0b7f4a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b ro quiet\n",
		params: ps(
			kv("BOOT_IMAGE", "/boot/vmlinuz-6.1.0-18-amd64"),
			kv("root", "UUID=0b7f4a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b"),
			flag("ro"), flag("quiet"),
		),
	},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			c := Parse(tt.in)
			if c.Raw != tt.in {
				t.Errorf("Raw = %q, want %q", c.Raw, tt.in)
			}
			if !slices.Equal(c.Params, tt.params) {
				t.Errorf("Parse(%q).Params =\n\t%+v\nwant\n\t%+v", tt.in, c.Params, tt.params)
			}
			if !slices.Equal(c.InitArgs, tt.initArgs) {
				t.Errorf("Parse(%q).InitArgs = %q, want %q", tt.in, c.InitArgs, tt.initArgs)
			}
			if !slices.Equal(c.Ignored, tt.ignored) {
				t.Errorf("Parse(%q).Ignored = %+v, want %+v", tt.in, c.Ignored, tt.ignored)
			}
			checkInvariants(t, tt.in)
		})
	}
}

func TestKeyEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same", "root", "root", true},
		{"dash and underscore", "rd.luks-uuid", "rd.luks_uuid", true},
		{"all dashes", "a-b-c", "a_b_c", true},
		{"mixed", "a-b_c", "a_b-c", true},
		{"case matters", "Root", "root", false},
		{"length differs", "root", "roots", false},
		{"dot is not dash", "a.b", "a-b", false},
		{"empty", "", "", true},
		{"empty and not", "", "-", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KeyEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("KeyEqual(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	const line = "console=tty0 quiet console=ttyS0,115200 rd.luks-uuid=abc a=1 a Root=x " +
		"systemd.verity_root_options=panic-on-corruption -- init=/x"
	c := Parse(line)
	tests := []struct {
		name   string
		key    string
		value  string
		ok     bool
		values []string
	}{
		{"last wins", "console", "ttyS0,115200", true, []string{"tty0", "ttyS0,115200"}},
		{"bare flag", "quiet", "", true, []string{""}},
		{"dash for underscore", "rd.luks_uuid", "abc", true, []string{"abc"}},
		{"underscore for dash", "systemd.verity-root-options", "panic-on-corruption", true, []string{"panic-on-corruption"}},
		{"bare after value", "a", "", true, []string{"1", ""}},
		{"case matters", "root", "", false, nil},
		{"missing", "splash", "", false, nil},
		{"init args are not parameters", "init", "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := c.Lookup(tt.key)
			if v != tt.value || ok != tt.ok {
				t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.key, v, ok, tt.value, tt.ok)
			}
			if f := c.Flag(tt.key); f != tt.ok {
				t.Errorf("Flag(%q) = %v, want %v", tt.key, f, tt.ok)
			}
			if vs := c.Values(tt.key); !slices.Equal(vs, tt.values) {
				t.Errorf("Values(%q) = %q, want %q", tt.key, vs, tt.values)
			}
		})
	}
}

func TestModuleParams(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		module string
		want   []string
	}{
		{
			name:   "in order, dash and underscore",
			line:   "nvme_core.default_ps_max_latency_us=0 usbcore.autosuspend=-1 nvme-core.io_timeout=4294967295 nvme_core.multipath",
			module: "nvme-core",
			want:   []string{"default_ps_max_latency_us=0", "io_timeout=4294967295", "multipath"},
		},
		{
			name:   "value with white space is quoted",
			line:   `snd-hda-intel.model="dell headset multi" snd_hda_intel.patch=`,
			module: "snd_hda_intel",
			want:   []string{`model="dell headset multi"`, "patch="},
		},
		{
			// Wrapping this one in quotes would change it: the kernel reads
			// `p="b"c d"e"` as p=`b"c` and a second word.
			name:   "quotes in the middle need no more quotes",
			line:   `m.p=b"c d"e`,
			module: "m",
			want:   []string{`p=b"c d"e`},
		},
		{name: "quoted word", line: `"m.a b=c d"`, module: "m", want: []string{`"a b=c d"`}},
		{name: "value starting with a quote", line: `m.p=""x"`, module: "m", want: []string{`p=""x`}},
		{name: "key split at the first dot", line: "m.p.q=1 m.n.p=2 m.n.p", module: "m.n", want: nil},
		{name: "dotted parameter name", line: "m.p.q=1 mx.p=2", module: "m", want: []string{"p.q=1"}},
		{name: "empty name skipped", line: "m.=x m.", module: "m"},
		{name: "bare -- skipped", line: "m.-- m.--=1", module: "m", want: []string{"--=1"}},
		{name: "case matters", line: "M.p=1", module: "m"},
		{name: "not after --", line: "m.a=1 -- m.b=2", module: "m", want: []string{"a=1"}},
		{name: "empty module name", line: ".p=1", module: ""},
		{name: "no match", line: "mx.p=1 m=1 m", module: "m"},
		{
			// Found by FuzzParse (testdata/fuzz/FuzzParse/regress-modparams-quote-starts-name):
			// no word gives the name `"0 000000`, since a leading quote is
			// always taken as the word's.
			name:   "name starting with a quote",
			line:   `0."0 000000`,
			module: "0",
		},
		{
			// The name `"` with value `a a "` can only be written as a word
			// that ends inside quotes, which would swallow "x".
			name:   "option ending inside quotes is dropped before another",
			line:   `m."=a a " m.x`,
			module: "m",
			want:   []string{"x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.line).ModuleParams(tt.module)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ModuleParams(%q) of %q = %q, want %q", tt.module, tt.line, got, tt.want)
			}
		})
	}
}

func TestBlacklisted(t *testing.T) {
	const line = "modprobe.blacklist=nouveau,radeon quiet modprobe.blacklist=snd-pcsp modprobe-blacklist=not-this-key " +
		`modprobe.blacklist="a,b" modprobe.blacklist=,,c, modprobe.blacklist -- modprobe.blacklist=late`
	c := Parse(line)
	tests := []struct {
		module string
		want   bool
	}{
		{"nouveau", true},
		{"radeon", true},
		{"snd_pcsp", true},
		{"snd-pcsp", true},
		{"a", true},
		{"b", true},
		{"c", true},
		{"", false},
		{"nouveau,radeon", false},
		{"Nouveau", false},
		{"late", false},
		{"i915", false},
		{"not-this-key", false},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			if got := c.Blacklisted(tt.module); got != tt.want {
				t.Errorf("Blacklisted(%q) = %v, want %v", tt.module, got, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		p    Param
		want string
		ok   bool
	}{
		{"bare", flag("ro"), "ro", true},
		{"value", kv("a", "b"), "a=b", true},
		{"empty value", kv("a", ""), "a=", true},
		{"white space in value", kv("a", "b c"), `a="b c"`, true},
		{"white space in key", kv("a b", "c"), `"a b=c"`, true},
		{"white space in key and value", kv("a b", "c d"), `"a b=c d"`, true},
		{"empty key", flag(""), `""`, true},
		{"value starting with a quote", kv("a", `"x`), `a=""x`, true},
		{"balanced form preferred", kv("a", `b"c`), `a="b"c`, true},
		{"lone quote as value", kv("a", `"`), `"a="""`, true},
		{"balanced with an unclosed value quote", kv("a", `b"c d"e`), `a=b"c d"e`, true},
		{"0xA0 in value", kv("a", "\xa0"), "a=\"\xa0\"", true},
		{"terminator", flag("--"), "", false},
		{"-- with value", kv("--", ""), "--=", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, ok := render(tt.p)
			if got != tt.want || ok != tt.ok {
				t.Errorf("render(%+v) = %q, %v; want %q, %v", tt.p, got, ok, tt.want, tt.ok)
			}
		})
	}
}
