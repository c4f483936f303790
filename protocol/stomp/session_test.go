package stomp

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func frame(cmd string, kv ...string) *Frame { return &Frame{Command: cmd, Headers: hdrs(kv...)} }

func errorOutcome(text string) Outcome {
	return Outcome{Replies: []*Frame{ErrorFrame(text, text)}, Close: true}
}

func connected(hb string) *Frame {
	return frame(CmdConnected, "version", "1.2", "heart-beat", hb)
}

func TestSession(t *testing.T) {
	type step struct {
		in   *Frame
		want Outcome
	}
	sub := func(id, dest string) *Subscription { return &Subscription{ID: id, Destination: dest} }
	cases := []struct {
		name  string
		steps []step
		subs  []Subscription // All() at the end
	}{
		{"CONNECT 1.2", []step{
			{frame(CmdConnect, "accept-version", "1.2", "heart-beat", "0,8000", "host", "fe80::1"),
				Outcome{Connected: true, Replies: []*Frame{connected("8000,0")}, HeartBeatSend: 8 * time.Second}},
		}, nil},
		{"STOMP 1.2 without heart-beat", []step{
			{frame(CmdStomp, "accept-version", "1.2"), Outcome{Connected: true, Replies: []*Frame{connected("0,0")}}},
		}, nil},
		{"accept-version list", []step{
			{frame(CmdConnect, "accept-version", "1.0,1.1,1.2", "heart-beat", "6000,5000"),
				Outcome{Connected: true, Replies: []*Frame{connected("5000,6000")}, HeartBeatSend: 5 * time.Second, HeartBeatExpect: 6 * time.Second}},
		}, nil},
		{"accept-version list with spaces", []step{
			{frame(CmdConnect, "accept-version", "1.2 , 1.1"), Outcome{Connected: true, Replies: []*Frame{connected("0,0")}}},
		}, nil},
		{"accept-version 1.1", []step{
			{frame(CmdConnect, "accept-version", "1.1"), errorOutcome(TextVersionUnsupported)},
		}, nil},
		{"accept-version 1.20", []step{
			{frame(CmdConnect, "accept-version", "1.20,1.21"), errorOutcome(TextVersionUnsupported)},
		}, nil},
		{"accept-version missing", []step{
			{frame(CmdConnect), errorOutcome(TextVersionUnsupported)},
		}, nil},
		{"accept-version empty", []step{
			{frame(CmdStomp, "accept-version", ""), errorOutcome(TextVersionUnsupported)},
		}, nil},
		{"repeated SEND headers: the first of each counts", []step{
			{frame(CmdSend, "receipt", "r1", "destination", RequestQueue, "reply-to", "a", "ovirtCorrelationId", "f1",
				"destination", "elsewhere", "reply-to", "b", "ovirtCorrelationId", "f2", "receipt", "r2"),
				Outcome{Request: true, Destination: RequestQueue, ReplyTo: "a", FlowID: "f1",
					Replies: []*Frame{ReceiptFrame("r1")}}},
			{frame(CmdSend, "destination", "", "destination", RequestQueue), errorOutcome(TextSendWithoutDestination)},
		}, nil},
		{"repeated accept-version: the first counts", []step{
			{frame(CmdConnect, "accept-version", "1.0", "accept-version", "1.2"), errorOutcome(TextVersionUnsupported)},
		}, nil},
		{"CONNECT repeated", []step{
			{frame(CmdConnect, "accept-version", "1.2", "heart-beat", "0,1000"),
				Outcome{Connected: true, Replies: []*Frame{connected("1000,0")}, HeartBeatSend: time.Second}},
			{frame(CmdConnect, "accept-version", "1.2"), Outcome{Connected: true, Replies: []*Frame{connected("0,0")}}},
		}, nil},
		{"subscribe before CONNECT, as the engine does", []step{
			{frame(CmdSubscribe, "destination", ResponseQueue, "id", "r", "ack", "auto"),
				Outcome{Subscribed: sub("r", ResponseQueue)}},
			{frame(CmdSubscribe, "destination", EventQueue, "id", "e"), Outcome{Subscribed: sub("e", EventQueue)}},
			{frame(CmdConnect, "accept-version", "1.2", "host", "engine"), Outcome{Connected: true, Replies: []*Frame{connected("0,0")}}},
		}, []Subscription{{"r", ResponseQueue}, {"e", EventQueue}}},
		{"subscribe with receipt", []step{
			{frame(CmdSubscribe, "destination", "q", "id", "1", "receipt", "77"),
				Outcome{Replies: []*Frame{ReceiptFrame("77")}, Subscribed: sub("1", "q")}},
		}, []Subscription{{"1", "q"}}},
		{"subscribe without destination", []step{
			{frame(CmdSubscribe, "id", "1"), errorOutcome(TextMissingSubscribeHeaders)},
		}, nil},
		{"subscribe with empty destination", []step{
			{frame(CmdSubscribe, "destination", "", "id", "1"), errorOutcome(TextMissingSubscribeHeaders)},
		}, nil},
		{"subscribe without id", []step{
			{frame(CmdSubscribe, "destination", "q", "receipt", "1"), errorOutcome(TextMissingSubscribeHeaders)},
		}, nil},
		{"subscribe with empty id", []step{
			{frame(CmdSubscribe, "destination", "q", "id", ""), errorOutcome(TextMissingSubscribeHeaders)},
		}, nil},
		{"subscribe id reused", []step{
			{frame(CmdSubscribe, "destination", "a", "id", "1"), Outcome{Subscribed: sub("1", "a")}},
			{frame(CmdSubscribe, "destination", "b", "id", "1"), errorOutcome(TextSubscriptionExists)},
		}, []Subscription{{"1", "a"}}},
		{"same destination twice", []step{
			{frame(CmdSubscribe, "destination", "a", "id", "1"), Outcome{Subscribed: sub("1", "a")}},
			{frame(CmdSubscribe, "destination", "a", "id", "2"), Outcome{Subscribed: sub("2", "a")}},
		}, []Subscription{{"1", "a"}, {"2", "a"}}},
		{"unsubscribe", []step{
			{frame(CmdSubscribe, "destination", "a", "id", "1"), Outcome{Subscribed: sub("1", "a")}},
			{frame(CmdSubscribe, "destination", "b", "id", "2"), Outcome{Subscribed: sub("2", "b")}},
			{frame(CmdUnsubscribe, "id", "1", "receipt", "u1"),
				Outcome{Replies: []*Frame{ReceiptFrame("u1")}, Unsubscribed: sub("1", "a")}},
		}, []Subscription{{"2", "b"}}},
		{"id free again after unsubscribe", []step{
			{frame(CmdSubscribe, "destination", "a", "id", "1"), Outcome{Subscribed: sub("1", "a")}},
			{frame(CmdUnsubscribe, "id", "1"), Outcome{Unsubscribed: sub("1", "a")}},
			{frame(CmdSubscribe, "destination", "b", "id", "1"), Outcome{Subscribed: sub("1", "b")}},
		}, []Subscription{{"1", "b"}}},
		{"unsubscribe unknown id is ignored", []step{
			{frame(CmdUnsubscribe, "id", "nope"), Outcome{}},
			{frame(CmdUnsubscribe, "id", "nope", "receipt", "r"), Outcome{Replies: []*Frame{ReceiptFrame("r")}}},
		}, nil},
		{"unsubscribe without id", []step{
			{frame(CmdUnsubscribe, "destination", "a"), errorOutcome(TextMissingID)},
		}, nil},
		{"unsubscribe with empty id", []step{
			{frame(CmdUnsubscribe, "id", "", "receipt", "r"), errorOutcome(TextMissingID)},
		}, nil},
		{"disconnect with receipt", []step{
			{frame(CmdDisconnect, "receipt", "bye"), Outcome{Replies: []*Frame{ReceiptFrame("bye")}, Close: true}},
		}, nil},
		{"disconnect without receipt", []step{
			{frame(CmdDisconnect), Outcome{Close: true}},
		}, nil},
		{"request", []step{
			{&Frame{Command: CmdSend, Headers: hdrs("destination", RequestQueue, "content-type", "application/json",
				"reply-to", ResponseQueue, "ovirtCorrelationId", "flow-1"), Body: []byte(`{}`)},
				Outcome{Request: true, Destination: RequestQueue, ReplyTo: ResponseQueue, FlowID: "flow-1"}},
		}, nil},
		{"IRS request", []step{
			{frame(CmdSend, "destination", IRSRequestQueue), Outcome{Request: true, Destination: IRSRequestQueue}},
		}, nil},
		{"request to a sub-queue, with receipt", []step{
			{frame(CmdSend, "destination", RequestQueue+".host1", "reply-to", "uuid", "receipt", "s1"),
				Outcome{Replies: []*Frame{ReceiptFrame("s1")}, Request: true, Destination: RequestQueue + ".host1", ReplyTo: "uuid"}},
		}, nil},
		{"send elsewhere is forwarded", []step{
			{frame(CmdSend, "destination", "custom.topic", "subscription", "evil"),
				Outcome{Forward: true, Destination: "custom.topic"}},
		}, nil},
		{"send to a near miss of the request queue is forwarded", []step{
			{frame(CmdSend, "destination", RequestQueue+"x"), Outcome{Forward: true, Destination: RequestQueue + "x"}},
		}, nil},
		{"send without destination", []step{
			{frame(CmdSend, "reply-to", "x"), errorOutcome(TextSendWithoutDestination)},
		}, nil},
		{"send with empty destination", []step{
			{frame(CmdSend, "destination", "", "receipt", "1"), errorOutcome(TextSendWithoutDestination)},
		}, nil},
	}
	for _, cmd := range []string{CmdAck, CmdNack, CmdBegin, CmdCommit, CmdAbort, CmdMessage, CmdConnected, CmdReceipt, CmdError} {
		cases = append(cases, struct {
			name  string
			steps []step
			subs  []Subscription
		}{"unsupported " + cmd, []step{
			{frame(cmd, "receipt", "1", "transaction", "t"), errorOutcome(TextUnsupportedCommand + " " + cmd)},
		}, nil})
	}
	for _, cmd := range []string{"FOO", "connect", "SEND ", "CONNECT\x00"} {
		cases = append(cases, struct {
			name  string
			steps []step
			subs  []Subscription
		}{fmt.Sprintf("unknown %q", cmd), []step{
			{frame(cmd, "receipt", "1"), errorOutcome(TextUnknownCommand + " " + cmd)},
		}, nil})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewSession()
			for i, st := range c.steps {
				got := s.Handle(st.in)
				if !reflect.DeepEqual(got, st.want) {
					t.Fatalf("step %d (%s):\ngot  %s\nwant %s", i, st.in.Command, dumpOutcome(got), dumpOutcome(st.want))
				}
			}
			if got := s.All(); !reflect.DeepEqual(got, c.subs) {
				t.Fatalf("subscriptions %v, want %v", got, c.subs)
			}
		})
	}
}

func dumpOutcome(o Outcome) string {
	var b strings.Builder
	for _, f := range o.Replies {
		fmt.Fprintf(&b, "%q ", AppendFrame(nil, f))
	}
	fmt.Fprintf(&b, "connected=%v close=%v sub=%v unsub=%v req=%v fwd=%v dest=%q reply-to=%q flow=%q hb=%v/%v",
		o.Connected, o.Close, o.Subscribed, o.Unsubscribed, o.Request, o.Forward, o.Destination, o.ReplyTo, o.FlowID,
		o.HeartBeatSend, o.HeartBeatExpect)
	return b.String()
}

// Every ERROR the session sends has its text in the message header and in the body, and closes
// the connection.
func TestSessionErrorsCarryMessage(t *testing.T) {
	s := NewSession()
	s.Handle(frame(CmdSubscribe, "destination", "a", "id", "1"))
	for _, f := range []*Frame{
		frame(CmdConnect), frame(CmdSubscribe), frame(CmdSubscribe, "destination", "a", "id", "1"),
		frame(CmdUnsubscribe), frame(CmdSend), frame(CmdAck), frame("X"),
	} {
		o := s.Handle(f)
		if !o.Close || len(o.Replies) != 1 || o.Replies[0].Command != CmdError {
			t.Fatalf("%s: %s", f.Command, dumpOutcome(o))
		}
		msg, ok := o.Replies[0].Get(HdrMessage)
		if !ok || msg == "" || string(o.Replies[0].Body) != msg {
			t.Fatalf("%s: message %q body %q", f.Command, msg, o.Replies[0].Body)
		}
	}
}

func TestSessionConnected(t *testing.T) {
	s := NewSession()
	if o := s.Handle(frame(CmdConnect, "accept-version", "1.0")); o.Connected {
		t.Fatal("connected by a refused CONNECT")
	}
	if o := s.Handle(frame(CmdStomp, "accept-version", "1.2")); !o.Connected {
		t.Fatal("not connected by STOMP")
	}
}

func TestSessionHeartBeatIsNoOp(t *testing.T) {
	if o := NewSession().Handle(nil); !reflect.DeepEqual(o, Outcome{}) {
		t.Fatalf("%s", dumpOutcome(o))
	}
}

// receivers are the subscriptions that get a SEND to dest forwarded, in subscription order.
func receivers(subs []Subscription, dest string) []Subscription {
	var out []Subscription
	for _, sub := range subs {
		if Receives(sub.Destination, dest) {
			out = append(out, sub)
		}
	}
	return out
}

func TestSessionLookups(t *testing.T) {
	s := NewSession()
	for _, sb := range []Subscription{
		{"1", "a.b"}, {"2", "a"}, {"3", "a.b.c"}, {"4", "a.b"}, {"5", "a.bc"}, {"6", "a.b.c.d"}, {"7", "jms.top"},
	} {
		if o := s.Handle(frame(CmdSubscribe, "destination", sb.Destination, "id", sb.ID)); o.Subscribed == nil {
			t.Fatal(dumpOutcome(o))
		}
	}
	ids := func(subs []Subscription) string {
		var out []string
		for _, sb := range subs {
			out = append(out, sb.ID)
		}
		return strings.Join(out, ",")
	}
	prefix := map[string]string{
		"a.b.c":       "1,2,3,4",
		"a.b":         "1,2,4",
		"a":           "2",
		"a.bc":        "2,5",
		"a.b.c.d.e":   "1,2,3,4,6",
		"jms.topic.x": "",
		"jms.top":     "7",
		"b":           "",
		"a.":          "2",
	}
	for dest, want := range prefix {
		if got := ids(receivers(s.All(), dest)); got != want {
			t.Errorf("receivers of %q = %s, want %s", dest, got, want)
		}
	}
	all := s.All()
	all[0].ID = "changed"
	if s.All()[0].ID != "1" {
		t.Error("All returned the session's own slice")
	}
}

func TestSessionSubscriptionLimit(t *testing.T) {
	s := NewSession()
	for i := range MaxSubscriptions {
		if o := s.Handle(frame(CmdSubscribe, "destination", "d", "id", fmt.Sprint(i))); o.Subscribed == nil {
			t.Fatalf("subscription %d: %s", i, dumpOutcome(o))
		}
	}
	o := s.Handle(frame(CmdSubscribe, "destination", "d", "id", "one more"))
	if !reflect.DeepEqual(o, errorOutcome(TextTooManySubscriptions)) {
		t.Fatal(dumpOutcome(o))
	}
	s.Handle(frame(CmdUnsubscribe, "id", "7"))
	if o := s.Handle(frame(CmdSubscribe, "destination", "d", "id", "one more")); o.Subscribed == nil {
		t.Fatal(dumpOutcome(o))
	}
}

// The texts VDSM sends, byte for byte, as vdsm-protocol.md §2.6 lists them.
func TestVDSMTexts(t *testing.T) {
	for got, want := range map[string]string{
		TextVersionUnsupported:       "Version unsupported",
		TextMissingSubscribeHeaders:  "Missing destination or subscription id header",
		TextSubscriptionExists:       "Subscription id already exists",
		TextMissingID:                "Missing id header",
		TextSubscriptionNotAvailable: "Subscription not available",
	} {
		if got != want {
			t.Errorf("%q != %q", got, want)
		}
	}
}
