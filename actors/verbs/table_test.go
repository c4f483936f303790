package verbs

import (
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
)

// recorder is the Sender a Reply answers through: it keeps what would reach the client.
type recorder struct {
	mu  sync.Mutex
	out []*reply.Response
}

func (r *recorder) Send(_ *actor.PID, msg interface{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if resp, ok := msg.(*reply.Response); ok {
		r.out = append(r.out, resp)
	}
}

type answer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// dispatch runs one request through t and returns its one answer.
func dispatch(t *testing.T, tab *Table, method, params string) answer {
	t.Helper()
	rec := &recorder{}
	codec := reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}
	c := &Call{Method: method, Reply: reply.New(rec, codec, actor.NewPID("local", "conn"), "r", json.RawMessage(`1`)),
		Env: &Env{Index: vm.NewIndex()}}
	tab.Dispatch(c, []byte(params))
	if len(rec.out) != 1 {
		t.Fatalf("%s %s: %d answers, want 1", method, params, len(rec.out))
	}
	var a answer
	if err := json.Unmarshal(rec.out[0].Body, &a); err != nil {
		t.Fatalf("%s: %v in %s", method, err, rec.out[0].Body)
	}
	return a
}

// The verb table names params, runs the verb and turns its outcome into exactly one answer;
// what it does not serve it answers as VDSM would.
func TestTableDispatch(t *testing.T) {
	echo := func(c *Call) (any, error) {
		var a, b any
		_ = json.Unmarshal(c.Params["a"], &a)
		_ = json.Unmarshal(c.Params["b"], &b)
		return []any{a, b}, nil
	}
	verbs := append(HostVerbs(), VMVerbs()...)
	verbs = append(verbs,
		Verb{Name: "Test.echo", Params: []string{"a", "b"}, Run: echo},
		Verb{Name: "Test.nothing", Run: func(*Call) (any, error) { return nil, nil }},
		Verb{Name: "Test.broken", Run: func(*Call) (any, error) { return nil, errors.New("disk on fire") }},
	)
	tab := NewTable(verbs...)
	rows := []struct {
		name, method, params string
		result               string // JSON, when the answer is a result
		code                 int
		msg                  string
	}{
		{"served verb", "Host.ping2", `[]`, `true`, 0, ""},
		{"positional params take the verb's order", "Test.echo", `[1,"x"]`, `[1,"x"]`, 0, ""},
		{"named params", "Test.echo", `{"b":2,"a":1}`, `[1,2]`, 0, ""},
		{"no result is true", "Test.nothing", `{}`, `true`, 0, ""},
		// yajsonrpc: an exception that is not VDSM's is JsonRpcInternalError(str(e)).
		{"a plain error is -32603", "Test.broken", `{}`, "", -32603, "Internal JSON-RPC error: {'reason': 'disk on fire'}"},
		// yajsonrpc Bridge.dispatch: a method outside the schema is JsonRpcMethodNotFoundError.
		{"unknown method", "Host.noSuchVerb", `{}`, "", -32601, "The method does not exist or is not available: {'method': 'Host.noSuchVerb'}"},
		// A VDSM verb this agent does not serve: common/exception.py MethodNotImplemented.
		{"VDSM verb not served", "VM.migrate", `{}`, "", 44, "Not implemented"},
		{"missing required param", "VM.destroy", `{}`, "", -32603, "Internal JSON-RPC error: {'reason': 'Required parameter vmID is not provided when calling VM.destroy'}"},
		{"param of the wrong type", "Host.setMOMPolicyParameters", `{"key_value_store":5}`, "", -32602, "Invalid method parameter(s): {'reason': 'Parameter key_value_store of Host.setMOMPolicyParameters must be an object'}"},
		// API.py VM.vm: NoSuchVM(vmId=...).
		{"unknown VM", "VM.shutdown", `{"vmID":"v1"}`, "", 1, "Virtual machine does not exist: {'vmId': 'v1'}"},
	}
	for _, row := range rows {
		a := dispatch(t, tab, row.method, row.params)
		switch {
		case row.result != "":
			if a.Error != nil || !jsonEqual(t, a.Result, row.result) {
				t.Errorf("%s: got %s %+v, want result %s", row.name, a.Result, a.Error, row.result)
			}
		case a.Error == nil || a.Error.Code != row.code || (row.msg != "" && a.Error.Message != row.msg):
			t.Errorf("%s: got %s %+v, want %d %q", row.name, a.Result, a.Error, row.code, row.msg)
		}
	}
}

func TestTableLookupAndLabels(t *testing.T) {
	tab := NewTable(append(HostVerbs(), VMVerbs()...)...)
	// A served VDSM verb takes its param order from VDSM's schema.
	if v, err := tab.Lookup("VM.shutdown"); err != nil || !reflect.DeepEqual(v.Params[:2], []string{"vmID", "delay"}) {
		t.Errorf("VM.shutdown params: %v %v", v, err)
	}
	for method, want := range map[string]string{"Host.ping2": "Host.ping2", "VM.migrate": "VM.migrate", "Made.up": "other"} {
		if got := tab.Label(method); got != want {
			t.Errorf("Label(%s) = %s, want %s", method, got, want)
		}
	}
	names := tab.Names()
	if len(names) != len(HostVerbs())+len(VMVerbs()) {
		t.Errorf("%d names for %d verbs", len(names), len(HostVerbs())+len(VMVerbs()))
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("names not sorted: %s before %s", names[i-1], names[i])
		}
	}
}

func jsonEqual(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}
