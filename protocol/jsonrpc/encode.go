package jsonrpc

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The encoders write keys in VDSM's order (jsonrpc, id, then result or error) without spaces.
// An error carries exactly code and message: VDSM never sends error.data and the engine does not
// expect one.

// Encoded is a result the agent has encoded itself with encoding/json: AppendResult writes it as
// is. encoding/json re-validates (and re-copies) every json.RawMessage and every MarshalJSON
// output it is given, which for Host.getAllVmStats on a large host was most of the answer's
// cost. Never wrap bytes that came from a client in it.
type Encoded []byte

// AppendResult appends a success response. result is encoded with encoding/json, except that
// <, > and & are written as is (VDSM does; escaping them would triple the size of domain XML).
// When result cannot be encoded (NaN, a channel, a failing MarshalJSON) it returns dst
// unchanged and the error, and the caller answers with AppendError(-32603) instead.
//
// id is written as given; nil (or empty) is written as null. A nil result is written as null:
// turning a Python None into true, as VDSM does, is the dispatcher's business.
func AppendResult(dst []byte, id json.RawMessage, result any) ([]byte, error) {
	start := len(dst)
	dst = appendHead(dst, id)
	dst = append(dst, `,"result":`...)
	switch v := result.(type) {
	case nil:
		dst = append(dst, "null"...)
	case bool:
		dst = strconv.AppendBool(dst, v)
	case Encoded:
		if len(v) == 0 {
			v = Encoded("null")
		}
		dst = append(dst, v...)
	default:
		w := sliceWriter{b: dst}
		enc := json.NewEncoder(&w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(result); err != nil {
			return dst[:start], err
		}
		dst = w.b[:len(w.b)-1] // Encode ends every value with a newline
	}
	return append(dst, '}'), nil
}

// AppendResultRaw appends a success response whose result is already encoded. The caller
// vouches that result is valid JSON; an empty one is written as null.
func AppendResultRaw(dst []byte, id json.RawMessage, result json.RawMessage) []byte {
	dst = appendHead(dst, id)
	dst = append(dst, `,"result":`...)
	if len(result) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, result...)
	}
	return append(dst, '}')
}

// AppendError appends an error response. id nil (or empty) is written as null, which is how
// parse errors and invalid requests are answered.
func AppendError(dst []byte, id json.RawMessage, code int, message string) []byte {
	dst = appendHead(dst, id)
	dst = append(dst, `,"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, message)
	return append(dst, "}}"...)
}

// AppendBatch appends the responses of a batch as one array: "[r1,r2,...]". Each response must
// be a complete encoded response.
func AppendBatch(dst []byte, responses [][]byte) []byte {
	dst = append(dst, '[')
	for i, r := range responses {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r...)
	}
	return append(dst, ']')
}

// AppendNotification appends a notification, the form of every event the agent sends:
// {"jsonrpc":"2.0","method":...,"params":...}. A nil params leaves the key out (JSON-RPC allows
// that; null would not be allowed). params is encoded as AppendResult encodes a result; on
// failure dst comes back unchanged with the error.
func AppendNotification(dst []byte, method string, params any) ([]byte, error) {
	start := len(dst)
	dst = append(dst, `{"jsonrpc":"2.0","method":`...)
	dst = appendString(dst, method)
	if params != nil {
		dst = append(dst, `,"params":`...)
		w := sliceWriter{b: dst}
		enc := json.NewEncoder(&w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(params); err != nil {
			return dst[:start], err
		}
		dst = w.b[:len(w.b)-1]
	}
	return append(dst, '}'), nil
}

func appendHead(dst []byte, id json.RawMessage) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	if len(id) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, id...)
}

// sliceWriter lets a json.Encoder append straight to the caller's slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Messages can carry a client's bytes (a method name,
// a repr), so invalid UTF-8 is replaced by U+FFFD, as encoding/json does, and the output is
// always valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			done = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			done = i
			continue
		}
		i += n
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}
