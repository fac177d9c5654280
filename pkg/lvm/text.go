package lvm

import (
	"bytes"
	"strconv"
	"strings"
)

// The metadata text uses libdm's config syntax (libdm/libdm-config.c):
//
//	file    = node*
//	node    = key ( "=" value | "{" node* "}" )
//	key     = word | string
//	value   = scalar | "[" ( scalar ","? )* "]"
//	scalar  = string | integer
//
// Whitespace (newlines included) is free, '#' starts a comment that runs
// to the end of the line, and the text ends at the first NUL byte. A
// double-quoted string knows two escapes, \" and \\; any other backslash
// is kept as it is. A single-quoted string has no escapes. There is no
// line continuation: a string may simply contain newlines.
//
// This parser accepts everything lvm2 writes and is stricter than libdm
// where lvm2 never writes what libdm would accept: unquoted (bare)
// string values, floating-point numbers, integers with a leading zero
// (strtoll would read them as octal) and duplicate keys in a section are
// errors, and so are nesting, node counts and strings beyond the limits
// below.
const (
	maxDepth       = 16      // sections inside sections; lvm2 metadata uses 5
	maxNodes       = 1 << 18 // keys plus list elements in one text
	maxStringBytes = 1 << 18 // one string or key, after unescaping
)

// kind is the type of a cnode or cvalue.
type kind uint8

const (
	kindSection kind = iota
	kindInt
	kindString
	kindList
)

// A cnode is one node of the text: key = value, or key { children }.
type cnode struct {
	key      string
	line     int // line of the key
	off      int // byte offset of the key
	kind     kind
	i        int64    // kindInt
	s        string   // kindString
	list     []cvalue // kindList
	children []*cnode // kindSection
}

// A cvalue is one element of a list: an integer or a string.
type cvalue struct {
	kind kind // kindInt or kindString
	i    int64
	s    string
}

type tokType uint8

const (
	tEOF tokType = iota
	tLBrace
	tRBrace
	tLBrack
	tRBrack
	tComma
	tEq
	tString
	tWord
)

type token struct {
	typ  tokType
	off  int
	line int
	s    string // tString: the unescaped value; tWord: the word
}

type parser struct {
	b     []byte
	pos   int
	line  int
	nodes int
	path  []string // keys of the open sections
	tok   token
}

// parseConfig parses text (up to its first NUL) into a root section.
func parseConfig(text []byte) (*cnode, error) {
	if n := bytes.IndexByte(text, 0); n >= 0 {
		text = text[:n]
	}
	p := &parser{b: text, line: 1}
	root := &cnode{kind: kindSection, line: 1}
	if err := p.next(); err != nil {
		return nil, err
	}
	if err := p.body(root, nil); err != nil {
		return nil, err
	}
	return root, nil
}

// body parses the nodes of sec up to its closing brace (consumed), or to
// the end of the text when open is nil (the root).
func (p *parser) body(sec *cnode, open *cnode) error {
	var seen map[string]*cnode // built once the section has many keys
	for {
		switch p.tok.typ {
		case tEOF:
			if open == nil {
				return nil
			}
			return p.errAt(open.off, open.line, "section "+strconv.Quote(open.key)+" is not closed before the end of the text")
		case tRBrace:
			if open == nil {
				return p.err("unexpected '}' at the top level")
			}
			return p.next()
		case tWord, tString:
		default:
			return p.err(p.where() + "expected a key, got " + p.desc())
		}
		n := &cnode{key: p.tok.s, line: p.tok.line, off: p.tok.off}
		if n.key == "" {
			return p.err(p.where() + "empty key")
		}
		if p.nodes++; p.nodes > maxNodes {
			return p.err("more than " + strconv.Itoa(maxNodes) + " keys and list elements")
		}
		// Duplicate keys: libdm keeps both and its lookups see the first,
		// so a second one is corruption or an attempt to confuse readers.
		var prev *cnode
		if seen != nil {
			prev = seen[n.key]
		} else {
			for _, c := range sec.children {
				if c.key == n.key {
					prev = c
					break
				}
			}
		}
		if prev != nil {
			return p.err(p.where() + "duplicate key " + strconv.Quote(n.key) + " (first on line " + strconv.Itoa(prev.line) + ")")
		}
		if err := p.next(); err != nil {
			return err
		}
		switch p.tok.typ {
		case tLBrace:
			if len(p.path) >= maxDepth {
				return p.err("sections nested deeper than " + strconv.Itoa(maxDepth))
			}
			n.kind = kindSection
			p.path = append(p.path, n.key)
			if err := p.next(); err != nil {
				return err
			}
			if err := p.body(n, n); err != nil {
				return err
			}
			p.path = p.path[:len(p.path)-1]
		case tEq:
			if err := p.next(); err != nil {
				return err
			}
			if err := p.value(n); err != nil {
				return err
			}
		default:
			return p.err(p.where() + "expected '=' or '{' after key " + strconv.Quote(n.key) + ", got " + p.desc())
		}
		sec.children = append(sec.children, n)
		if seen != nil {
			seen[n.key] = n
		} else if len(sec.children) >= 16 {
			seen = make(map[string]*cnode, 2*len(sec.children))
			for _, c := range sec.children {
				seen[c.key] = c
			}
		}
	}
}

// value parses the value of n after its '='.
func (p *parser) value(n *cnode) error {
	if p.tok.typ != tLBrack {
		v, err := p.scalar(n.key)
		if err != nil {
			return err
		}
		n.kind, n.i, n.s = v.kind, v.i, v.s
		return nil
	}
	n.kind = kindList
	if err := p.next(); err != nil {
		return err
	}
	for p.tok.typ != tRBrack {
		if p.tok.typ == tLBrack {
			return p.err(p.where() + "list inside the list of key " + strconv.Quote(n.key))
		}
		v, err := p.scalar(n.key)
		if err != nil {
			return err
		}
		if p.nodes++; p.nodes > maxNodes {
			return p.err("more than " + strconv.Itoa(maxNodes) + " keys and list elements")
		}
		n.list = append(n.list, v)
		if p.tok.typ == tComma {
			if err := p.next(); err != nil {
				return err
			}
		}
	}
	return p.next()
}

// scalar parses a string or an integer and moves past it.
func (p *parser) scalar(key string) (cvalue, error) {
	var v cvalue
	switch p.tok.typ {
	case tString:
		v = cvalue{kind: kindString, s: p.tok.s}
	case tWord:
		i, msg := parseInt(p.tok.s, key)
		if msg != "" {
			return v, p.err(p.where() + msg)
		}
		v = cvalue{kind: kindInt, i: i}
	default:
		return v, p.err(p.where() + "expected a value for key " + strconv.Quote(key) + ", got " + p.desc())
	}
	return v, p.next()
}

// parseInt reads a decimal integer as lvm2 writes it. It returns a
// message saying what is wrong, or "".
func parseInt(w, key string) (int64, string) {
	digits := w
	if w[0] == '+' || w[0] == '-' {
		digits = w[1:]
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		if strings.Count(digits, ".") == 1 && strings.Trim(digits, "0123456789.") == "" {
			return 0, "floating-point value " + w + " for key " + strconv.Quote(key) + " (LVM2 metadata has none)"
		}
		return 0, "unquoted value " + strconv.Quote(trunc(w)) + " for key " + strconv.Quote(key) + " (strings must be quoted)"
	}
	if len(digits) > 1 && digits[0] == '0' {
		return 0, "integer " + w + " for key " + strconv.Quote(key) + " has a leading zero (lvm2 would read it as octal)"
	}
	i, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		if key == "creation_time" {
			// lvm2 repairs this one value (libdm-config.c, _type):
			// 32-bit builds before 2.02.169 wrote bad creation times.
			return 1527120000, ""
		}
		return 0, "integer " + trunc(w) + " for key " + strconv.Quote(key) + " is out of range"
	}
	return i, ""
}

// next reads the next token into p.tok.
func (p *parser) next() error {
	b := p.b
	for p.pos < len(b) {
		c := b[p.pos]
		if c == '#' {
			for p.pos < len(b) && b[p.pos] != '\n' {
				p.pos++
			}
			continue
		}
		if !isSpace(c) {
			break
		}
		if c == '\n' {
			p.line++
		}
		p.pos++
	}
	p.tok = token{off: p.pos, line: p.line}
	if p.pos >= len(b) {
		p.tok.typ = tEOF
		return nil
	}
	c := b[p.pos]
	if t := punct(c); t != tEOF {
		p.tok.typ = t
		p.pos++
		return nil
	}
	switch {
	case c == '"' || c == '\'':
		return p.str(c)
	case isWordByte(c):
		start := p.pos
		for p.pos < len(b) && isWordByte(b[p.pos]) {
			p.pos++
		}
		if p.pos-start > maxStringBytes {
			return p.err("word longer than " + strconv.Itoa(maxStringBytes) + " bytes")
		}
		p.tok.typ, p.tok.s = tWord, string(b[start:p.pos])
		return nil
	}
	return p.err(p.where() + "unexpected byte " + strconv.QuoteRune(rune(c)))
}

// str reads a string quoted with q. Inside double quotes, \" and \\ are
// escapes and any other backslash is kept (dm_unescape_double_quotes).
func (p *parser) str(q byte) error {
	b := p.b
	start, line := p.pos, p.line
	p.pos++
	var sb []byte // only when there are escapes
	from := p.pos
	for {
		if p.pos-start > maxStringBytes {
			return p.errAt(start, line, p.where()+"string longer than "+strconv.Itoa(maxStringBytes)+" bytes")
		}
		if p.pos >= len(b) {
			return p.errAt(start, line, p.where()+"string is not terminated")
		}
		c := b[p.pos]
		if c == q {
			break
		}
		if c == '\n' {
			p.line++
		}
		if q == '"' && c == '\\' && p.pos+1 < len(b) && (b[p.pos+1] == '"' || b[p.pos+1] == '\\') {
			sb = append(sb, b[from:p.pos]...)
			sb = append(sb, b[p.pos+1])
			p.pos += 2
			from = p.pos
			continue
		}
		p.pos++
	}
	if sb != nil {
		p.tok.s = string(append(sb, b[from:p.pos]...))
	} else {
		p.tok.s = string(b[from:p.pos])
	}
	p.tok.typ = tString
	p.pos++ // closing quote
	return nil
}

// punct returns the type of a one-byte token, or tEOF.
func punct(c byte) tokType {
	switch c {
	case '{':
		return tLBrace
	case '}':
		return tRBrace
	case '[':
		return tLBrack
	case ']':
		return tRBrack
	case ',':
		return tComma
	case '=':
		return tEq
	}
	return tEOF
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// isWordByte reports whether c may appear in a key or an unquoted value:
// printable ASCII other than the structural characters.
func isWordByte(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '#', '=', '{', '}', '[', ']', ',', '"', '\'':
		return false
	}
	return true
}

// desc describes the current token for an error message.
func (p *parser) desc() string {
	switch p.tok.typ {
	case tEOF:
		return "the end of the text"
	case tString:
		return "string " + strconv.Quote(trunc(p.tok.s))
	case tWord:
		return strconv.Quote(trunc(p.tok.s))
	}
	return "'" + string(p.b[p.tok.off]) + "'"
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// where names the open section for an error message, e.g.
// "vg/logical_volumes: ".
func (p *parser) where() string {
	if len(p.path) == 0 {
		return ""
	}
	return strings.Join(p.path, "/") + ": "
}

func (p *parser) err(msg string) error { return p.errAt(p.tok.off, p.tok.line, msg) }

func (p *parser) errAt(off, line int, msg string) error {
	return &FormatError{Offset: int64(off), Line: line, Msg: msg}
}
