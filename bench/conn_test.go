package bench

import (
	"strconv"
	"testing"
	"time"
)

func TestParseAnswer(t *testing.T) {
	for _, c := range []struct {
		body string
		id   uint64
		code int
		ok   bool
	}{
		{`{"jsonrpc":"2.0","id":42,"result":true}`, 42, 0, true},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":1100,"message":"x"}}`, 7, 1100, true},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"x"}}`, 7, -32601, true},
		{`{"id": 9, "jsonrpc": "2.0", "result": {}}`, 9, 0, true},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}`, 0, 0, false},
		{`not json`, 0, 0, false},
	} {
		id, code, ok := parseAnswer([]byte(c.body))
		if id != c.id || code != c.code || ok != c.ok {
			t.Errorf("%s: %d %d %v", c.body, id, code, ok)
		}
	}
}

// An answer is matched to its connection, slot and use of the slot; anything else is counted,
// never mistaken for an answer.
func TestAnswerMatching(t *testing.T) {
	rs := &runState{base: time.Now()}
	rs.stop.Store(true) // nothing is sent again
	lc := &loadConn{index: 3, slots: make([]slot, 4), hist: newHistogram()}
	lc.queue(2, true)
	lc.queue(1, true)
	idOf := func(conn, s uint64, gen uint64) []byte {
		return []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatUint(gen<<(connBits+slotBits)|conn<<slotBits|s, 10) + `,"result":true}`)
	}
	lc.answer(rs, idOf(2, 2, 1)) // another connection's
	lc.answer(rs, idOf(3, 2, 2)) // a later use of the slot
	lc.answer(rs, idOf(3, 0, 1)) // a slot not in use
	lc.answer(rs, idOf(3, 2, 1))
	lc.answer(rs, idOf(3, 2, 1)) // again
	lc.answer(rs, []byte(`{"jsonrpc":"2.0","id":`+strconv.FormatUint(1<<(connBits+slotBits)|3<<slotBits|1, 10)+`,"error":{"code":1100,"message":"x"}}`))
	want := map[string]int64{"foreign": 1, "unexpected": 3, "1100": 1}
	if lc.ok != 1 || lc.pending != 0 || lc.hist.n != 2 || len(lc.errs) != len(want) {
		t.Fatalf("ok %d pending %d recorded %d errors %v", lc.ok, lc.pending, lc.hist.n, lc.errs)
	}
	for k, v := range want {
		if lc.errs[k] != v {
			t.Errorf("errors %v, want %v", lc.errs, want)
		}
	}
}
