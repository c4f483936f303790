package jsonrpc

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// masked stands for a password in a repr, as VDSM's ProtectedPassword renders one.
const masked = "'********'"

// appendPyRepr appends what Python's repr() prints for json.loads(raw), raw being a value the
// scanner accepted. Scalars are rendered by vdsm.PyRepr; containers are walked here because a
// Python dict keeps its keys in body order (a repeated key stays where it first appeared and
// takes its last value), which a Go map cannot.
//
// One deliberate difference: the value of any key "password" or starting with "_X_" prints as
// '********'. VDSM masks those keys in its logs but echoes them in invalid-request messages,
// which go to whatever subscribes to the reply-to destination; we do not repeat secrets there.
func appendPyRepr(b []byte, raw []byte) []byte {
	s := scanner{data: raw}
	return s.repr(b)
}

// repr renders the value at s.pos. It trusts the input: it runs only on spans the scanner has
// accepted, whose depth is bounded by MaxDepth.
func (s *scanner) repr(b []byte) []byte {
	switch s.peek() {
	case '{':
		return s.reprObject(b)
	case '[':
		s.pos++
		b = append(b, '[')
		if s.peek() == ']' {
			s.pos++
			return append(b, ']')
		}
		for {
			b = s.repr(b)
			if s.peek() == ']' {
				s.pos++
				return append(b, ']')
			}
			s.pos++ // ','
			b = append(b, ", "...)
		}
	case '"':
		start := s.pos
		escaped, _ := s.str()
		return append(b, vdsm.PyRepr(unquote(s.data[start:s.pos], escaped))...)
	case 't':
		s.pos += len("true")
		return append(b, "True"...)
	case 'f':
		s.pos += len("false")
		return append(b, "False"...)
	case 'n':
		s.pos += len("null")
		return append(b, "None"...)
	default:
		start := s.pos
		_ = s.number()
		return appendNumberRepr(b, s.data[start:s.pos])
	}
}

// reprMember is where one member's rendering sits in the output. When a key repeats, its first
// member takes the later value's range and the later member is dropped.
type reprMember struct {
	keyStart, keyEnd, valStart, valEnd int
	dropped                            bool
}

func (s *scanner) reprObject(b []byte) []byte {
	s.pos++
	b = append(b, '{')
	if s.peek() == '}' {
		s.pos++
		return append(b, '}')
	}
	body := len(b)
	var members []reprMember
	seen := make(map[string]int)
	dup := false
	for {
		s.skipSpace()
		kstart := s.pos
		escaped, _ := s.str()
		key := unquote(s.data[kstart:s.pos], escaped)
		s.peek()
		s.pos++ // ':'
		if len(members) > 0 {
			b = append(b, ", "...)
		}
		m := reprMember{keyStart: len(b)}
		b = append(b, vdsm.PyRepr(key)...)
		m.keyEnd = len(b)
		b = append(b, ": "...)
		m.valStart = len(b)
		if key == "password" || strings.HasPrefix(key, "_X_") {
			_ = s.value()
			b = append(b, masked...)
		} else {
			b = s.repr(b)
		}
		m.valEnd = len(b)
		if i, ok := seen[key]; ok {
			members[i].valStart, members[i].valEnd = m.valStart, m.valEnd
			m.dropped, dup = true, true
		} else {
			seen[key] = len(members)
		}
		members = append(members, m)
		if s.peek() == '}' {
			s.pos++
			break
		}
		s.pos++ // ','
	}
	if dup {
		b = rebuildObject(b, body, members)
	}
	return append(b, '}')
}

// rebuildObject rewrites an object's rendering after a key repeated. Only then is the text
// copied, so the common case costs one pass.
func rebuildObject(b []byte, body int, members []reprMember) []byte {
	out := make([]byte, 0, len(b)-body)
	for _, m := range members {
		if m.dropped {
			continue
		}
		if len(out) > 0 {
			out = append(out, ", "...)
		}
		out = append(out, b[m.keyStart:m.keyEnd]...)
		out = append(out, ": "...)
		out = append(out, b[m.valStart:m.valEnd]...)
	}
	return append(b[:body], out...)
}

// appendNumberRepr prints a JSON number as Python would after json.loads: an integer literal
// is a Python int of any size, printed as written ("-0" is 0); anything with a fraction or an
// exponent is a float.
func appendNumberRepr(b []byte, lit []byte) []byte {
	if bytes.IndexAny(lit, ".eE") < 0 {
		if string(lit) == "-0" {
			return append(b, '0')
		}
		return append(b, lit...)
	}
	// An out-of-range literal parses to ±Inf with an error, which is also Python's float().
	f, _ := strconv.ParseFloat(string(lit), 64)
	return append(b, vdsm.PyRepr(f)...)
}
