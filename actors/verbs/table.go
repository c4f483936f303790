package verbs

import (
	"sort"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/vdsm"
)

// Verb is a method the agent serves.
type Verb struct {
	Name   string
	Params []string // schema order, to name positional params
	Run    Handler
}

// Table maps method names to verbs. It is built once at start and only read afterwards.
type Table struct {
	verbs map[string]*Verb
}

// NewTable builds the table from verbs. A verb's param order comes from VDSM's schema when the
// verb is VDSM's, so positional calls name params exactly as VDSM would.
func NewTable(verbs ...Verb) *Table {
	t := &Table{verbs: make(map[string]*Verb, len(verbs))}
	for i := range verbs {
		v := verbs[i]
		if m, ok := vdsm.Lookup(v.Name); ok && v.Params == nil {
			v.Params = m.ParamNames()
		}
		t.verbs[v.Name] = &v
	}
	return t
}

// Lookup finds the verb for method. A VDSM method the agent does not implement is code 44
// "Not implemented"; a name VDSM does not know is -32601.
func (t *Table) Lookup(method string) (*Verb, *vdsm.Error) {
	if v, ok := t.verbs[method]; ok {
		return v, nil
	}
	if _, ok := vdsm.Lookup(method); ok {
		return nil, vdsm.NotImplemented()
	}
	return nil, jsonrpc.MethodNotFound(method)
}

// Label is method as a metrics label: its own name when VDSM knows it, else "other", so a client
// cannot grow the label set with made-up names.
func (t *Table) Label(method string) string {
	if _, ok := t.verbs[method]; ok {
		return method
	}
	if _, ok := vdsm.Lookup(method); ok {
		return method
	}
	return "other"
}

// Names lists the served methods, sorted.
func (t *Table) Names() []string {
	out := make([]string, 0, len(t.verbs))
	for n := range t.verbs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Dispatch runs one request: names its params, runs the verb, answers unless it was deferred.
func (t *Table) Dispatch(c *Call, params []byte) {
	v, verr := t.Lookup(c.Method)
	if verr != nil {
		c.Reply.Error(verr.Code, verr.Message)
		return
	}
	named, perr := jsonrpc.NamedParams(params, v.Params)
	if perr != nil {
		c.Reply.Error(perr.Code, perr.Message)
		return
	}
	c.Params = named
	res, err := v.Run(c)
	Finish(c, res, err)
}
