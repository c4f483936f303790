package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// oracle decodes body the slow, plainly right way, with encoding/json, for the fuzzer to
// compare Decode against. Invalid requests carry only their reason: the repr has its own tests.
func oracle(body []byte) (items []item, batch bool) {
	b := bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))
	if !json.Valid(b) || !utf8.Valid(b) || depthOf(b) > MaxDepth {
		return []item{parseErr}, false
	}
	var top json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		panic(err)
	}
	elems := []json.RawMessage{top}
	if top[0] == '[' {
		batch = true
		elems = nil
		if err := json.Unmarshal(top, &elems); err != nil {
			panic(err)
		}
		switch {
		case len(elems) == 0:
			return []item{{code: CodeInvalidRequest, msg: ReasonEmptyBatch}}, true
		case len(elems) > MaxBatch:
			return []item{{code: CodeInvalidRequest, msg: ReasonBatchTooLarge}}, true
		}
	}
	for _, e := range elems {
		items = append(items, oracleElement(e))
	}
	return items, batch
}

func oracleElement(e json.RawMessage) item {
	bad := func(reason string) item { return item{code: CodeInvalidRequest, msg: reason} }
	var m map[string]json.RawMessage
	if e[0] != '{' || json.Unmarshal(e, &m) != nil {
		return bad(ReasonWrongRequestType)
	}
	var version, method string
	if v, ok := m["jsonrpc"]; !ok || v[0] != '"' || json.Unmarshal(v, &version) != nil || version != "2.0" {
		return bad(ReasonWrongVersion)
	}
	mv, ok := m["method"]
	switch {
	case !ok || string(mv) == "null":
		return bad(ReasonMissingMethod)
	case mv[0] != '"':
		return bad(ReasonWrongMethodType)
	}
	if json.Unmarshal(mv, &method) != nil {
		panic("method")
	}
	p, hasParams := m["params"]
	if hasParams && p[0] != '{' && p[0] != '[' {
		return bad(ReasonWrongParamsType)
	}
	id, hasID := m["id"]
	if hasID && (id[0] == '[' || id[0] == '{') {
		return bad(ReasonWrongIDType)
	}
	it := item{id: absent, method: method, params: absent}
	if hasID {
		it.id = string(id)
	}
	if hasParams {
		it.params = string(p)
	}
	return it
}

// depthOf is the deepest nesting of arrays and objects in valid JSON.
func depthOf(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// reasonOnly reduces Decode's invalid-request messages to their reason, as the oracle gives
// them, after checking that the message has VDSM's shape.
func reasonOnly(t *testing.T, items []item) []item {
	out := slices.Clone(items)
	for i, it := range out {
		if it.code != CodeInvalidRequest {
			continue
		}
		k := strings.LastIndex(it.msg, ", 'reason': '")
		if !strings.HasPrefix(it.msg, "Invalid request: {'") || k < 0 || !strings.HasSuffix(it.msg, "'}") {
			t.Fatalf("invalid-request message has the wrong shape: %q", it.msg)
		}
		out[i].msg = it.msg[k+len(", 'reason': '") : len(it.msg)-2]
	}
	return out
}

func FuzzDecode(f *testing.F) {
	for _, c := range singleCases {
		f.Add([]byte(c.body))
	}
	for _, c := range batchCases {
		f.Add([]byte(c.body))
	}
	for _, s := range []string{
		benchPing, benchGetStats,
		`[` + benchPing + `,` + benchGetStats + `]`,
		`{"jsonrpc":"2.0","method":"a.b","params":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`,
		`{"jsonrpc":"2.0","method":"a.b","params":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
		`{"jsonrpc":"2.0","method":"a.b","id":"\ud800"}`,
		`{"jsonrpc":"2.0","method":"\ud83d\ude00","id":"\u0000"}`,
		`{"a":{"a":1,"b":2,"a":{"c":3,"c":[4]}},"password":{"x":1}}`,
		`[{"jsonrpc":"2.0","method":"a.b","id":1},{"jsonrpc":"2.0","method":"a.b"},{"jsonrpc":"2.0","method":"a.b","id":null},5,[],{}]`,
		"\xEF\xBB\xBF[]",
		`1e400`, `-0.0e-0`, `"\"\\\/\b\f\n\r\t\u00e9"`,
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		items, batch := Decode(body)
		if !bytes.Equal(body, orig) {
			t.Fatalf("Decode modified its input")
		}
		if len(items) == 0 {
			t.Fatalf("no items")
		}
		for _, it := range items {
			switch {
			case it.Request != nil && it.Error == nil:
				checkRequest(t, it.Request)
			case it.Error != nil && it.Request == nil:
				checkError(t, it.Error.Code, it.Error.Message)
			default:
				t.Fatalf("item %+v has both or neither of Request and Error", it)
			}
		}

		got := reasonOnly(t, flatten(items))
		want, wantBatch := oracle(body)
		if batch != wantBatch || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Decode(%q)\n got %v batch %v\nwant %v batch %v", body, got, batch, want, wantBatch)
		}
	})
}

func checkRequest(t *testing.T, r *Request) {
	if r.ID != nil && (len(r.ID) == 0 || r.ID[0] == '[' || r.ID[0] == '{') {
		t.Fatalf("bad id %q", r.ID)
	}
	if r.Params != nil && r.Params[0] != '[' && r.Params[0] != '{' {
		t.Fatalf("bad params %q", r.Params)
	}
	if _, err := NamedParams(r.Params, nil); err != nil && err.Code != CodeInvalidParams {
		t.Fatalf("NamedParams: %v", err)
	}
	out, err := AppendResult(nil, r.ID, true)
	if err != nil {
		t.Fatalf("AppendResult(%q): %v", r.ID, err)
	}
	var back struct {
		ID     json.RawMessage `json:"id"`
		Result bool            `json:"result"`
	}
	if !json.Valid(out) || json.Unmarshal(out, &back) != nil || !back.Result {
		t.Fatalf("AppendResult made %q", out)
	}
	want := r.ID
	if want == nil {
		want = json.RawMessage("null")
	}
	if !bytes.Equal(back.ID, want) {
		t.Fatalf("id %q came back as %q", want, back.ID)
	}
	msg := AppendError(nil, r.ID, CodeInternalError, r.Method)
	checkErrorBody(t, msg, r.Method)
}

func checkError(t *testing.T, code int, message string) {
	switch code {
	case CodeParseError, CodeInvalidRequest:
	default:
		t.Fatalf("Decode gave code %d", code)
	}
	checkErrorBody(t, AppendError(nil, nil, code, message), message)
}

func checkErrorBody(t *testing.T, out []byte, message string) {
	var back struct {
		ID    json.RawMessage `json:"id"`
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if !json.Valid(out) || !utf8.Valid(out) || json.Unmarshal(out, &back) != nil {
		t.Fatalf("AppendError made %q", out)
	}
	if utf8.ValidString(message) && back.Error.Message != message {
		t.Fatalf("message %q came back as %q", message, back.Error.Message)
	}
}
