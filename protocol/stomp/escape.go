package stomp

import "strings"

// STOMP 1.2 escapes the four bytes that would break a header line: the backslash itself, LF, CR
// and the colon that separates key from value. CONNECT and CONNECTED frames are exempt (the spec
// keeps them readable by 1.0 peers), which matters because the engine's CONNECT carries a raw
// `host:` value that may be an IPv6 address full of colons.

// escapes reports whether headers of a frame with this command are escaped on the wire.
func escapes(command string) bool {
	return command != CmdConnect && command != CmdConnected
}

// unescape decodes a header key or value. ok is false for a backslash followed by anything but
// \, n, r or c, including a trailing lone backslash: STOMP 1.2 calls those fatal.
func unescape(s string) (out string, ok bool) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s) - 1)
	for {
		b.WriteString(s[:i])
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'c':
			b.WriteByte(':')
		default:
			return "", false
		}
		s = s[i+2:]
		if i = strings.IndexByte(s, '\\'); i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
	}
}

// needsEscape is the set of bytes appendEscaped rewrites.
func needsEscape(c byte) bool {
	return c == '\\' || c == '\n' || c == '\r' || c == ':'
}

// escapedLen is len(appendEscaped(nil, s)), so the hot path can size its buffer once.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if needsEscape(s[i]) {
			n++
		}
	}
	return n
}

// appendEscaped copies s to dst with the STOMP 1.2 escapes applied. Clean runs are copied whole:
// ids and destinations almost never contain anything to escape.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape(c) {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case ':':
			dst = append(dst, '\\', 'c')
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}
