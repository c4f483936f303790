package main

import (
	"testing"
	"time"

	"github.com/hostagent/hostagent/supervisor"
)

// subscribed connects a raw client and subscribes it to dest with id, waiting for the RECEIPT:
// from then on the subscription is in the agent's directory.
func subscribed(t *testing.T, ta *testAgent, dest, id string) *raw {
	t.Helper()
	r := ta.raw(t)
	r.connect()
	r.send("SUBSCRIBE\ndestination:" + dest + "\nid:" + id + "\nreceipt:" + id + "\n\n\x00")
	if got := describe(r.frame()); got != "RECEIPT "+id {
		t.Fatalf("SUBSCRIBE %s: got %s", dest, got)
	}
	return r
}

// A response goes to every subscription on its reply-to destination, on every connection, each
// MESSAGE carrying the receiver's own subscription id: two engines' connections subscribed to
// jms.topic.vdsm_responses both get it (DESIGN §3.2, as VDSM does).
func TestResponseGoesToEverySubscriberOfReplyTo(t *testing.T) {
	ta := startAgent(t)
	a := subscribed(t, ta, "jms.topic.vdsm_responses", "sub-a")
	b := subscribed(t, ta, "jms.topic.vdsm_responses", "sub-b")
	a.request("jms.topic.vdsm_responses", `{"jsonrpc":"2.0","method":"Host.ping2","id":"from-a"}`)
	for _, c := range []struct {
		r   *raw
		sub string
	}{{a, "sub-a"}, {b, "sub-b"}} {
		m, f := c.r.response()
		if m["id"] != "from-a" || m["result"] != true || f.Header.Get("subscription") != c.sub ||
			f.Header.Get("destination") != "jms.topic.vdsm_responses" {
			t.Fatalf("%s got %v %v", c.sub, m, f.Header)
		}
	}
}

// Routing is by destination name, not by connection: when the requester has gone, the other
// subscriber of its reply-to still gets the answer.
func TestResponseReachesOtherSubscriberAfterRequesterClosed(t *testing.T) {
	ta := startAgent(t)
	until, fired := make(chan struct{}), make(chan string, 1)
	ta.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.Pause", Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: fired, Times: 1})
	defer func() {
		select {
		case <-until:
		default:
			close(until)
		}
	}()
	a := subscribed(t, ta, "shared.replies", "sub-a")
	b := subscribed(t, ta, "shared.replies", "sub-b")
	a.request("shared.replies", `{"jsonrpc":"2.0","method":"VM.pause","params":{"vmID":"`+vmWeb1+`"},"id":"held"}`)
	select {
	case <-fired:
	case <-time.After(20 * time.Second):
		t.Fatal("VM.pause never reached the VM actor")
	}
	a.send("DISCONNECT\nreceipt:bye\n\n\x00")
	if got := describe(a.frame()); got != "RECEIPT bye" {
		t.Fatalf("DISCONNECT: got %s", got)
	}
	a.closed()
	close(until)
	m, f := b.response()
	if m["id"] != "held" || m["error"] != nil || f.Header.Get("subscription") != "sub-b" {
		t.Fatalf("other subscriber got %v %v", m, f.Header)
	}
}

// A request without reply-to is answered on the requester's own jms.topic.vdsm_responses
// subscription only; another connection subscribed there does not get it.
func TestResponseWithoutReplyToStaysWithRequester(t *testing.T) {
	ta := startAgent(t)
	a := subscribed(t, ta, "jms.topic.vdsm_responses", "sub-a")
	b := subscribed(t, ta, "jms.topic.vdsm_responses", "sub-b")
	b.send("SUBSCRIBE\ndestination:b.private\nid:priv\n\n\x00")
	a.request("", `{"jsonrpc":"2.0","method":"Host.ping2","id":"no-reply-to"}`)
	if m, f := a.response(); m["id"] != "no-reply-to" || f.Header.Get("subscription") != "sub-a" {
		t.Fatalf("requester got %v %v", m, f.Header)
	}
	// b's own answer, sent after a's answer was delivered, is the first thing b reads.
	b.request("b.private", `{"jsonrpc":"2.0","method":"Host.ping2","id":"sentinel"}`)
	if m, f := b.response(); m["id"] != "sentinel" || f.Header.Get("subscription") != "priv" {
		t.Fatalf("other subscriber got %v %v before its own answer", m, f.Header)
	}
}

// A SEND to a non-request destination reaches its subscribers with its own headers; the MESSAGE
// sets destination, subscription (the receiver's own, whatever the SEND said) and message-id,
// and leaves out the sender's receipt, which is answered to the sender.
func TestForwardKeepsTheSendersHeaders(t *testing.T) {
	ta := startAgent(t)
	sub := subscribed(t, ta, "custom", "mine")
	pub := ta.raw(t)
	pub.connect()
	pub.send(sendFrame("custom.topic", "foo:bar\ncontent-type:text/plain\nsubscription:evil\nreceipt:r1\nx-esc:a\\cb\n", "hello"))
	if got := describe(pub.frame()); got != "RECEIPT r1" {
		t.Fatalf("sender got %s", got)
	}
	f := sub.frame()
	if f.Command != "MESSAGE" || string(f.Body) != "hello" {
		t.Fatalf("forwarded: %s %v %q", f.Command, f.Header, f.Body)
	}
	want := map[string]string{"destination": "custom.topic", "subscription": "mine", "foo": "bar",
		"content-type": "text/plain", "x-esc": "a:b", "content-length": "5"}
	for k, v := range want {
		if got := f.Header.Get(k); got != v {
			t.Errorf("header %s: %q, want %q (all: %v)", k, got, v, f.Header)
		}
	}
	if _, ok := f.Header.Contains("receipt"); ok {
		t.Errorf("the sender's receipt was forwarded: %v", f.Header)
	}
	if id := f.Header.Get("message-id"); id == "" {
		t.Errorf("no message-id: %v", f.Header)
	}
	if n := len(f.Header.GetAll("subscription")); n != 1 {
		t.Errorf("%d subscription headers: %v", n, f.Header)
	}
}

// A raw colon in a header value is refused as VDSM refuses it, with its text, and the frame is
// not acted on: the request is never answered, the connection closes.
func TestRawColonInHeaderValueIsRefused(t *testing.T) {
	ta := startAgent(t)
	r := subscribed(t, ta, "a", "s")
	r.send(sendFrame("jms.topic.vdsm_requests", "reply-to:a:b\n", `{"jsonrpc":"2.0","method":"Host.ping2","id":1}`))
	f := r.frame()
	if f.Command != "ERROR" || f.Header.Get("message") != "Contains illigal charachter `:`" ||
		string(f.Body) != "Contains illigal charachter `:`" {
		t.Fatalf("got %s %v %q", f.Command, f.Header, f.Body)
	}
	if rest := r.closed(); len(rest) != 0 {
		t.Fatalf("after the ERROR the agent wrote %q", rest)
	}
}
