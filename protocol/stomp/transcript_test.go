package stomp

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected lines of testdata/stomp/*.txt from what the code does")

// transcriptDir is shared with the other packages' frame transcripts.
const transcriptDir = "../../testdata/stomp"

// TestTranscripts replays each testdata/stomp/*.txt through Reader, Session and AppendFrame,
// standing in for the connection actor, and compares what comes out with what the file expects.
//
// The format is line based:
//
//	# text          a comment; blank lines are ignored too
//	#! limits F H L the Reader's Limits (frame bytes, headers, header line bytes); first line only
//	> text          bytes the client sends: text followed by LF
//	< text          bytes the server writes: text followed by LF
//	= note          what the Session decided besides replies (see below)
//
// In > and < lines "^@" stands for NUL and "^M" for CR, and a line ending in ^@ has no LF after
// it, so a frame is written the way it looks on the wire:
//
//	> SUBSCRIBE
//	> destination:jms.topic.vdsm_responses
//	> id:1
//	>
//	> ^@
//
// Lines come in steps: some > lines, then the < and = lines they cause. Each step's bytes are
// offered to the Reader only after the previous step has been answered, so a step must hold
// whole frames. The notes are
//
//	= heart-beat                             one or more EOLs between frames
//	= heart-beats send=D expect=D            durations negotiated by CONNECT/STOMP
//	= subscribed id="I" destination="D"      Outcome.Subscribed
//	= unsubscribed id="I" destination="D"    Outcome.Unsubscribed
//	= request destination="D" reply-to="R" flow="F" body="B"
//	= forward destination="D" local="I,J"    Outcome.Forward, with this connection's own
//	                                         receivers(D): the subscriptions Receives picks
//	= protocol-error "M"                     the Reader refused the input; the harness writes the
//	                                         ERROR the connection actor would
//	= close                                  the connection ends; later steps get no answer
//
// go test ./protocol/stomp -run TestTranscripts -update rewrites every < and = line from what
// the code does; review the diff before keeping it.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in %s: %v", transcriptDir, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ts, err := parseTranscript(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, shape := range readerShapes[:2] {
				got, err := ts.replay(shape.wrap)
				if err != nil {
					t.Fatalf("%s: %v", shape.name, err)
				}
				if *update && shape.name == "whole" {
					for i := range ts.steps {
						ts.steps[i].want = got[i]
					}
					if err := os.WriteFile(file, ts.render(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				for i, st := range ts.steps {
					if w, g := strings.Join(st.want, "\n"), strings.Join(got[i], "\n"); w != g {
						t.Errorf("%s: step %d (line %d):\n--- want\n%s\n--- got\n%s", shape.name, i+1, st.line, w, g)
					}
				}
			}
		})
	}
}

type transcript struct {
	limits Limits
	steps  []transcriptStep
	tail   []string // comments after the last step
}

type transcriptStep struct {
	line int      // where the step starts, for messages
	pre  []string // comments before its input
	in   []string // > lines, as written
	want []string // < and = lines, as written
}

func parseTranscript(file string) (*transcript, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	ts := &transcript{}
	var cur *transcriptStep
	var pending []string
	for n, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "#! limits "):
			f := strings.Fields(line)
			if n != 0 || len(f) != 5 {
				return nil, fmt.Errorf("line %d: limits must be the first line: #! limits F H L", n+1)
			}
			v := make([]int, 3)
			for i := range v {
				if v[i], err = strconv.Atoi(f[i+2]); err != nil {
					return nil, fmt.Errorf("line %d: %v", n+1, err)
				}
			}
			ts.limits = Limits{MaxFrameBytes: v[0], MaxHeaders: v[1], MaxHeaderLineBytes: v[2]}
			pending = append(pending, line)
		case line == "" || strings.HasPrefix(line, "#"):
			pending = append(pending, line)
			cur = nil
		case strings.HasPrefix(line, ">"):
			if cur == nil || len(cur.want) > 0 {
				ts.steps = append(ts.steps, transcriptStep{line: n + 1, pre: pending})
				cur, pending = &ts.steps[len(ts.steps)-1], nil
			}
			cur.in = append(cur.in, line)
		case strings.HasPrefix(line, "<"), strings.HasPrefix(line, "="):
			if cur == nil {
				return nil, fmt.Errorf("line %d: output without input before it", n+1)
			}
			cur.want = append(cur.want, line)
		default:
			return nil, fmt.Errorf("line %d: unknown line %q", n+1, line)
		}
	}
	ts.tail = pending
	return ts, nil
}

func (ts *transcript) render() []byte {
	var b strings.Builder
	for _, st := range ts.steps {
		for _, l := range append(append(append([]string{}, st.pre...), st.in...), st.want...) {
			b.WriteString(l + "\n")
		}
	}
	for _, l := range ts.tail {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// decodeInput turns > lines into the bytes they stand for.
func decodeInput(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		l = strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
		l = strings.NewReplacer("^@", "\x00", "^M", "\r").Replace(l)
		b.WriteString(l)
		if !strings.HasSuffix(l, "\x00") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// encodeOutput turns bytes the server wrote into < lines.
func encodeOutput(out []byte) []string {
	var lines []string
	var cur strings.Builder
	emit := func(s string) {
		if s == "" {
			lines = append(lines, "<")
		} else {
			lines = append(lines, "< "+s)
		}
		cur.Reset()
	}
	for _, c := range out {
		switch c {
		case '\n':
			emit(cur.String())
		case 0:
			emit(cur.String() + "^@")
		case '\r':
			cur.WriteString("^M")
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		emit(cur.String())
	}
	return lines
}

var errStepEnd = errors.New("end of step")

// stepSource hands the Reader one step's bytes, then errStepEnd, which the Reader treats like
// an idle read deadline between frames.
type stepSource struct{ data string }

func (s *stepSource) Read(p []byte) (int, error) {
	if s.data == "" {
		return 0, errStepEnd
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

func (ts *transcript) replay(wrap func(io.Reader) io.Reader) ([][]string, error) {
	src := &stepSource{}
	r := NewReader(wrap(src), ts.limits)
	s := NewSession()
	closed := false
	got := make([][]string, len(ts.steps))
	for i, st := range ts.steps {
		if closed {
			continue
		}
		src.data = decodeInput(st.in)
		var lines []string
		heartBeat := false
		for !closed {
			f, err := r.Read()
			if err == errStepEnd && r.err == nil {
				break
			}
			var pe *ProtocolError
			if errors.As(err, &pe) {
				lines = append(lines, encodeOutput(AppendFrame(nil, ErrorFrame(pe.Message, pe.Message)))...)
				lines = append(lines, fmt.Sprintf("= protocol-error %q", pe.Message), "= close")
				closed = true
				break
			}
			if err != nil {
				return nil, fmt.Errorf("step %d (line %d): %v (does the step end inside a frame?)", i+1, st.line, err)
			}
			if f == nil {
				if !heartBeat {
					lines = append(lines, "= heart-beat")
				}
				heartBeat = true
				continue
			}
			heartBeat = false
			o := s.Handle(f)
			var out []byte
			for _, rep := range o.Replies {
				out = AppendFrame(out, rep)
			}
			lines = append(lines, encodeOutput(out)...)
			lines = append(lines, notes(s, f, o)...)
			closed = o.Close
		}
		got[i] = lines
	}
	return got, nil
}

func notes(s *Session, f *Frame, o Outcome) []string {
	var n []string
	if o.HeartBeatSend != 0 || o.HeartBeatExpect != 0 || (len(o.Replies) > 0 && o.Replies[0].Command == CmdConnected) {
		n = append(n, fmt.Sprintf("= heart-beats send=%v expect=%v", o.HeartBeatSend, o.HeartBeatExpect))
	}
	if sub := o.Subscribed; sub != nil {
		n = append(n, fmt.Sprintf("= subscribed id=%q destination=%q", sub.ID, sub.Destination))
	}
	if sub := o.Unsubscribed; sub != nil {
		n = append(n, fmt.Sprintf("= unsubscribed id=%q destination=%q", sub.ID, sub.Destination))
	}
	if o.Request {
		n = append(n, fmt.Sprintf("= request destination=%q reply-to=%q flow=%q body=%q", o.Destination, o.ReplyTo, o.FlowID, f.Body))
	}
	if o.Forward {
		var ids []string
		for _, sub := range receivers(s.All(), o.Destination) {
			ids = append(ids, sub.ID)
		}
		n = append(n, fmt.Sprintf("= forward destination=%q local=%q", o.Destination, strings.Join(ids, ",")))
	}
	if o.Close {
		n = append(n, "= close")
	}
	return n
}
