package detect

import "testing"

func TestDetect(t *testing.T) {
	cases := []struct {
		in   string
		want Protocol
	}{
		{"CONNECT\n\n\x00", STOMP},
		{"CONNECT\r\naccept-version:1.2\r\n", STOMP},
		{"STOMP\n", STOMP},
		{"SUBSCRIBE\ndestination:x\n", STOMP},
		{"UNSUBSCRIBE\n", STOMP},
		{"SEND\n", STOMP},
		{"DISCONNECT\n", STOMP},
		{"\n\nCONNECT\n", STOMP},
		{"", NeedMore},
		{"C", NeedMore},
		{"CONNE", NeedMore},
		{"CONNECT", NeedMore},
		{"CONNECT\r", NeedMore},
		{"UNSUBSCRIB", NeedMore},
		{"GET / HTTP/1.1\r\n", Unknown},
		{"PUT /", Unknown},
		{"POST / HTTP/1.1\r\n", Unknown},
		{"\x16\x03\x01\x02\x00", Unknown},
		{"CONNECTX\n", Unknown},
		{"connect\n", Unknown},
		{"CONNECT x\n", Unknown},
		{"SENDX", Unknown},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Unknown},
	}
	for _, c := range cases {
		if got := Detect([]byte(c.in)); got != c.want {
			t.Errorf("Detect(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
