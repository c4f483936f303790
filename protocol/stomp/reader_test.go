package stomp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// readerShapes deliver the same bytes in different pieces; a frame must parse the same way
// however the network splits it.
var readerShapes = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one-byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data-err", iotest.DataErrReader},
}

// readAll reads frames until an error. Heart-beats appear as nil, consecutive ones collapsed,
// since how many EOLs one call consumes depends on what is buffered.
func readAll(r *Reader) ([]*Frame, error) {
	var out []*Frame
	for {
		f, err := r.Read()
		if err != nil {
			return out, err
		}
		if f == nil && len(out) > 0 && out[len(out)-1] == nil {
			continue
		}
		out = append(out, f)
	}
}

func hdrs(kv ...string) []Header {
	var h []Header
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, Header{kv[i], kv[i+1]})
	}
	return h
}

func TestReaderFrames(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []*Frame // nil entries are heart-beats
	}{
		{"send with length",
			"SEND\ndestination:jms.topic.vdsm_requests\ncontent-length:2\n\n{}\x00",
			[]*Frame{{CmdSend, hdrs("destination", "jms.topic.vdsm_requests", "content-length", "2"), []byte("{}")}}},
		{"send to NUL",
			"SEND\ndestination:q\n\nhello\x00",
			[]*Frame{{CmdSend, hdrs("destination", "q"), []byte("hello")}}},
		{"no headers no body",
			"DISCONNECT\n\n\x00",
			[]*Frame{{CmdDisconnect, nil, nil}}},
		{"content-length zero gives an empty non-nil body",
			"SEND\ncontent-length:0\n\n\x00",
			[]*Frame{{CmdSend, hdrs("content-length", "0"), []byte{}}}},
		{"CRLF line endings",
			"SUBSCRIBE\r\ndestination:q\r\nid:1\r\n\r\n\x00",
			[]*Frame{{CmdSubscribe, hdrs("destination", "q", "id", "1"), nil}}},
		{"only one CR is stripped before LF",
			"SEND\ndestination:q\n\nx\r\n\x00",
			[]*Frame{{CmdSend, hdrs("destination", "q"), []byte("x\r\n")}}},
		{"heart-beats before and between frames",
			"\n\r\n\nDISCONNECT\n\n\x00\n\r\nDISCONNECT\n\n\x00\n",
			[]*Frame{nil, {CmdDisconnect, nil, nil}, nil, {CmdDisconnect, nil, nil}, nil}},
		{"body with NULs when counted",
			"SEND\ncontent-length:5\n\na\x00b\x00c\x00",
			[]*Frame{{CmdSend, hdrs("content-length", "5"), []byte("a\x00b\x00c")}}},
		{"counted body may hold anything",
			"SEND\ncontent-length:4\n\n\n\r\xff\x00\x00",
			[]*Frame{{CmdSend, hdrs("content-length", "4"), []byte("\n\r\xff\x00")}}},
		{"repeated headers are all kept",
			"SEND\ndestination:a\ndestination:b\n\n\x00",
			[]*Frame{{CmdSend, hdrs("destination", "a", "destination", "b"), nil}}},
		{"escapes decoded",
			"SEND\na\\cb:c\\nd\\\\e\\r\n\n\x00",
			[]*Frame{{CmdSend, hdrs("a:b", "c\nd\\e\r"), nil}}},
		{"STOMP values may hold raw colons",
			"STOMP\naccept-version:1.2\nhost:[::1]:54321\n\n\x00",
			[]*Frame{{CmdStomp, hdrs("accept-version", "1.2", "host", "[::1]:54321"), nil}}},
		{"CONNECT values may hold raw colons",
			"CONNECT\naccept-version:1.2\nx:a:b::\n\n\x00",
			[]*Frame{{CmdConnect, hdrs("accept-version", "1.2", "x", "a:b::"), nil}}},
		{"empty value",
			"SEND\nreceipt:\n\n\x00",
			[]*Frame{{CmdSend, hdrs("receipt", ""), nil}}},
		{"CONNECT headers are not unescaped",
			"CONNECT\naccept-version:1.2\nhost:fe80::1\nlogin:a\\cb\\t\n\n\x00",
			[]*Frame{{CmdConnect, hdrs("accept-version", "1.2", "host", "fe80::1", "login", "a\\cb\\t"), nil}}},
		{"CONNECTED headers are not unescaped",
			"CONNECTED\nx:\\q\n\n\x00",
			[]*Frame{{CmdConnected, hdrs("x", "\\q"), nil}}},
		{"STOMP headers are unescaped",
			"STOMP\nhost:a\\cb\n\n\x00",
			[]*Frame{{CmdStomp, hdrs("host", "a:b"), nil}}},
		{"unknown command returned as is",
			"FROB nicate\nx:y\n\n\x00",
			[]*Frame{{"FROB nicate", hdrs("x", "y"), nil}}},
		{"lower-case command returned as is",
			"send\n\n\x00",
			[]*Frame{{"send", nil, nil}}},
		{"UTF-8 headers",
			"SEND\ndestination:ŝtomp→\n\n\x00",
			[]*Frame{{CmdSend, hdrs("destination", "ŝtomp→"), nil}}},
		{"content-length with leading zeros",
			"SEND\ncontent-length:002\n\nab\x00",
			[]*Frame{{CmdSend, hdrs("content-length", "002"), []byte("ab")}}},
		{"first content-length wins",
			"SEND\ncontent-length:1\ncontent-length:junk\n\na\x00",
			[]*Frame{{CmdSend, hdrs("content-length", "1", "content-length", "junk"), []byte("a")}}},
		{"two frames back to back",
			"SEND\ndestination:a\n\n1\x00SEND\ndestination:b\ncontent-length:1\n\n2\x00",
			[]*Frame{{CmdSend, hdrs("destination", "a"), []byte("1")}, {CmdSend, hdrs("destination", "b", "content-length", "1"), []byte("2")}}},
	}
	for _, c := range cases {
		for _, shape := range readerShapes {
			t.Run(c.name+"/"+shape.name, func(t *testing.T) {
				got, err := readAll(NewReader(shape.wrap(strings.NewReader(c.in)), Limits{}))
				if err != io.EOF {
					t.Fatalf("error %v, want io.EOF after the frames", err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("got  %s\nwant %s", dumpFrames(got), dumpFrames(c.want))
				}
			})
		}
	}
}

func dumpFrames(fs []*Frame) string {
	var b strings.Builder
	for _, f := range fs {
		if f == nil {
			b.WriteString("[heart-beat] ")
			continue
		}
		fmt.Fprintf(&b, "[%q %q body=%q nil=%v] ", f.Command, f.Headers, f.Body, f.Body == nil)
	}
	return b.String()
}

func TestReaderErrors(t *testing.T) {
	small := Limits{MaxFrameBytes: 64, MaxHeaders: 2, MaxHeaderLineBytes: 16}
	cases := []struct {
		name string
		in   string
		lim  Limits
		want string // ProtocolError message
	}{
		{"header without colon", "SEND\ndestination\n\n\x00", Limits{}, TextHeaderWithoutColon},
		{"empty header name", "SEND\n:x\n\n\x00", Limits{}, TextEmptyHeaderName},
		{"bad escape", "SEND\ndestination:a\\tb\n\n\x00", Limits{}, TextInvalidEscape},
		{"raw colon in a value", "SEND\ndestination:a\nreply-to:a:b\n\n\x00", Limits{}, TextColonInHeader},
		{"raw colon in a SUBSCRIBE", "SUBSCRIBE\nid:1\ndestination::\n\n\x00", Limits{}, TextColonInHeader},
		{"raw colon in a DISCONNECT", "DISCONNECT\nreceipt:1:2\n\n\x00", Limits{}, TextColonInHeader},
		{"bad escape in key", "SEND\nde\\st:a\n\n\x00", Limits{}, TextInvalidEscape},
		{"trailing backslash", "SEND\ndestination:a\\\n\n\x00", Limits{}, TextInvalidEscape},
		{"bad escape on STOMP", "STOMP\nhost:a\\x\n\n\x00", Limits{}, TextInvalidEscape},
		{"content-length not a number", "SEND\ncontent-length:abc\n\n\x00", Limits{}, TextInvalidContentLength},
		{"content-length negative", "SEND\ncontent-length:-1\n\n\x00", Limits{}, TextInvalidContentLength},
		{"content-length with sign", "SEND\ncontent-length:+1\n\na\x00", Limits{}, TextInvalidContentLength},
		{"content-length with space", "SEND\ncontent-length: 1\n\na\x00", Limits{}, TextInvalidContentLength},
		{"content-length empty", "SEND\ncontent-length:\n\n\x00", Limits{}, TextInvalidContentLength},
		{"content-length decimal point", "SEND\ncontent-length:1.0\n\na\x00", Limits{}, TextInvalidContentLength},
		{"content-length huge", "SEND\ncontent-length:4294967295\n\n\x00", Limits{}, TextFrameTooLarge},
		{"content-length overflows int", "SEND\ncontent-length:999999999999999999999999999\n\n\x00", Limits{}, TextFrameTooLarge},
		{"content-length past the limit", "SEND\ncontent-length:40\n\n\x00", Limits{MaxFrameBytes: 64}, TextFrameTooLarge},
		{"missing NUL after counted body", "SEND\ncontent-length:2\n\nabc\x00", Limits{}, TextMissingNUL},
		{"frame over the limit without length", "SEND\n\n" + strings.Repeat("x", 60) + "\x00", small, TextFrameTooLarge},
		{"headers over the frame limit", "SEND\n" + strings.Repeat("a:b\n", 20) + "\n\x00",
			Limits{MaxFrameBytes: 32}, TextFrameTooLarge},
		{"too many headers", "SEND\na:1\nb:2\nc:3\n\n\x00", small, TextTooManyHeaders},
		{"header line too long", "SEND\ndestination:0123456\n\n\x00", small, TextHeaderLineTooLong},
		{"header line too long beyond the buffer", "SEND\nx:" + strings.Repeat("y", 200<<10) + "\n\n\x00",
			Limits{}, TextHeaderLineTooLong},
		{"header line endless", "SEND\nx:" + strings.Repeat("y", 200<<10), Limits{}, TextHeaderLineTooLong},
		{"command too long", strings.Repeat("S", 65) + "\n\n\x00", Limits{}, TextCommandTooLong},
		{"command endless", strings.Repeat("S", 100<<10), Limits{}, TextCommandTooLong},
		{"command with control byte", "SE\tND\n\n\x00", Limits{}, TextInvalidCommand},
		{"command with lone CR", "\r\rSEND\n\n\x00", Limits{}, TextInvalidCommand},
		{"command that is a CR", "\r\r\n\n\x00", Limits{}, TextInvalidCommand},
		{"command not ASCII", "SENDé\n\n\x00", Limits{}, TextInvalidCommand},
		{"CR inside a header", "SEND\ndestination:a\rb\n\n\x00", Limits{}, TextInvalidHeaderChar},
		{"two CRs before LF", "SEND\ndestination:a\r\r\n\n\x00", Limits{}, TextInvalidHeaderChar},
		{"CR inside a CONNECT header", "CONNECT\nhost:a\rb\n\n\x00", Limits{}, TextInvalidHeaderChar},
		{"invalid UTF-8 value", "SEND\ndestination:\xff\n\n\x00", Limits{}, TextInvalidUTF8},
		{"invalid UTF-8 key", "SEND\n\xc3:x\n\n\x00", Limits{}, TextInvalidUTF8},
		{"invalid UTF-8 on CONNECT", "CONNECT\nhost:\xed\xa0\x80\n\n\x00", Limits{}, TextInvalidUTF8},
	}
	for _, c := range cases {
		for _, shape := range readerShapes {
			t.Run(c.name+"/"+shape.name, func(t *testing.T) {
				r := NewReader(shape.wrap(strings.NewReader(c.in)), c.lim)
				_, err := readAll(r)
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.Message != c.want {
					t.Fatalf("error %v, want ProtocolError %q", err, c.want)
				}
				// The stream is inside a broken frame; nothing after it may be parsed.
				if f, err2 := r.Read(); f != nil || err2 != err {
					t.Fatalf("after the error Read = %v, %v; want the same error again", f, err2)
				}
			})
		}
	}
}

// The limits are inclusive: a frame exactly at each limit is read.
func TestReaderAtLimits(t *testing.T) {
	frame := "SEND\nabcdefgh:12345678\nx:y\n\n0123456789\x00" // 5+18+4+1+10+1 = 39 bytes
	lim := Limits{MaxFrameBytes: 39, MaxHeaders: 2, MaxHeaderLineBytes: 17}
	for _, shape := range readerShapes {
		f, err := NewReader(shape.wrap(strings.NewReader(frame)), lim).Read()
		if err != nil || string(f.Body) != "0123456789" {
			t.Fatalf("%s: at the limits: %v, %v", shape.name, f, err)
		}
	}
	counted := "SEND\ncontent-length:10\n\n0123456789\x00" // 5+18+1+10+1 = 35
	if _, err := NewReader(strings.NewReader(counted), Limits{MaxFrameBytes: 35}).Read(); err != nil {
		t.Fatalf("counted frame at the limit: %v", err)
	}
	if _, err := NewReader(strings.NewReader(counted), Limits{MaxFrameBytes: 34}).Read(); !isProtocol(err, TextFrameTooLarge) {
		t.Fatalf("counted frame one byte over: %v", err)
	}
	for _, over := range []Limits{
		{MaxFrameBytes: 38, MaxHeaders: 2, MaxHeaderLineBytes: 17},
		{MaxFrameBytes: 39, MaxHeaders: 1, MaxHeaderLineBytes: 17},
		{MaxFrameBytes: 39, MaxHeaders: 2, MaxHeaderLineBytes: 16},
	} {
		if _, err := NewReader(strings.NewReader(frame), over).Read(); !isProtocolError(err) {
			t.Fatalf("%+v: got %v, want a ProtocolError", over, err)
		}
	}
	// The CRLF of a line does not count against the line limit.
	crlf := "SEND\r\nabcdefgh:12345678\r\n\r\n\x00"
	if _, err := NewReader(strings.NewReader(crlf), Limits{MaxHeaderLineBytes: 17}).Read(); err != nil {
		t.Fatalf("CRLF line at the limit: %v", err)
	}
	// A header line as long as the default limit does not fit the buffer with its LF, and is
	// read all the same.
	long := "SEND\nx:" + strings.Repeat("y", DefaultLimits().MaxHeaderLineBytes-2) + "\r\n\n\x00"
	for _, shape := range readerShapes {
		f, err := NewReader(shape.wrap(strings.NewReader(long)), Limits{}).Read()
		if err != nil || len(f.Headers[0].Value) != DefaultLimits().MaxHeaderLineBytes-2 {
			t.Fatalf("%s: line at the default limit: %v", shape.name, err)
		}
	}
	cmd := strings.Repeat("C", 64) + "\n\n\x00"
	if f, err := NewReader(strings.NewReader(cmd), Limits{}).Read(); err != nil || len(f.Command) != 64 {
		t.Fatalf("64-byte command: %v", err)
	}
}

func isProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}

func isProtocol(err error, text string) bool {
	var pe *ProtocolError
	return errors.As(err, &pe) && pe.Message == text
}

func TestReaderEOF(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", io.EOF},
		{"\n", io.EOF},
		{"DISCONNECT\n\n\x00", io.EOF},
		{"\r", io.ErrUnexpectedEOF},
		{"SEND", io.ErrUnexpectedEOF},
		{"SEND\n", io.ErrUnexpectedEOF},
		{"SEND\ndestination:q", io.ErrUnexpectedEOF},
		{"SEND\ndestination:q\n\nbody", io.ErrUnexpectedEOF},
		{"SEND\ncontent-length:4\n\nbo", io.ErrUnexpectedEOF},
		{"SEND\ncontent-length:4\n\nbody", io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		for _, shape := range readerShapes {
			_, err := readAll(NewReader(shape.wrap(strings.NewReader(c.in)), Limits{}))
			if err != c.want {
				t.Errorf("%q/%s: error %v, want %v", c.in, shape.name, err, c.want)
			}
		}
	}
}

var errTimeout = errors.New("i/o timeout")

// scripted returns its chunks one per Read, and an error where a chunk is nil.
type scripted struct{ chunks []any }

func (s *scripted) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	switch c := c.(type) {
	case error:
		return 0, c
	case string:
		return copy(p, c), nil
	}
	panic("bad chunk")
}

// A read deadline while the peer is idle is not fatal; the caller decides. Inside a frame it is:
// part of the frame has been consumed.
func TestReaderErrorBetweenFrames(t *testing.T) {
	r := NewReader(&scripted{[]any{"DISCONNECT\n\n\x00", errTimeout, "SEND\ndestination:q\n\n\x00"}}, Limits{})
	if f, err := r.Read(); err != nil || f.Command != CmdDisconnect {
		t.Fatalf("first: %v %v", f, err)
	}
	if _, err := r.Read(); err != errTimeout {
		t.Fatalf("idle: %v, want the reader's own error", err)
	}
	if f, err := r.Read(); err != nil || f.Command != CmdSend {
		t.Fatalf("after the idle timeout: %v %v", f, err)
	}

	r = NewReader(&scripted{[]any{"SEND\ndest", errTimeout, "ination:q\n\n\x00"}}, Limits{})
	if _, err := r.Read(); err != errTimeout {
		t.Fatalf("mid-frame: %v, want the reader's own error", err)
	}
	if _, err := r.Read(); err != errTimeout {
		t.Fatalf("after a mid-frame error: %v, want it again", err)
	}
}

func TestReaderBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("DISCONNECT\n\n\x00SEND\n\n\x00"), Limits{})
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if n := r.Buffered(); n != len("SEND\n\n\x00") {
		t.Fatalf("Buffered = %d after the first frame", n)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if n := r.Buffered(); n != 0 {
		t.Fatalf("Buffered = %d at the end", n)
	}
}

// A heart-beat consumes at least one EOL and stops at what is buffered.
func TestReaderHeartBeatPerCall(t *testing.T) {
	r := NewReader(iotest.OneByteReader(strings.NewReader("\n\r\n\n")), Limits{})
	n := 0
	for {
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil || f != nil {
			t.Fatalf("%v %v", f, err)
		}
		n++
	}
	if n < 1 || n > 3 {
		t.Fatalf("%d heart-beats for three EOLs", n)
	}
}

// endless yields its pattern for ever, so a test can offer a peer's worst without holding it
// in memory.
type endless struct {
	head    string
	pattern byte
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.pattern
	}
	return len(p), nil
}

// Whatever a peer claims or sends, the Reader allocates within its limits: this is what VDSM
// and go-stomp get wrong.
func TestReaderAllocationBounded(t *testing.T) {
	lim := Limits{MaxFrameBytes: 1 << 20, MaxHeaders: 64, MaxHeaderLineBytes: 4 << 10}
	cases := []struct {
		name string
		src  io.Reader
		want string
		lim  Limits // lim above when zero
	}{
		{"content-length 4 GiB", strings.NewReader("SEND\ncontent-length:4294967295\n\n"), TextFrameTooLarge, Limits{}},
		{"endless body", &endless{"SEND\n\n", 'x'}, TextFrameTooLarge, Limits{}},
		{"endless header line", &endless{"SEND\nx:", 'y'}, TextHeaderLineTooLong, Limits{}},
		{"endless command", &endless{"", 'C'}, TextCommandTooLong, Limits{}},
		{"endless headers", &repeating{head: "SEND\n", unit: "k:v\n"}, TextTooManyHeaders, Limits{}},
		{"endless headers within the count", &repeating{head: "SEND\n", unit: "k:" + strings.Repeat("v", 4000) + "\n"}, TextFrameTooLarge, Limits{MaxFrameBytes: 100 << 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			lim := lim
			if c.lim != (Limits{}) {
				lim = c.lim.withDefaults()
			}
			_, err := NewReader(c.src, lim).Read()
			runtime.ReadMemStats(&after)
			if !isProtocol(err, c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			// The read buffer, plus one frame's worth of scratch or body grown by doubling, which
			// churns through less than three times what it ends up holding.
			budget := uint64(readBufferSize + 3*lim.MaxFrameBytes)
			got := after.TotalAlloc - before.TotalAlloc
			if got > budget {
				t.Fatalf("allocated %d bytes, budget %d", got, budget)
			}
		})
	}
}

type repeating struct {
	head, unit string
	off        int
}

func (r *repeating) Read(p []byte) (int, error) {
	n := copy(p, r.head)
	r.head = r.head[n:]
	for n < len(p) {
		c := copy(p[n:], r.unit[r.off:])
		n += c
		r.off = (r.off + c) % len(r.unit)
	}
	return n, nil
}

// The Reader owns what it returns: later reads do not overwrite earlier frames.
func TestReaderFramesAreOwned(t *testing.T) {
	r := NewReader(strings.NewReader("SEND\nk:aaaa\n\nbbbb\x00SEND\nk:cccc\n\ndddd\x00"), Limits{})
	f1, _ := r.Read()
	f2, _ := r.Read()
	if f1.Headers[0].Value != "aaaa" || !bytes.Equal(f1.Body, []byte("bbbb")) || f2.Headers[0].Value != "cccc" {
		t.Fatalf("frames overwritten: %s", dumpFrames([]*Frame{f1, f2}))
	}
}

// A header line longer than the read buffer but within its limit is assembled across reads; the
// stream ending inside it is still an unexpected EOF.
func TestReaderLongLineEOF(t *testing.T) {
	lim := Limits{MaxHeaderLineBytes: 256 << 10}
	in := "SEND\nx:" + strings.Repeat("y", 100<<10)
	for _, shape := range readerShapes {
		if _, err := NewReader(shape.wrap(strings.NewReader(in)), lim).Read(); err != io.ErrUnexpectedEOF {
			t.Fatalf("%s: %v", shape.name, err)
		}
		f, err := NewReader(shape.wrap(strings.NewReader(in+"\n\n\x00")), lim).Read()
		if err != nil || len(f.Headers[0].Value) != 100<<10 {
			t.Fatalf("%s: %v", shape.name, err)
		}
	}
}

// Frames with up to inlineHeaders headers keep them in the frame's own allocation, longer ones
// in a list of their own; both read the same, escapes included.
func TestReadHeadersInlineAndNot(t *testing.T) {
	for _, n := range []int{0, 1, inlineHeaders, inlineHeaders + 1, 3 * inlineHeaders} {
		var b strings.Builder
		b.WriteString("SEND\n")
		for i := range n {
			fmt.Fprintf(&b, "k%d:v\\c%d\n", i, i)
		}
		b.WriteString("\nbody\x00")
		f, err := NewReader(strings.NewReader(b.String()), Limits{}).Read()
		if err != nil {
			t.Fatalf("%d headers: %v", n, err)
		}
		if len(f.Headers) != n || (n == 0) != (f.Headers == nil) {
			t.Fatalf("%d headers: got %d (%v)", n, len(f.Headers), f.Headers)
		}
		for i, h := range f.Headers {
			if h.Key != fmt.Sprint("k", i) || h.Value != fmt.Sprint("v:", i) {
				t.Fatalf("%d headers: header %d is %q", n, i, h)
			}
		}
		if string(f.Body) != "body" {
			t.Fatalf("%d headers: body %q", n, f.Body)
		}
	}
}
