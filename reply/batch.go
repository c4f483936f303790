package reply

import (
	"encoding/json"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// Batch gathers the answers of a JSON-RPC batch and sends them as one array once the last one is
// in. Notifications in the batch take no slot; a batch of only notifications sends nothing.
type Batch struct {
	sender  Sender
	conn    *actor.PID
	replyTo string
	join    func(dst []byte, parts [][]byte) []byte

	mu      sync.Mutex
	parts   [][]byte
	pending int
}

// NewBatch starts a batch answered on conn/replyTo; join encodes the final array.
func NewBatch(s Sender, conn *actor.PID, replyTo string, join func(dst []byte, parts [][]byte) []byte) *Batch {
	return &Batch{sender: s, conn: conn, replyTo: replyTo, join: join}
}

// Add makes the reply for one request of the batch. Call Add (and Immediate) for every element
// before any of them can be answered, then Seal.
func (b *Batch) Add(c Codec, id json.RawMessage) *Reply {
	r := &Reply{sender: b.sender, conn: b.conn, replyTo: b.replyTo, id: id, encoder: c.Result, errEnc: c.Error}
	if id != nil {
		b.mu.Lock()
		r.batch, r.slot = b, int32(len(b.parts))
		b.parts = append(b.parts, nil)
		b.pending++
		b.mu.Unlock()
	}
	return r
}

// Immediate records an answer known at decode time (an invalid element).
func (b *Batch) Immediate(body []byte) {
	b.mu.Lock()
	b.parts = append(b.parts, body)
	b.mu.Unlock()
}

// Seal marks the batch complete; if every answer is already in, it is sent now. The pending
// count is raised by one while elements are added so the batch cannot be sent half-built.
func (b *Batch) Seal() {
	b.put(-1, nil)
}

// Hold keeps the batch open until Seal; call it before the first Add.
func (b *Batch) Hold() {
	b.mu.Lock()
	b.pending++
	b.mu.Unlock()
}

func (b *Batch) put(slot int, body []byte) {
	b.mu.Lock()
	if slot >= 0 {
		b.parts[slot] = body
	}
	b.pending--
	send := b.pending == 0 && len(b.parts) > 0
	var out []byte
	if send {
		out = b.join(nil, b.parts)
	}
	b.mu.Unlock()
	if send {
		b.sender.Send(b.conn, &Response{ReplyTo: b.replyTo, Body: out})
	}
}
