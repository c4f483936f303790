package jsonrpc

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
)

func TestNamedParams(t *testing.T) {
	order := []string{"vmID", "how", "force"}
	tests := []struct {
		name string
		raw  string
		nil  bool // raw is nil rather than empty
		want map[string]string
		err  string
	}{
		{name: "absent", nil: true, want: map[string]string{}},
		{name: "empty", raw: "", want: map[string]string{}},
		{name: "whitespace", raw: " \n", want: map[string]string{}},
		{name: "null", raw: "null", want: map[string]string{}},
		{name: "null with spaces", raw: " null ", want: map[string]string{}},
		{name: "empty object", raw: `{}`, want: map[string]string{}},
		{name: "object", raw: `{"vmID":"v1","extra":{"a":[1]},"n":null}`,
			want: map[string]string{"vmID": `"v1"`, "extra": `{"a":[1]}`, "n": `null`}},
		{name: "object keeps names it does not know", raw: `{"zzz":1}`, want: map[string]string{"zzz": "1"}},
		{name: "object repeated key: last wins", raw: `{"a":1,"a":2}`, want: map[string]string{"a": "2"}},
		{name: "object escaped key", raw: `{"vm\u0049D":"v"}`, want: map[string]string{"vmID": `"v"`}},
		{name: "object keys are case-sensitive", raw: `{"vmid":1,"vmID":2}`, want: map[string]string{"vmid": "1", "vmID": "2"}},
		{name: "empty array", raw: `[]`, want: map[string]string{}},
		{name: "array by order", raw: `["v1", "reboot" , true]`,
			want: map[string]string{"vmID": `"v1"`, "how": `"reboot"`, "force": `true`}},
		{name: "shorter array", raw: `["v1"]`, want: map[string]string{"vmID": `"v1"`}},
		{name: "array with null and nesting", raw: `[null,[1,{"a":2}]]`,
			want: map[string]string{"vmID": `null`, "how": `[1,{"a":2}]`}},
		{name: "too many positional", raw: `[1,2,3,4]`,
			err: "-32602 Invalid method parameter(s): {'given': 4, 'accepted': 3, 'reason': 'too many positional parameters'}"},
		{name: "number", raw: `5`, err: "-32602 Invalid method parameter(s): {'reason': 'wrong params type'}"},
		{name: "string", raw: `"x"`, err: "-32602 Invalid method parameter(s): {'reason': 'wrong params type'}"},
		{name: "true", raw: `true`, err: "-32602 Invalid method parameter(s): {'reason': 'wrong params type'}"},
		{name: "null with tail", raw: `null x`, err: "-32602 Invalid method parameter(s): {'reason': 'wrong params type'}"},
		{name: "NUL byte", raw: "\x00", err: "-32602 Invalid method parameter(s): {'reason': 'wrong params type'}"},
		{name: "broken object", raw: `{"a":`, err: "-32602 Invalid method parameter(s): {'reason': 'params are not valid JSON'}"},
		{name: "broken array", raw: `[1,`, err: "-32602 Invalid method parameter(s): {'reason': 'params are not valid JSON'}"},
		{name: "object with tail", raw: `{} {}`, err: "-32602 Invalid method parameter(s): {'reason': 'params are not valid JSON'}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw json.RawMessage
			if !tt.nil {
				raw = json.RawMessage(tt.raw)
			}
			got, err := NamedParams(raw, order)
			if tt.err != "" {
				if err == nil || fmt.Sprint(err.Code, " ", err.Message) != tt.err {
					t.Errorf("NamedParams(%s) error = %v, want %s", tt.raw, err, tt.err)
				}
				if got != nil {
					t.Errorf("map %v alongside an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("NamedParams(%s) error %v", tt.raw, err)
			}
			if got == nil && len(tt.want) > 0 {
				t.Fatalf("nil map") // nil is how params that name nothing come back
			}
			flat := map[string]string{}
			for k, v := range got {
				flat[k] = string(v)
			}
			if !maps.Equal(flat, tt.want) {
				t.Errorf("NamedParams(%s) = %v, want %v", tt.raw, flat, tt.want)
			}
		})
	}
}

func TestNamedParamsFromDecode(t *testing.T) {
	items, _ := Decode([]byte(`{"jsonrpc":"2.0","method":"VM.getStats","params":{"vmID":"5b8f1c9e"},"id":1}`))
	got, err := NamedParams(items[0].Request.Params, []string{"vmID"})
	if err != nil || string(got["vmID"]) != `"5b8f1c9e"` {
		t.Errorf("got %v, %v", got, err)
	}
	var vmID string
	if json.Unmarshal(got["vmID"], &vmID) != nil || vmID != "5b8f1c9e" {
		t.Errorf("vmID = %q", vmID)
	}
}

func TestNamedParamsDoesNotWriteIntoRaw(t *testing.T) {
	raw := json.RawMessage(`[1,2]`)
	got, _ := NamedParams(raw, []string{"a", "b"})
	_ = append(got["a"], 'x')
	raw2 := json.RawMessage(`{"a":1,"b":2}`)
	got2, _ := NamedParams(raw2, nil)
	_ = append(got2["a"], 'x')
	if string(raw) != `[1,2]` || string(raw2) != `{"a":1,"b":2}` {
		t.Errorf("appending to a value wrote into raw: %s %s", raw, raw2)
	}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"a", "b"}) {
		t.Errorf("keys = %v", keys)
	}
}
