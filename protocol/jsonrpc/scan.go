package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// MaxDepth bounds how deeply arrays and objects may nest in a body, the batch array included.
// No VDSM verb takes params anywhere near this deep; the bound exists so that a hostile body
// cannot make the error path's recursive repr (or a later json.Unmarshal of params) deep.
// A deeper body is a parse error, as it is in VDSM, whose json.loads fails with a
// RecursionError past Python's recursion limit and is answered -32700 by a bare except.
const MaxDepth = 100

var (
	errSyntax  = errors.New("jsonrpc: invalid JSON")
	errTooDeep = errors.New("jsonrpc: JSON nested too deeply")
)

// scanner validates JSON in place and hands out spans of the input instead of decoded values,
// which is what lets Decode keep ids and params raw without copying them.
//
// It is stricter than Python's json module in two ways, both deliberate: NaN and Infinity are
// rejected (they are not JSON, and an id of NaN could not be echoed as valid JSON), and so is
// invalid UTF-8 (Python rejects it too, and it keeps echoed ids valid UTF-8).
type scanner struct {
	data  []byte
	pos   int
	depth int
}

// plain marks the bytes a string may hold without a closer look: printable ASCII other than
// the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		// Bodies from the engine have no whitespace at all, so test the common case first.
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		s.pos++
	}
}

// skipBOM drops a leading UTF-8 byte order mark. RFC 8259 lets a parser ignore it, and VDSM's
// json.loads of a bytes body does.
func (s *scanner) skipBOM() {
	if len(s.data) >= 3 && s.data[0] == 0xEF && s.data[1] == 0xBB && s.data[2] == 0xBF {
		s.pos = 3
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end (0 never starts a value).
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// atEnd reports whether only whitespace is left.
func (s *scanner) atEnd() bool {
	s.skipSpace()
	return s.pos == len(s.data)
}

// value consumes one value of any kind.
func (s *scanner) value() error {
	switch c := s.peek(); c {
	case '{':
		return s.object(nil)
	case '[':
		return s.array(nil)
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number()
		}
		return errSyntax
	}
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > MaxDepth {
		return errTooDeep
	}
	return nil
}

// memberFunc sees one object member: key is the quoted key as written, escaped says whether it
// holds a backslash, val is the value's span.
type memberFunc func(key []byte, escaped bool, val []byte)

// object consumes an object and shows each member to visit (if any), in body order.
func (s *scanner) object(visit memberFunc) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // the '{' peek saw
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return errSyntax
		}
		kstart := s.pos
		escaped, err := s.str()
		if err != nil {
			return err
		}
		key := s.data[kstart:s.pos]
		if s.peek() != ':' {
			return errSyntax
		}
		s.pos++
		s.skipSpace()
		vstart := s.pos
		if err := s.value(); err != nil {
			return err
		}
		if visit != nil {
			visit(key, escaped, s.data[vstart:s.pos])
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

// array consumes an array. element, when given, must consume one element starting at s.pos
// (whitespace already skipped); without it elements are only validated.
func (s *scanner) array(element func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // the '[' peek saw
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		s.skipSpace()
		var err error
		if element != nil {
			err = element()
		} else {
			err = s.value()
		}
		if err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

// str consumes a string and reports whether it holds an escape.
func (s *scanner) str() (escaped bool, err error) {
	d := s.data
	i := s.pos + 1
	for i < len(d) {
		c := d[i]
		if plain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			s.pos = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return false, errSyntax
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return false, errSyntax
				}
				i += 6
			default:
				return false, errSyntax
			}
		case c < 0x20:
			return false, errSyntax
		default:
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n == 1 {
				return false, errSyntax
			}
			i += n
		}
	}
	return false, errSyntax
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number consumes -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; what may follow it is the
// caller's concern, so "01" fails where the caller expects a comma or the end.
func (s *scanner) number() error {
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && isDigit(d[i]):
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return errSyntax
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return errSyntax
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return errSyntax
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	s.pos = i
	return nil
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return errSyntax
	}
	s.pos += len(word)
	return nil
}

// unquote returns the text of a string span the scanner accepted. Strings without escapes,
// nearly all of them, are a plain copy; the rest go through encoding/json, which turns a lone
// surrogate escape into U+FFFD where Python would keep it (no client sends one).
func unquote(quoted []byte, escaped bool) string {
	if !escaped {
		return string(quoted[1 : len(quoted)-1])
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return "" // unreachable for a span the scanner accepted
	}
	return s
}

// hasEscape reports whether a string span holds a backslash; the scanner keeps that flag only
// for keys.
func hasEscape(quoted []byte) bool { return bytes.IndexByte(quoted, '\\') >= 0 }
