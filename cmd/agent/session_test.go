package main

import (
	"fmt"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// Requests and subscriptions that arrive in the same TCP write as the end of a session are
// never acted on: the session decides every frame, and once it has ended nothing more is read.
//
// The witness is vmWeb1, running in the embedded host: a VM.pause that ran leaves it Paused
// (the control case shows the same bytes after an accepted CONNECT do), and a SUBSCRIBE that
// took effect would make a SEND to its destination a MESSAGE rather than "Subscription not
// available".
func TestNothingRunsOutsideTheSession(t *testing.T) {
	pause := sendFrame("jms.topic.vdsm_requests", "reply-to:r\n",
		`{"jsonrpc":"2.0","method":"VM.pause","params":{"vmID":"`+vmWeb1+`"},"id":"p"}`)
	sub := "SUBSCRIBE\ndestination:piggy\nid:late\nreceipt:late\n\n\x00"
	cases := []struct {
		name, before string
		want         []string // frames the client reads before the close: command and key header
	}{
		{"after a refused CONNECT", "CONNECT\naccept-version:1.0\n\n\x00",
			[]string{"ERROR Version unsupported"}},
		{"after DISCONNECT", "CONNECT\naccept-version:1.2\n\n\x00DISCONNECT\nreceipt:bye\n\n\x00",
			[]string{"CONNECTED", "RECEIPT bye"}},
		{"before CONNECT, after an ERROR", "SUBSCRIBE\ndestination:x\n\n\x00",
			[]string{"ERROR Missing destination or subscription id header"}},
		{"after a SEND nobody receives", "SEND\ndestination:nobody.home\n\nhi\x00",
			[]string{"ERROR Subscription not available"}},
		{"after a malformed frame", "SEND\ndestination:a\nreply-to:a:b\n\n\x00",
			[]string{"ERROR Contains illigal charachter `:`"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta := startAgent(t)
			r := ta.raw(t)
			// One write: the agent has every byte before it decides anything.
			r.send(c.before + pause + sub + "CONNECT\naccept-version:1.2\n\n\x00")
			for _, w := range c.want {
				if got := describe(r.frame()); got != w {
					t.Fatalf("got %s, want %s", got, w)
				}
			}
			if rest := r.closed(); len(rest) != 0 {
				t.Fatalf("after the session ended the agent wrote %q", rest)
			}
			if st := vmStatsOf(t, ta.dial(t), vmWeb1)["status"]; st != "Up" {
				t.Fatalf("%s is %v: the piggy-backed VM.pause ran", vmWeb1, st)
			}
			noSubscriber(t, ta, "piggy")
		})
	}
	t.Run("control: the same bytes in a live session", func(t *testing.T) {
		ta := startAgent(t)
		r := ta.raw(t)
		r.send("CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\ndestination:r\nid:s\n\n\x00" + pause + sub)
		if got := describe(r.frame()); got != "CONNECTED" {
			t.Fatalf("got %s", got)
		}
		// The answer and the RECEIPT take different paths: either may come first.
		got := map[string]bool{}
		for i := 0; i < 2; i++ {
			f := r.frame()
			got[describe(f)+" "+string(f.Body)] = true
		}
		if want := `MESSAGE r {"jsonrpc":"2.0","id":"p","result":{"vmList":{}}}`; !got[want] || !got["RECEIPT late "] {
			t.Fatalf("got %v, want the answer %s and RECEIPT late", got, want)
		}
		if st := vmStatsOf(t, ta.dial(t), vmWeb1)["status"]; st != "Paused" {
			t.Fatalf("%s is %v after VM.pause", vmWeb1, st)
		}
	})
}

// A SUBSCRIBE before CONNECT is accepted (the engine subscribes first), but it belongs to the
// session: when the CONNECT that follows is refused, the subscription goes with the session and
// nothing is delivered to it.
func TestSubscriptionBeforeRefusedConnectIsDropped(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.send("SUBSCRIBE\ndestination:early\nid:e\nreceipt:e\n\n\x00CONNECT\naccept-version:1.1\n\n\x00")
	for _, w := range []string{"RECEIPT e", "ERROR Version unsupported"} {
		if got := describe(r.frame()); got != w {
			t.Fatalf("got %s, want %s", got, w)
		}
	}
	if rest := r.closed(); len(rest) != 0 {
		t.Fatalf("after the refused CONNECT the agent wrote %q", rest)
	}
	noSubscriber(t, ta, "early")
}

// noSubscriber shows that nobody subscribes to dest: a SEND to it is refused.
func noSubscriber(t *testing.T, ta *testAgent, dest string) {
	t.Helper()
	p := ta.raw(t)
	p.send(sendFrame(dest, "", "anyone?"))
	if got := describe(p.frame()); got != "ERROR Subscription not available" {
		t.Fatalf("SEND to %s: got %s: a subscription made outside the session is alive", dest, got)
	}
	p.closed()
}

// sendFrame is a SEND with a content-length; extra is more header lines, each ending in \n.
func sendFrame(dest, extra, body string) string {
	return fmt.Sprintf("SEND\ndestination:%s\n%scontent-length:%d\n\n%s\x00", dest, extra, len(body), body)
}

// describe names a frame by its command and the header that tells it apart: an ERROR's message,
// a RECEIPT's id, a MESSAGE's destination.
func describe(f *frame.Frame) string {
	switch f.Command {
	case "ERROR":
		return "ERROR " + f.Header.Get("message")
	case "RECEIPT":
		return "RECEIPT " + f.Header.Get("receipt-id")
	case "MESSAGE":
		return "MESSAGE " + f.Header.Get("destination")
	}
	return f.Command
}
