package jsonrpc

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

type marshalFails struct{}

func (marshalFails) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }

func TestAppendResult(t *testing.T) {
	tests := []struct {
		name   string
		id     json.RawMessage
		result any
		want   string
	}{
		{"true", json.RawMessage(`"abc"`), true, `{"jsonrpc":"2.0","id":"abc","result":true}`},
		{"false", json.RawMessage(`1`), false, `{"jsonrpc":"2.0","id":1,"result":false}`},
		{"nil id", nil, true, `{"jsonrpc":"2.0","id":null,"result":true}`},
		{"empty id", json.RawMessage{}, true, `{"jsonrpc":"2.0","id":null,"result":true}`},
		{"null id", json.RawMessage(`null`), true, `{"jsonrpc":"2.0","id":null,"result":true}`},
		{"id kept byte for byte", json.RawMessage(`1.0`), true, `{"jsonrpc":"2.0","id":1.0,"result":true}`},
		{"escaped id kept", json.RawMessage(`"\u00e9"`), true, `{"jsonrpc":"2.0","id":"\u00e9","result":true}`},
		{"nil result", json.RawMessage(`1`), nil, `{"jsonrpc":"2.0","id":1,"result":null}`},
		{"map with sorted keys", json.RawMessage(`1`), map[string]any{"vmList": map[string]any{}, "a": 1},
			`{"jsonrpc":"2.0","id":1,"result":{"a":1,"vmList":{}}}`},
		{"list of structs", json.RawMessage(`1`), []struct {
			VMID   string `json:"vmId"`
			Status string `json:"status"`
		}{{"v1", "Up"}}, `{"jsonrpc":"2.0","id":1,"result":[{"vmId":"v1","status":"Up"}]}`},
		{"HTML characters unescaped", json.RawMessage(`1`), "<domain type='kvm'>&</domain>",
			`{"jsonrpc":"2.0","id":1,"result":"<domain type='kvm'>&</domain>"}`},
		{"non-ASCII kept", json.RawMessage(`1`), "é日本", `{"jsonrpc":"2.0","id":1,"result":"é日本"}`},
		{"raw message", json.RawMessage(`1`), json.RawMessage(`{"a": [1, 2]}`), `{"jsonrpc":"2.0","id":1,"result":{"a":[1,2]}}`},
		{"numbers", json.RawMessage(`1`), []any{1, 2.5, int64(-3), uint8(4)}, `{"jsonrpc":"2.0","id":1,"result":[1,2.5,-3,4]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendResult(nil, tt.id, tt.result)
			if err != nil || string(got) != tt.want {
				t.Errorf("AppendResult = %s, %v\nwant %s", got, err, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func TestAppendResultUnencodable(t *testing.T) {
	for name, result := range map[string]any{
		"NaN":                 math.NaN(),
		"Inf in a map":        map[string]float64{"x": math.Inf(1)},
		"channel":             make(chan int),
		"function":            func() {},
		"failing MarshalJSON": marshalFails{},
		"invalid raw message": json.RawMessage(`{`),
	} {
		t.Run(name, func(t *testing.T) {
			dst := []byte("prefix")
			got, err := AppendResult(dst, json.RawMessage(`1`), result)
			if err == nil {
				t.Errorf("no error; got %s", got)
			}
			if string(got) != "prefix" {
				t.Errorf("dst = %q after a failure, want it unchanged", got)
			}
		})
	}
}

func TestAppendResultAppends(t *testing.T) {
	dst := []byte("x")
	got, err := AppendResult(dst, json.RawMessage(`1`), map[string]int{"a": 1})
	if err != nil || string(got) != `x{"jsonrpc":"2.0","id":1,"result":{"a":1}}` {
		t.Errorf("got %s, %v", got, err)
	}
}

func TestAppendResultRaw(t *testing.T) {
	if got := AppendResultRaw([]byte("x"), json.RawMessage(`"i"`), json.RawMessage(`{"a":1}`)); string(got) != `x{"jsonrpc":"2.0","id":"i","result":{"a":1}}` {
		t.Errorf("got %s", got)
	}
	if got := AppendResultRaw(nil, nil, nil); string(got) != `{"jsonrpc":"2.0","id":null,"result":null}` {
		t.Errorf("got %s", got)
	}
}

func TestAppendError(t *testing.T) {
	tests := []struct {
		name    string
		id      json.RawMessage
		code    int
		message string
		want    string
	}{
		{"parse error", nil, CodeParseError, MsgParseError,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Invalid JSON was received by the server. An error occurred on the server while parsing the JSON text."}}`},
		{"method not found", json.RawMessage(`"abc"`), CodeMethodNotFound, MethodNotFound("X.y").Message,
			`{"jsonrpc":"2.0","id":"abc","error":{"code":-32601,"message":"The method does not exist or is not available: {'method': 'X.y'}"}}`},
		{"VDSM code", json.RawMessage(`7`), 1100, "Not enough resources: {'resource': 'jsonrpc', 'current_tasks': 80, 'reason': 'Too many tasks'}",
			`{"jsonrpc":"2.0","id":7,"error":{"code":1100,"message":"Not enough resources: {'resource': 'jsonrpc', 'current_tasks': 80, 'reason': 'Too many tasks'}"}}`},
		{"zero code, empty message", json.RawMessage(`1`), 0, "", `{"jsonrpc":"2.0","id":1,"error":{"code":0,"message":""}}`},
		{"escapes", nil, 1, "q\" b\\ n\n r\r t\t c\x01\x1f del\x7f <&>",
			`{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"q\" b\\ n\n r\r t\t c\u0001\u001f del` + "\x7f" + ` <&>"}}`},
		{"non-ASCII kept", nil, 1, "é日本\u2028", `{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"é日本` + "\u2028" + `"}}`},
		{"invalid UTF-8 replaced", nil, 1, "a\xffb\xc3", `{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"a\ufffdb\ufffd"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendError(nil, tt.id, tt.code, tt.message)
			if string(got) != tt.want {
				t.Errorf("AppendError =\n%s\nwant\n%s", got, tt.want)
			}
			var back struct {
				Error map[string]any `json:"error"`
			}
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("not valid JSON: %v", err)
			}
			if len(back.Error) != 2 || back.Error["code"] != float64(tt.code) {
				t.Errorf("error object = %v; want exactly code and message", back.Error)
			}
		})
	}
}

func TestAppendBatch(t *testing.T) {
	r1 := AppendError(nil, nil, CodeParseError, "x")
	r2, _ := AppendResult(nil, json.RawMessage(`2`), true)
	for _, tt := range []struct {
		parts [][]byte
		want  string
	}{
		{nil, `[]`},
		{[][]byte{r2}, `[{"jsonrpc":"2.0","id":2,"result":true}]`},
		{[][]byte{r1, r2}, `[{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}},{"jsonrpc":"2.0","id":2,"result":true}]`},
	} {
		if got := AppendBatch([]byte("p"), tt.parts); string(got) != "p"+tt.want {
			t.Errorf("AppendBatch = %s, want p%s", got, tt.want)
		}
	}
}

func TestAppendNotification(t *testing.T) {
	got, err := AppendNotification(nil, "|virt|VM_status|v1", map[string]any{"v1": map[string]string{"status": "Up"}, "notify_time": 2147799767})
	if want := `{"jsonrpc":"2.0","method":"|virt|VM_status|v1","params":{"notify_time":2147799767,"v1":{"status":"Up"}}}`; err != nil || string(got) != want {
		t.Errorf("got %s, %v\nwant %s", got, err, want)
	}
	got, err = AppendNotification([]byte("p"), `a"b`, nil)
	if want := `p{"jsonrpc":"2.0","method":"a\"b"}`; err != nil || string(got) != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
	got, err = AppendNotification([]byte("p"), "m", map[string]float64{"x": math.NaN()})
	if err == nil || string(got) != "p" {
		t.Errorf("unencodable params: got %q, %v; want dst unchanged and an error", got, err)
	}
}

// TestEncodersDecodeBack checks that what the agent sends is what a client reads.
func TestEncodersDecodeBack(t *testing.T) {
	for _, id := range []string{`"abc"`, `1`, `-1.5e3`, `null`, `true`, `"\ud800"`, `"é"`} {
		out, err := AppendResult(nil, json.RawMessage(id), map[string]string{"k": "v"})
		if err != nil {
			t.Fatal(err)
		}
		var back struct {
			JSONRPC string            `json:"jsonrpc"`
			ID      json.RawMessage   `json:"id"`
			Result  map[string]string `json:"result"`
		}
		if err := json.Unmarshal(out, &back); err != nil || back.JSONRPC != "2.0" || string(back.ID) != id || back.Result["k"] != "v" {
			t.Errorf("%s decoded back as %+v, %v", out, back, err)
		}
	}
}

// An Encoded result is written as is; an empty one is null.
func TestAppendResultEncoded(t *testing.T) {
	for _, tt := range []struct {
		result Encoded
		want   string
	}{
		{Encoded(`[{"a":"\u003c"},{}]`), `{"jsonrpc":"2.0","id":1,"result":[{"a":"\u003c"},{}]}`},
		{nil, `{"jsonrpc":"2.0","id":1,"result":null}`},
	} {
		got, err := AppendResult(nil, json.RawMessage(`1`), tt.result)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendResult(%s) = %s, %v; want %s", tt.result, got, err, tt.want)
		}
	}
}
