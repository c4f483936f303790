package jsonrpc

import (
	"encoding/json"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// MaxBatch bounds the elements of one batch. VDSM has no bound, but every element costs an Item
// and usually an answer, so an unbounded batch lets a two-byte element ("1,") cost a hundred
// bytes of reply and more of memory: a 64 MiB body could take gigabytes. Engines and
// vdsm-client send one request per body, so the bound is far above any real use. A larger batch
// is answered with a single -32600 error.
const MaxBatch = 1000

// Request is one valid request of a body.
type Request struct {
	ID     json.RawMessage // the id exactly as sent (`"abc"`, `5`, `1.0`, `null`); nil when absent (a notification)
	Method string
	Params json.RawMessage // the raw object or array; nil when absent
}

// IsNotification reports whether the request has no id, so it is run and never answered. An
// id of null is an id (JSON-RPC 2.0 §4): it is answered, with id null. (VDSM treats it as a
// notification.)
func (r *Request) IsNotification() bool { return r.ID == nil }

// Item is one element of a decoded body: either a valid Request, or an Error to answer with id
// null.
type Item struct {
	Request *Request
	Error   *vdsm.Error
}

// Decode parses a SEND body. batch reports whether the body was a JSON array (so it is false
// for a parse error). A body that is not JSON, or nests deeper than MaxDepth, gives one Item
// with the -32700 error; an empty array gives one Item with -32600 "Invalid request:
// {'request': [], 'reason': 'request batch is empty'}", and a batch over MaxBatch one Item with
// -32600 too. Otherwise there is one Item per element, in order. It never returns no Items.
//
// Request.ID and Request.Params are sub-slices of body (capped, so appending to them cannot
// write into it): body must not be modified while a Request is in use.
func Decode(body []byte) (items []Item, batch bool) {
	s := scanner{data: body}
	s.skipBOM()
	if s.peek() == '[' {
		return decodeBatch(&s)
	}
	var e envelope
	if e.scan(&s) != nil || !s.atEnd() {
		return []Item{{Error: parseError()}}, false
	}
	req, reason := e.check()
	if reason != "" {
		return []Item{{Error: invalidRequest(e.raw, reason)}}, false
	}
	// One allocation for the usual body of one request.
	one := &struct {
		items [1]Item
		req   Request
	}{req: req}
	one.items[0].Request = &one.req
	return one.items[:], false
}

// decodeBatch decodes an array body; batch is false when the body is not JSON after all.
func decodeBatch(s *scanner) (items []Item, batch bool) {
	// A batch of one is what vdsm-client sends; keep its envelope off the heap.
	var first [1]envelope
	envs := first[:0]
	n := 0
	err := s.array(func() error {
		n++
		if n > MaxBatch {
			return s.value()
		}
		envs = append(envs, envelope{})
		return envs[len(envs)-1].scan(s)
	})
	switch {
	case err != nil || !s.atEnd():
		return []Item{{Error: parseError()}}, false
	case n == 0:
		return []Item{{Error: invalidRequest([]byte("[]"), ReasonEmptyBatch)}}, true
	case n > MaxBatch:
		return []Item{{Error: batchTooLarge(n)}}, true
	}
	items = make([]Item, len(envs))
	reqs := make([]Request, len(envs))
	for i := range envs {
		req, reason := envs[i].check()
		if reason != "" {
			items[i].Error = invalidRequest(envs[i].raw, reason)
			continue
		}
		reqs[i] = req
		items[i].Request = &reqs[i]
	}
	return items, true
}

// envelope is what one scan of an element learns: the element's span and the spans of the
// members that matter, nil when absent. A repeated key keeps its last value, as in Python.
type envelope struct {
	raw                         []byte
	object                      bool
	version, method, params, id []byte
}

// scan consumes one element at s.pos.
func (e *envelope) scan(s *scanner) error {
	if s.peek() != '{' {
		start := s.pos
		err := s.value()
		e.raw = s.data[start:s.pos]
		return err
	}
	start := s.pos
	e.object = true
	err := s.object(func(key []byte, escaped bool, val []byte) {
		name := key[1 : len(key)-1]
		if escaped {
			name = []byte(unquote(key, true))
		}
		val = val[:len(val):len(val)]
		switch string(name) {
		case "jsonrpc":
			e.version = val
		case "method":
			e.method = val
		case "params":
			e.params = val
		case "id":
			e.id = val
		}
	})
	e.raw = s.data[start:s.pos]
	return err
}

// check applies the request rules in VDSM's order (version, method, params), then ours (id).
// It returns the request, or the reason it is invalid.
func (e *envelope) check() (Request, string) {
	switch {
	case !e.object:
		return Request{}, ReasonWrongRequestType
	case !isVersion2(e.version):
		return Request{}, ReasonWrongVersion
	case e.method == nil || e.method[0] == 'n':
		return Request{}, ReasonMissingMethod
	case e.method[0] != '"':
		return Request{}, ReasonWrongMethodType
	case e.params != nil && e.params[0] != '{' && e.params[0] != '[':
		return Request{}, ReasonWrongParamsType
	case e.id != nil && (e.id[0] == '[' || e.id[0] == '{'):
		return Request{}, ReasonWrongIDType
	}
	return Request{ID: e.id, Method: unquote(e.method, hasEscape(e.method)), Params: e.params}, ""
}

// isVersion2 compares as Python does (obj.get("jsonrpc") != "2.0"): only the string "2.0",
// however it is escaped, passes.
func isVersion2(v []byte) bool {
	if string(v) == `"2.0"` {
		return true
	}
	return len(v) > 0 && v[0] == '"' && hasEscape(v) && unquote(v, true) == "2.0"
}
