package jsonrpc

import (
	"encoding/json"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// NamedParams turns params into a name → raw value map. An object is taken as is (a repeated
// key keeps its last value); an array is named by order (positional params in the schema's
// order), and a shorter array leaves the later names out; more array elements than names, or
// params that are neither object nor array nor absent, is a -32602 error. Params that name
// nothing (absent, null, {} or []) give a nil map, which reads as empty: most requests have no
// params, and they should not pay for a map.
//
// The values are sub-slices of raw, capped so that appending to one cannot write into raw.
func NamedParams(raw json.RawMessage, order []string) (map[string]json.RawMessage, *vdsm.Error) {
	s := scanner{data: raw}
	switch s.peek() {
	case '{':
		var named map[string]json.RawMessage
		err := s.object(func(key []byte, escaped bool, val []byte) {
			if named == nil {
				named = make(map[string]json.RawMessage, len(order))
			}
			named[unquote(key, escaped)] = val[:len(val):len(val)]
		})
		if err != nil || !s.atEnd() {
			return nil, invalidParams("reason", ReasonParamsNotJSON)
		}
		return named, nil
	case '[':
		var named map[string]json.RawMessage
		n := 0
		err := s.array(func() error {
			start := s.pos
			if err := s.value(); err != nil {
				return err
			}
			if n < len(order) {
				if named == nil {
					named = make(map[string]json.RawMessage, len(order))
				}
				named[order[n]] = s.data[start:s.pos:s.pos]
			}
			n++
			return nil
		})
		if err != nil || !s.atEnd() {
			return nil, invalidParams("reason", ReasonParamsNotJSON)
		}
		if n > len(order) {
			return nil, invalidParams("given", n, "accepted", len(order), "reason", ReasonTooManyParams)
		}
		return named, nil
	case 'n':
		if s.literal("null") == nil && s.atEnd() {
			return nil, nil
		}
	case 0:
		if s.atEnd() {
			return nil, nil
		}
	}
	return nil, invalidParams("reason", ReasonWrongParamsType)
}
