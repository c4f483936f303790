package stomp

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// fuzzLimits are small so that the fuzzer reaches every limit with short inputs.
var fuzzLimits = Limits{MaxFrameBytes: 2048, MaxHeaders: 8, MaxHeaderLineBytes: 128}

// addSeeds gives a fuzz target realistic frames to mutate: every client stream of the
// transcripts, and the awkward cases of the reader tests.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(transcriptDir, "*.txt"))
	for _, file := range files {
		ts, err := parseTranscript(file)
		if err != nil {
			f.Fatal(err)
		}
		var all []byte
		for _, st := range ts.steps {
			all = append(all, decodeInput(st.in)...)
		}
		f.Add(all)
	}
	for _, s := range []string{
		"",
		"\n",
		"\r\n\n",
		"\r",
		"SEND\ncontent-length:5\n\na\x00b\x00c\x00",
		"SEND\na\\cb:c\\nd\\\\e\\r\n\n\x00",
		"CONNECT\nhost:fe80::1\nlogin:a\\cb\n\n\x00",
		"SEND\ncontent-length:4294967295\n\n",
		"SEND\ncontent-length:2\n\nabc\x00",
		"SEND\ncontent-length:0\n\n\x00",
		"SEND\ncontent-length:1\ncontent-length:x\n\na\x00",
		"SEND\ndestination:\xff\n\n\x00",
		"SEND\n:x\n\n\x00",
		"SEND\ndestination\n\n\x00",
		"SEND\ndestination:a\r\r\n\n\x00",
		"\r\rSEND\n\n\x00",
		"DISCONNECT\nreceipt:1\n\n\x00\n\n",
	} {
		f.Add([]byte(s))
	}
}

// readEvents reads data to the end and describes each result, so two readings can be compared.
func readEvents(t *testing.T, r *Reader) (frames []*Frame, final error) {
	for range 1 << 16 {
		fr, err := r.Read()
		if err != nil {
			return frames, err
		}
		if fr == nil && len(frames) > 0 && frames[len(frames)-1] == nil {
			continue
		}
		frames = append(frames, fr)
	}
	t.Fatal("Read made no progress")
	return nil, nil
}

func sameError(a, b error) bool {
	var pa, pb *ProtocolError
	if errors.As(a, &pa) && errors.As(b, &pb) {
		return pa.Message == pb.Message
	}
	return a == b
}

// FuzzReader: arbitrary bytes never panic; nothing the Reader keeps or returns exceeds its
// limits; one-byte reads give exactly the same frames and error; and every frame returned is
// written by AppendFrame into bytes that read back as the same frame.
func FuzzReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), fuzzLimits)
		frames, final := readEvents(t, r)
		if !errors.Is(final, io.EOF) && !errors.Is(final, io.ErrUnexpectedEOF) {
			var pe *ProtocolError
			if !errors.As(final, &pe) {
				t.Fatalf("unexpected error %v", final)
			}
		}
		if cap(r.hdr) > fuzzLimits.MaxFrameBytes || cap(r.long) > fuzzLimits.MaxHeaderLineBytes+2 {
			t.Fatalf("scratch beyond limits: hdr %d long %d", cap(r.hdr), cap(r.long))
		}

		slow, slowFinal := readEvents(t, NewReader(iotest.OneByteReader(bytes.NewReader(data)), fuzzLimits))
		if len(slow) != len(frames) || !sameError(final, slowFinal) {
			t.Fatalf("one-byte reads: %d frames then %v; whole: %d frames then %v", len(slow), slowFinal, len(frames), final)
		}

		for i, fr := range frames {
			if (fr == nil) != (slow[i] == nil) {
				t.Fatalf("frame %d: heart-beat in one reading only", i)
			}
			if fr == nil {
				continue
			}
			if msg := sameFrame(slow[i], fr); msg != "" || !sameHeaders(slow[i], fr) {
				t.Fatalf("frame %d differs with one-byte reads: %s", i, msg)
			}
			if len(fr.Headers) > fuzzLimits.MaxHeaders || cap(fr.Body) > fuzzLimits.MaxFrameBytes {
				t.Fatalf("frame %d beyond limits: %d headers, body cap %d", i, len(fr.Headers), cap(fr.Body))
			}
			for _, h := range fr.Headers {
				if len(h.Key)+1+len(h.Value) > fuzzLimits.MaxHeaderLineBytes {
					t.Fatalf("frame %d: header of %d bytes", i, len(h.Key)+1+len(h.Value))
				}
			}
			// Escaping may lengthen a frame and a content-length may be added, so the second
			// reading gets room for that.
			wire := AppendFrame(nil, fr)
			again := NewReader(bytes.NewReader(wire), Limits{
				MaxFrameBytes: len(wire), MaxHeaders: len(fr.Headers) + 1, MaxHeaderLineBytes: len(wire),
			})
			back, err := again.Read()
			if err != nil {
				t.Fatalf("frame %d does not read back: %v\nframe %s\nwire %q", i, err, dumpFrames([]*Frame{fr}), wire)
			}
			if msg := sameFrame(back, fr); msg != "" {
				t.Fatalf("frame %d changed going through AppendFrame: %s\nwire %q", i, msg, wire)
			}
			if _, err := again.Read(); err != io.EOF {
				t.Fatalf("frame %d wrote more than one frame: %v\nwire %q", i, err, wire)
			}
		}
	})
}

// sameHeaders compares all headers, content-length included.
func sameHeaders(a, b *Frame) bool {
	if len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != b.Headers[i] {
			return false
		}
	}
	return true
}

// FuzzSession: whatever frames arrive, the Session never panics and keeps its promises: an
// ERROR always has a message and closes, subscription ids stay unique and bounded, and what
// it asks the connection to send reads back as STOMP.
func FuzzSession(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), fuzzLimits)
		s := NewSession()
		for range 1 << 16 {
			fr, err := r.Read()
			if err != nil {
				return
			}
			o := s.Handle(fr)
			checkOutcome(t, s, fr, o)
			if o.Close {
				return
			}
		}
	})
}

func checkOutcome(t *testing.T, s *Session, fr *Frame, o Outcome) {
	t.Helper()
	all := s.All()
	if len(all) > MaxSubscriptions {
		t.Fatalf("%d subscriptions", len(all))
	}
	ids := map[string]bool{}
	for _, sub := range all {
		if sub.ID == "" || sub.Destination == "" || ids[sub.ID] {
			t.Fatalf("bad subscription set %v", all)
		}
		ids[sub.ID] = true
	}
	if o.Subscribed != nil && !ids[o.Subscribed.ID] {
		t.Fatalf("subscribed %v is not in %v", o.Subscribed, all)
	}
	if o.Unsubscribed != nil && ids[o.Unsubscribed.ID] {
		t.Fatalf("unsubscribed %v is still in %v", o.Unsubscribed, all)
	}
	if o.Request && o.Forward {
		t.Fatal("both request and forward")
	}
	if (o.Request || o.Forward) && (o.Destination == "" || fr.Command != CmdSend) {
		t.Fatalf("request or forward from %q to %q", fr.Command, o.Destination)
	}
	var wire []byte
	for _, rep := range o.Replies {
		if rep.Command == CmdError {
			if msg, _ := rep.Get(HdrMessage); msg == "" || !o.Close {
				t.Fatalf("ERROR without message or close: %s", dumpOutcome(o))
			}
		}
		wire = AppendFrame(wire, rep)
	}
	back, err := readEvents(t, NewReader(bytes.NewReader(wire), Limits{}))
	if err != io.EOF || len(back) != len(o.Replies) {
		t.Fatalf("replies do not read back: %v, %d of %d\n%q", err, len(back), len(o.Replies), wire)
	}
}
