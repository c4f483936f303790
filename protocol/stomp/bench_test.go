package stomp

import (
	"strconv"
	"strings"
	"testing"
)

// sendFrame is a typical engine request: about 300 bytes on the wire.
var sendFrame = func() string {
	body := `{"jsonrpc":"2.0","method":"VM.getStats","params":{"vmID":"5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f"},"id":"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"}`
	head := "SEND\ndestination:jms.topic.vdsm_requests\ncontent-type:application/json\n" +
		"reply-to:jms.topic.vdsm_responses\novirtCorrelationId:6f1a2b3c-4d5e\n"
	return head + "content-length:" + strconv.Itoa(len(body)) + "\n\n" + body + "\x00"
}()

// loop serves the same bytes for ever, without allocating.
type loop struct {
	data string
	off  int
}

func (l *loop) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func BenchmarkReadSend(b *testing.B) {
	r := NewReader(&loop{data: sendFrame}, Limits{})
	b.SetBytes(int64(len(sendFrame)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := r.Read()
		if err != nil || f == nil {
			b.Fatal(f, err)
		}
	}
}

func BenchmarkSessionSend(b *testing.B) {
	f, err := NewReader(strings.NewReader(sendFrame), Limits{}).Read()
	if err != nil {
		b.Fatal(err)
	}
	s := NewSession()
	b.ReportAllocs()
	for b.Loop() {
		if o := s.Handle(f); !o.Request {
			b.Fatal("not a request")
		}
	}
}

func BenchmarkAppendMessage(b *testing.B) {
	body := []byte(`{"jsonrpc":"2.0","result":[{"vmId":"5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f","status":"Up","cpuUser":"0.51","memUsage":"24"}],"id":"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"}`)
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(AppendMessage(nil, ResponseQueue, "8c5e3b0a-1d2f-4a6b-9c8d-7e6f5a4b3c2d", "1234", body))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMessage(buf[:0], ResponseQueue, "8c5e3b0a-1d2f-4a6b-9c8d-7e6f5a4b3c2d", "1234", body)
	}
}

func BenchmarkAppendFrameReceipt(b *testing.B) {
	f := ReceiptFrame("42")
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], f)
	}
}

// BenchmarkAppendMessageAfter is BenchmarkAppendMessage the way a connection writes responses:
// the subscription's head made once.
func BenchmarkAppendMessageAfter(b *testing.B) {
	body := []byte(`{"jsonrpc":"2.0","result":[{"vmId":"5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f","status":"Up","cpuUser":"0.51","memUsage":"24"}],"id":"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"}`)
	head := MessageHead(ResponseQueue, "8c5e3b0a-1d2f-4a6b-9c8d-7e6f5a4b3c2d")
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(AppendMessageAfter(nil, head, 1234, body))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMessageAfter(buf[:0], head, 1234, body)
	}
}
