package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// item is an Item flattened so that whole results compare with ==. Absent raw values are
// "<nil>", so that they differ from an empty or null one.
type item struct {
	id, method, params string
	code               int
	msg                string
}

const absent = "<nil>"

func flatten(items []Item) []item {
	out := make([]item, 0, len(items))
	for _, it := range items {
		switch {
		case it.Request != nil && it.Error == nil:
			out = append(out, item{id: rawString(it.Request.ID), method: it.Request.Method, params: rawString(it.Request.Params)})
		case it.Error != nil && it.Request == nil:
			out = append(out, item{code: it.Error.Code, msg: it.Error.Message})
		default:
			out = append(out, item{msg: "BROKEN ITEM: both or neither of Request and Error"})
		}
	}
	return out
}

func rawString(r json.RawMessage) string {
	if r == nil {
		return absent
	}
	return string(r)
}

func req(id, method, params string) item { return item{id: id, method: method, params: params} }

func invalid(request, reason string) item {
	return item{code: CodeInvalidRequest, msg: "Invalid request: {'request': " + request + ", 'reason': '" + reason + "'}"}
}

var parseErr = item{code: CodeParseError, msg: "Invalid JSON was received by the server. An error occurred on the server while parsing the JSON text."}

// singleCases are bodies that are not arrays; the fuzzer starts from them too.
var singleCases = []struct {
	name string
	body string
	want item
}{
	{"engine request",
		`{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"}`,
		req(`"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"`, "Host.ping2", `{}`)},
	{"positional params", `{"jsonrpc":"2.0","method":"VM.getStats","params":["v1"],"id":1}`,
		req(`1`, "VM.getStats", `["v1"]`)},
	{"params absent", `{"jsonrpc":"2.0","method":"Host.ping2","id":1}`, req(`1`, "Host.ping2", absent)},
	{"notification", `{"jsonrpc":"2.0","method":"Host.ping2","params":{}}`, req(absent, "Host.ping2", `{}`)},
	{"id null is an id", `{"jsonrpc":"2.0","method":"a.b","id":null}`, req(`null`, "a.b", absent)},
	{"id true", `{"jsonrpc":"2.0","method":"a.b","id":true}`, req(`true`, "a.b", absent)},
	{"id false", `{"jsonrpc":"2.0","method":"a.b","id":false}`, req(`false`, "a.b", absent)},
	{"id 1.0 kept as sent", `{"jsonrpc":"2.0","method":"a.b","id":1.0}`, req(`1.0`, "a.b", absent)},
	{"id -0", `{"jsonrpc":"2.0","method":"a.b","id":-0}`, req(`-0`, "a.b", absent)},
	{"id exponent", `{"jsonrpc":"2.0","method":"a.b","id":1E+3}`, req(`1E+3`, "a.b", absent)},
	{"id big integer", `{"jsonrpc":"2.0","method":"a.b","id":123456789012345678901234567890}`,
		req(`123456789012345678901234567890`, "a.b", absent)},
	{"id with escapes kept escaped", `{"jsonrpc":"2.0","method":"a.b","id":"\u00e9\"\\\/"}`,
		req(`"\u00e9\"\\\/"`, "a.b", absent)},
	{"id empty string", `{"jsonrpc":"2.0","method":"a.b","id":""}`, req(`""`, "a.b", absent)},
	{"id non-ASCII", `{"jsonrpc":"2.0","method":"a.b","id":"é日本"}`, req(`"é日本"`, "a.b", absent)},
	{"method escaped", `{"jsonrpc":"2.0","method":"Host.p\u0069ng2","id":1}`, req(`1`, "Host.ping2", absent)},
	{"method empty", `{"jsonrpc":"2.0","method":"","id":1}`, req(`1`, "", absent)},
	{"version escaped", `{"jsonrpc":"2\u002e0","method":"a.b","id":1}`, req(`1`, "a.b", absent)},
	{"key escaped", `{"jsonrpc":"2.0","m\u0065thod":"a.b","\u0069d":7}`, req(`7`, "a.b", absent)},
	{"any key order", `{"id":3,"params":[],"method":"a.b","jsonrpc":"2.0"}`, req(`3`, "a.b", `[]`)},
	{"unknown keys ignored", `{"jsonrpc":"2.0","method":"a.b","x":{"y":[1,2]},"id":1}`, req(`1`, "a.b", absent)},
	{"whitespace everywhere", " \t\r\n{ \"jsonrpc\" : \"2.0\" ,\n\"method\"\t:\"a.b\", \"params\" : { \"k\" : [ 1 , 2 ] } , \"id\" : 9 } \n",
		req(`9`, "a.b", `{ "k" : [ 1 , 2 ] }`)},
	{"byte order mark", "\xEF\xBB\xBF" + `{"jsonrpc":"2.0","method":"a.b","id":1}`, req(`1`, "a.b", absent)},
	{"duplicate key: last wins", `{"jsonrpc":"1.0","jsonrpc":"2.0","method":"x","method":"a.b","id":1,"id":"two"}`,
		req(`"two"`, "a.b", absent)},
	{"duplicate id: last wins even if absent-looking", `{"jsonrpc":"2.0","method":"a.b","id":1,"id":null}`,
		req(`null`, "a.b", absent)},

	{"wrong version", `{"jsonrpc":"1.0","method":"Host.ping2","id":1}`,
		invalid(`{'jsonrpc': '1.0', 'method': 'Host.ping2', 'id': 1}`, "Wrong protocol version")},
	{"version missing", `{"method":"Host.ping2","params":{},"id":"x"}`,
		invalid(`{'method': 'Host.ping2', 'params': {}, 'id': 'x'}`, "Wrong protocol version")},
	{"version a number", `{"jsonrpc":2.0,"method":"a.b"}`,
		invalid(`{'jsonrpc': 2.0, 'method': 'a.b'}`, "Wrong protocol version")},
	{"version null", `{"jsonrpc":null,"method":"a.b"}`,
		invalid(`{'jsonrpc': None, 'method': 'a.b'}`, "Wrong protocol version")},
	{"version key is case-sensitive", `{"JSONRPC":"2.0","method":"a.b"}`,
		invalid(`{'JSONRPC': '2.0', 'method': 'a.b'}`, "Wrong protocol version")},
	{"version checked before method", `{"jsonrpc":"2","params":5}`,
		invalid(`{'jsonrpc': '2', 'params': 5}`, "Wrong protocol version")},
	{"method missing", `{"jsonrpc":"2.0","params":{},"id":1}`,
		invalid(`{'jsonrpc': '2.0', 'params': {}, 'id': 1}`, "missing method header in method")},
	{"method null", `{"jsonrpc":"2.0","method":null,"id":1}`,
		invalid(`{'jsonrpc': '2.0', 'method': None, 'id': 1}`, "missing method header in method")},
	{"method key is case-sensitive", `{"jsonrpc":"2.0","Method":"a.b","id":1}`,
		invalid(`{'jsonrpc': '2.0', 'Method': 'a.b', 'id': 1}`, "missing method header in method")},
	{"method a number", `{"jsonrpc":"2.0","method":5,"id":1}`,
		invalid(`{'jsonrpc': '2.0', 'method': 5, 'id': 1}`, "wrong method type")},
	{"method a list", `{"jsonrpc":"2.0","method":["a"],"id":1}`,
		invalid(`{'jsonrpc': '2.0', 'method': ['a'], 'id': 1}`, "wrong method type")},
	{"method false", `{"jsonrpc":"2.0","method":false}`,
		invalid(`{'jsonrpc': '2.0', 'method': False}`, "wrong method type")},
	{"method checked before params", `{"jsonrpc":"2.0","params":5}`,
		invalid(`{'jsonrpc': '2.0', 'params': 5}`, "missing method header in method")},
	{"params null", `{"jsonrpc":"2.0","method":"a.b","params":null,"id":1}`,
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'params': None, 'id': 1}`, "wrong params type")},
	{"params a string", `{"jsonrpc":"2.0","method":"a.b","params":"x","id":1}`,
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'params': 'x', 'id': 1}`, "wrong params type")},
	{"params a number", `{"jsonrpc":"2.0","method":"a.b","params":1.5}`,
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'params': 1.5}`, "wrong params type")},
	{"params checked before id", `{"jsonrpc":"2.0","method":"a.b","params":true,"id":[1]}`,
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'params': True, 'id': [1]}`, "wrong params type")},
	{"id an array", `{"jsonrpc":"2.0","method":"a.b","id":[1]}`,
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'id': [1]}`, "wrong id type")},
	{"id an object", `{"jsonrpc":"2.0","method":"a.b","id":{"a":1}}`,
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'id': {'a': 1}}`, "wrong id type")},
	{"not an object: number", `5`, invalid(`5`, "wrong request type")},
	{"not an object: string", ` "x" `, invalid(`'x'`, "wrong request type")},
	{"not an object: null", `null`, invalid(`None`, "wrong request type")},
	{"not an object: true", `true`, invalid(`True`, "wrong request type")},
	{"empty object", `{}`, invalid(`{}`, "Wrong protocol version")},

	{"repr keeps body order and repeated keys' first place", `{"b":1,"a":2,"b":[3]}`,
		invalid(`{'b': [3], 'a': 2}`, "Wrong protocol version")},
	{"repr masks passwords", `{"jsonrpc":"1.0","method":"VM.setTicket","params":{"vmID":"v","password":"s3cret","ttl":120,"x":[{"_X_key":{"a":1}}]}}`,
		invalid(`{'jsonrpc': '1.0', 'method': 'VM.setTicket', 'params': {'vmID': 'v', 'password': '********', 'ttl': 120, 'x': [{'_X_key': '********'}]}}`, "Wrong protocol version")},
	{"repr of strings", `{"a":"it's","b":"say \"hi\"","c":"both ' \"","d":"\n\t\\","e":"é\u0001"}`,
		invalid(`{'a': "it's", 'b': 'say "hi"', 'c': 'both \' "', 'd': '\n\t\\', 'e': 'é\x01'}`, "Wrong protocol version")},
	{"repr of numbers", `{"a":[0,-0,7,-12,123456789012345678901234567890,1.5,-0.0,1e2,1E-7,2.5e300,1e400,-1e400]}`,
		invalid(`{'a': [0, 0, 7, -12, 123456789012345678901234567890, 1.5, -0.0, 100.0, 1e-07, 2.5e+300, inf, -inf]}`, "Wrong protocol version")},
	{"repr of literals and nesting", `{"a":[true,false,null,[],{},[[1],{"b":{}}]]}`,
		invalid(`{'a': [True, False, None, [], {}, [[1], {'b': {}}]]}`, "Wrong protocol version")},
	{"repr of escaped keys", `{"\u0061":1,"a":2}`, invalid(`{'a': 2}`, "Wrong protocol version")},

	{"empty body", ``, parseErr},
	{"only whitespace", " \n\t ", parseErr},
	{"only a BOM", "\xEF\xBB\xBF", parseErr},
	{"truncated", `{"jsonrpc":"2.0","method":"a.b"`, parseErr},
	{"trailing garbage", `{"jsonrpc":"2.0","method":"a.b","id":1} x`, parseErr},
	{"two values", `{"jsonrpc":"2.0","method":"a.b","id":1}{}`, parseErr},
	{"trailing comma in object", `{"jsonrpc":"2.0","method":"a.b",}`, parseErr},
	{"trailing comma in array", `{"jsonrpc":"2.0","method":"a.b","params":[1,]}`, parseErr},
	{"missing colon", `{"jsonrpc" "2.0"}`, parseErr},
	{"missing comma", `{"a":1 "b":2}`, parseErr},
	{"unquoted key", `{jsonrpc:"2.0"}`, parseErr},
	{"single quotes", `{'jsonrpc':'2.0'}`, parseErr},
	{"NaN", `{"jsonrpc":"2.0","method":"a.b","id":NaN}`, parseErr},
	{"Infinity", `{"jsonrpc":"2.0","method":"a.b","params":[-Infinity]}`, parseErr},
	{"leading zero", `{"id":01}`, parseErr},
	{"leading plus", `{"id":+1}`, parseErr},
	{"bare minus", `{"id":-}`, parseErr},
	{"dot without digits", `{"id":1.}`, parseErr},
	{"dot first", `{"id":.5}`, parseErr},
	{"exponent without digits", `{"id":1e+}`, parseErr},
	{"hex number", `{"id":0x10}`, parseErr},
	{"truncated literal", `{"id":tru}`, parseErr},
	{"literal with tail", `{"id":nullx}`, parseErr},
	{"capitalised literal", `{"id":True}`, parseErr},
	{"raw control character in string", "{\"method\":\"a\x01b\"}", parseErr},
	{"raw newline in string", "{\"method\":\"a\nb\"}", parseErr},
	{"bad escape", `{"method":"\x41"}`, parseErr},
	{"short unicode escape", `{"method":"\u12"}`, parseErr},
	{"non-hex unicode escape", `{"method":"\u12g4"}`, parseErr},
	{"unterminated string", `{"method":"abc`, parseErr},
	{"escape at end", `"abc\`, parseErr},
	{"invalid UTF-8", "{\"method\":\"\xff\"}", parseErr},
	{"truncated UTF-8", "{\"method\":\"\xc3\"}", parseErr},
	{"overlong UTF-8", "{\"method\":\"\xc0\xaf\"}", parseErr},
	{"UTF-8 surrogate", "{\"method\":\"\xed\xa0\x80\"}", parseErr},
	{"NUL byte", "{\"jsonrpc\":\"2.0\"}\x00", parseErr},
	{"comment", `{"jsonrpc":"2.0"} // x`, parseErr},
	{"unbalanced", `{"a":[}`, parseErr},
	{"close only", `}`, parseErr},
}

func TestDecodeSingle(t *testing.T) {
	for _, tt := range singleCases {
		t.Run(tt.name, func(t *testing.T) {
			items, batch := Decode([]byte(tt.body))
			if batch {
				t.Errorf("batch = true for a body that is not an array")
			}
			got := flatten(items)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Decode(%q)\n got %+v\nwant %+v", tt.body, got, tt.want)
			}
		})
	}
}

// batchCases are array bodies; the fuzzer starts from them too.
var batchCases = []struct {
	name string
	body string
	want []item
}{
	{"one element", `[{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"a"}]`,
		[]item{req(`"a"`, "Host.ping2", `{}`)}},
	{"all valid", `[{"jsonrpc":"2.0","method":"a.b","id":1},{"jsonrpc":"2.0","method":"c.d","params":[2],"id":"x"}]`,
		[]item{req(`1`, "a.b", absent), req(`"x"`, "c.d", `[2]`)}},
	{"mixed valid, invalid and notification", `[
			{"jsonrpc":"2.0","method":"a.b","id":1},
			{"jsonrpc":"1.0","method":"a.b","id":2},
			{"jsonrpc":"2.0","method":"n.n"},
			7,
			{"jsonrpc":"2.0","method":"a.b","id":[3]},
			{"jsonrpc":"2.0","method":"c.d","id":null}
		]`, []item{
		req(`1`, "a.b", absent),
		invalid(`{'jsonrpc': '1.0', 'method': 'a.b', 'id': 2}`, "Wrong protocol version"),
		req(absent, "n.n", absent),
		invalid(`7`, "wrong request type"),
		invalid(`{'jsonrpc': '2.0', 'method': 'a.b', 'id': [3]}`, "wrong id type"),
		req(`null`, "c.d", absent),
	}},
	{"all notifications", `[{"jsonrpc":"2.0","method":"a.b"},{"jsonrpc":"2.0","method":"c.d","params":{}}]`,
		[]item{req(absent, "a.b", absent), req(absent, "c.d", `{}`)}},
	{"all invalid", `[1,2]`, []item{invalid(`1`, "wrong request type"), invalid(`2`, "wrong request type")}},
	{"nested batch", `[[{"jsonrpc":"2.0","method":"a.b","id":1}]]`,
		[]item{invalid(`[{'jsonrpc': '2.0', 'method': 'a.b', 'id': 1}]`, "wrong request type")}},
	{"same id twice", `[{"jsonrpc":"2.0","method":"a.b","id":1},{"jsonrpc":"2.0","method":"a.b","id":1}]`,
		[]item{req(`1`, "a.b", absent), req(`1`, "a.b", absent)}},
	{"empty", `[]`, []item{invalid(`[]`, "request batch is empty")}},
	{"empty with spaces", ` [ ] `, []item{invalid(`[]`, "request batch is empty")}},
}

func TestDecodeBatch(t *testing.T) {
	for _, tt := range batchCases {
		t.Run(tt.name, func(t *testing.T) {
			items, batch := Decode([]byte(tt.body))
			if !batch {
				t.Errorf("batch = false for an array body")
			}
			got := flatten(items)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Decode(%q)\n got %+v\nwant %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestDecodeBatchParseErrors(t *testing.T) {
	for _, body := range []string{`[`, `[1,]`, `[,1]`, `[1 2]`, `[{"jsonrpc":"2.0","method":"a.b","id":1}] x`, `[]]`, `[{]`} {
		items, batch := Decode([]byte(body))
		if got := flatten(items); len(got) != 1 || got[0] != parseErr || batch {
			t.Errorf("Decode(%q) = %+v, batch %v; want one parse error, batch false", body, got, batch)
		}
	}
}

func TestDecodeBatchLimit(t *testing.T) {
	batchOf := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`{"jsonrpc":"2.0","method":"a.b","id":1},`, n), ",") + "]"
	}
	items, batch := Decode([]byte(batchOf(MaxBatch)))
	if !batch || len(items) != MaxBatch {
		t.Fatalf("a batch of MaxBatch gave %d items, batch %v", len(items), batch)
	}
	for i, it := range items {
		if it.Request == nil || string(it.Request.ID) != "1" {
			t.Fatalf("item %d = %+v", i, it)
		}
	}

	items, batch = Decode([]byte(batchOf(MaxBatch + 1)))
	want := item{code: CodeInvalidRequest, msg: "Invalid request: {'length': 1001, 'limit': 1000, 'reason': 'request batch is too large'}"}
	if got := flatten(items); !batch || len(got) != 1 || got[0] != want {
		t.Errorf("a batch of MaxBatch+1 gave %+v, batch %v; want %+v", got, batch, want)
	}

	// Syntax is still checked past the limit.
	items, _ = Decode([]byte(strings.TrimSuffix(batchOf(MaxBatch+5), "]")))
	if got := flatten(items); len(got) != 1 || got[0] != parseErr {
		t.Errorf("an unterminated oversized batch gave %+v; want a parse error", got)
	}
}

func TestDecodeDepth(t *testing.T) {
	// params nests inside the request object: depth 1 is the request, so MaxDepth-1 levels fit.
	nested := func(levels int) string {
		return `{"jsonrpc":"2.0","method":"a.b","params":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `,"id":1}`
	}
	items, _ := Decode([]byte(nested(MaxDepth - 1)))
	if items[0].Request == nil {
		t.Errorf("depth %d refused: %+v", MaxDepth, items[0].Error)
	}
	items, _ = Decode([]byte(nested(MaxDepth)))
	if got := flatten(items); len(got) != 1 || got[0] != parseErr {
		t.Errorf("depth %d gave %+v; want a parse error", MaxDepth+1, got)
	}
	// The batch array counts too.
	items, _ = Decode([]byte("[" + nested(MaxDepth-1) + "]"))
	if got := flatten(items); len(got) != 1 || got[0] != parseErr {
		t.Errorf("depth %d in a batch gave %+v; want a parse error", MaxDepth+1, got)
	}
	// Far deeper bodies fail as fast, without recursing further.
	deep := strings.Repeat(`{"a":`, 1<<20)
	items, _ = Decode([]byte(deep))
	if got := flatten(items); len(got) != 1 || got[0] != parseErr {
		t.Errorf("a million levels gave %+v; want a parse error", got)
	}
}

func TestRequestAliasesBodyWithoutOverwrite(t *testing.T) {
	body := []byte(`{"jsonrpc":"2.0","method":"a.b","id":12,"params":[1]}`)
	items, _ := Decode(body)
	r := items[0].Request
	_ = append(r.ID, 'x')
	_ = append(r.Params, 'x')
	if string(body) != `{"jsonrpc":"2.0","method":"a.b","id":12,"params":[1]}` {
		t.Errorf("appending to ID or Params wrote into the body: %s", body)
	}
}

func TestIsNotification(t *testing.T) {
	for body, want := range map[string]bool{
		`{"jsonrpc":"2.0","method":"a.b"}`:           true,
		`{"jsonrpc":"2.0","method":"a.b","id":null}`: false,
		`{"jsonrpc":"2.0","method":"a.b","id":0}`:    false,
		`{"jsonrpc":"2.0","method":"a.b","id":""}`:   false,
	} {
		items, _ := Decode([]byte(body))
		if got := items[0].Request.IsNotification(); got != want {
			t.Errorf("%s: IsNotification() = %v, want %v", body, got, want)
		}
	}
}

// TestInvalidRequestMatchesWithContext pins our repr to vdsm.WithContext's rendering wherever
// the two must agree: keys already in sorted order, no repeated keys, no passwords.
func TestInvalidRequestMatchesWithContext(t *testing.T) {
	for _, body := range []string{
		`{"id":1,"jsonrpc":"1.0","method":"Host.ping2"}`,
		`{"id":"x","jsonrpc":"1.0","method":"a.b","params":{"a":[1,2.5,"s",null,true],"b":{}}}`,
		`{"jsonrpc":"2.0","method":7}`,
		`{"jsonrpc":"2.0","method":"a.b","params":"it's"}`,
		`{"id":{"k":[]},"jsonrpc":"2.0","method":"a.b"}`,
		`{}`,
		`[]`,
		`-3`,
		`"x\ny"`,
	} {
		items, _ := Decode([]byte(body))
		if strings.HasPrefix(body, "[") {
			body = "[]"
		}
		d := json.NewDecoder(bytes.NewReader([]byte(body)))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		reason := items[0].Error.Message[strings.LastIndex(items[0].Error.Message, "'reason': ")+len("'reason': '"):]
		reason = strings.TrimSuffix(reason, "'}")
		want := vdsm.WithContext(MsgInvalidRequest, "request", v, "reason", reason)
		if items[0].Error.Message != want {
			t.Errorf("%s\n got %s\nwant %s", body, items[0].Error.Message, want)
		}
	}
}

func TestMethodNotFound(t *testing.T) {
	e := MethodNotFound("VM.frobnicate")
	if e.Code != -32601 || e.Message != "The method does not exist or is not available: {'method': 'VM.frobnicate'}" {
		t.Errorf("MethodNotFound = %+v", e)
	}
	if e := MethodNotFound("it's"); e.Message != `The method does not exist or is not available: {'method': "it's"}` {
		t.Errorf("MethodNotFound(it's) = %q", e.Message)
	}
}

func TestCodesAndMessages(t *testing.T) {
	for _, c := range []struct {
		got, want any
	}{
		{CodeParseError, -32700}, {CodeInvalidRequest, -32600}, {CodeMethodNotFound, -32601},
		{CodeInvalidParams, -32602}, {CodeInternalError, -32603},
		{MsgParseError, "Invalid JSON was received by the server. An error occurred on the server while parsing the JSON text."},
		{MsgInvalidRequest, "Invalid request"},
		{MsgMethodNotFound, "The method does not exist or is not available"},
		{MsgInvalidParams, "Invalid method parameter(s)"},
		{MsgInternalError, "Internal JSON-RPC error"},
		// The same texts where protocol/vdsm keeps them.
		{MsgInvalidParams, vdsm.Message(vdsm.CodeInvalidParams)},
		{MsgInternalError, vdsm.Message(vdsm.CodeInternal)},
		{CodeInvalidParams, vdsm.CodeInvalidParams},
		{CodeInternalError, vdsm.CodeInternal},
	} {
		if c.got != c.want {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
}
