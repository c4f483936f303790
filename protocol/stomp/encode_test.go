package stomp

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestAppendFrame(t *testing.T) {
	cases := []struct {
		name string
		f    *Frame
		want string
	}{
		{"CONNECTED as VDSM sends it",
			&Frame{Command: CmdConnected, Headers: hdrs("version", "1.2", "heart-beat", "8000,0")},
			"CONNECTED\nversion:1.2\nheart-beat:8000,0\n\n\x00"},
		{"RECEIPT as VDSM sends it",
			ReceiptFrame("r-1"),
			"RECEIPT\nreceipt-id:r-1\n\n\x00"},
		{"ERROR with text",
			ErrorFrame(TextVersionUnsupported, TextVersionUnsupported),
			"ERROR\nmessage:Version unsupported\ncontent-type:text/plain\ncontent-length:19\n\nVersion unsupported\x00"},
		{"ERROR without body",
			ErrorFrame("x", ""),
			"ERROR\nmessage:x\n\n\x00"},
		{"escaped keys and values",
			&Frame{Command: CmdMessage, Headers: hdrs("a:b", "c\nd\\e\r")},
			"MESSAGE\na\\cb:c\\nd\\\\e\\r\n\n\x00"},
		{"CONNECT is not escaped",
			&Frame{Command: CmdConnect, Headers: hdrs("host", "fe80::1", "login", `a\b`)},
			"CONNECT\nhost:fe80::1\nlogin:a\\b\n\n\x00"},
		{"STOMP is escaped",
			&Frame{Command: CmdStomp, Headers: hdrs("host", "fe80::1")},
			"STOMP\nhost:fe80\\c\\c1\n\n\x00"},
		{"content-length replaced and written last",
			&Frame{Command: CmdSend, Headers: hdrs("content-length", "999", "destination", "q"), Body: []byte("abc")},
			"SEND\ndestination:q\ncontent-length:3\n\nabc\x00"},
		{"content-length dropped without a body",
			&Frame{Command: CmdSend, Headers: hdrs("destination", "q", "content-length", "5")},
			"SEND\ndestination:q\n\n\x00"},
		{"empty non-nil body has content-length 0",
			&Frame{Command: CmdSend, Body: []byte{}},
			"SEND\ncontent-length:0\n\n\x00"},
		{"binary body",
			&Frame{Command: CmdMessage, Body: []byte("a\x00\nb")},
			"MESSAGE\ncontent-length:4\n\na\x00\nb\x00"},
		{"repeated headers kept in order",
			&Frame{Command: CmdSend, Headers: hdrs("x", "1", "x", "2")},
			"SEND\nx:1\nx:2\n\n\x00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendFrame([]byte("prefix"), c.f))
			if got != "prefix"+c.want {
				t.Fatalf("got  %q\nwant %q", got[len("prefix"):], c.want)
			}
		})
	}
}

// Frames the server writes must read back as they were written, through our own Reader.
func TestAppendFrameReadsBack(t *testing.T) {
	frames := []*Frame{
		{Command: CmdMessage, Headers: hdrs("destination", "a:b\\c\nd", "subscription", "s:1"), Body: []byte("{\x00}")},
		{Command: CmdConnected, Headers: hdrs("version", "1.2", "heart-beat", "0,0", "host", "::1")},
		ReceiptFrame("x:y"),
		ErrorFrame("bad\nthing", "bad\nthing"),
		{Command: CmdSend, Body: []byte{}},
	}
	var wire []byte
	for _, f := range frames {
		wire = AppendFrame(wire, f)
		wire = AppendHeartBeat(wire)
	}
	r := NewReader(bytes.NewReader(wire), Limits{})
	for _, want := range frames {
		got, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if err := sameFrame(got, want); err != "" {
			t.Fatal(err)
		}
		if f, err := r.Read(); f != nil || err != nil {
			t.Fatalf("heart-beat: %v %v", f, err)
		}
	}
}

// sameFrame compares frames as the wire sees them: content-length headers are the encoder's
// business, and a nil body is no body.
func sameFrame(got, want *Frame) string {
	strip := func(hs []Header) []Header {
		var out []Header
		for _, h := range hs {
			if h.Key != HdrContentLength {
				out = append(out, h)
			}
		}
		return out
	}
	if got.Command != want.Command || !reflect.DeepEqual(strip(got.Headers), strip(want.Headers)) ||
		!bytes.Equal(got.Body, want.Body) || (got.Body == nil) != (want.Body == nil) {
		return "got  " + dumpFrames([]*Frame{got}) + "\nwant " + dumpFrames([]*Frame{want})
	}
	return ""
}

func TestAppendMessage(t *testing.T) {
	got := string(AppendMessage([]byte("\n"), ResponseQueue, "sub-1", "42", []byte(`{"id":1}`)))
	want := "\nMESSAGE\ndestination:jms.topic.vdsm_responses\ncontent-type:application/json\n" +
		"subscription:sub-1\nmessage-id:42\ncontent-length:8\n\n{\"id\":1}\x00"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	got = string(AppendMessage(nil, "a:b", "c\nd", `e\f`, nil))
	want = "MESSAGE\ndestination:a\\cb\ncontent-type:application/json\nsubscription:c\\nd\n" +
		"message-id:e\\\\f\ncontent-length:0\n\n\x00"
	if got != want {
		t.Fatalf("escaped: got  %q\nwant %q", got, want)
	}
	// It is the same frame AppendFrame would write.
	f := &Frame{Command: CmdMessage, Headers: hdrs(
		"destination", "d:1", "content-type", "application/json", "subscription", "s", "message-id", "m"),
		Body: []byte("{}")}
	if a, b := AppendFrame(nil, f), AppendMessage(nil, "d:1", "s", "m", []byte("{}")); !bytes.Equal(a, b) {
		t.Fatalf("AppendFrame %q\nAppendMessage %q", a, b)
	}
}

func TestAppendMessageDoesNotAllocate(t *testing.T) {
	body := []byte(strings.Repeat("x", 300))
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendMessage(buf[:0], ResponseQueue, "5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f", "123456", body)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per message", allocs)
	}
}

func TestAppendHeartBeat(t *testing.T) {
	if got := string(AppendHeartBeat([]byte("\x00"))); got != "\x00\n" {
		t.Fatalf("%q", got)
	}
}

func TestAppendMessageAfterIsAppendMessage(t *testing.T) {
	head := MessageHead("a:b", "s\n1")
	for _, id := range []uint64{0, 7, 42, 18446744073709551615} {
		a := AppendMessageAfter([]byte("x"), head, id, []byte(`{"id":1}`))
		b := AppendMessage([]byte("x"), "a:b", "s\n1", strconv.FormatUint(id, 10), []byte(`{"id":1}`))
		if !bytes.Equal(a, b) {
			t.Fatalf("id %d: got %q\nwant %q", id, a, b)
		}
	}
	body := []byte(strings.Repeat("x", 300))
	buf := make([]byte, 0, 4096)
	head = MessageHead(ResponseQueue, "5b8f1c9e-2d3a-4c6b-9e1f-0a7d3c2b1e4f")
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendMessageAfter(buf[:0], head, 123456789, body)
	}); n != 0 {
		t.Fatalf("%v allocations per message", n)
	}
}
