package pyrepr

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// Each want is what CPython 3 prints for repr(json.loads(...)) of the same value (or, for the
// error, repr(str(e))).
func TestRepr(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, "None"},
		{true, "True"},
		{false, "False"},
		{"plain", "'plain'"},
		{"it's", `"it's"`},
		{`it's "quoted"`, `'it\'s "quoted"'`},
		{"back\\slash\nnew\ttab\x01", `'back\\slash\nnew\ttab\x01'`},
		{42, "42"},
		{int64(-7), "-7"},
		{uint64(18446744073709551615), "18446744073709551615"},
		{1.0, "1.0"},
		{0.5, "0.5"},
		{1e20, "1e+20"},
		{math.Inf(-1), "-inf"},
		{json.Number("12"), "12"},
		{json.Number("1.5"), "1.5"},
		{[]any{"a", 1, nil}, "['a', 1, None]"},
		{map[string]any{"b": 1, "a": []any{}}, "{'a': [], 'b': 1}"},
		{errors.New("index 'x' out of range"), `"index 'x' out of range"`},
	}
	for _, tt := range tests {
		if got := Repr(tt.in); got != tt.want {
			t.Errorf("Repr(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
