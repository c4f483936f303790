package stomp

import (
	"testing"
	"time"
)

func TestNegotiateHeartBeat(t *testing.T) {
	const ms = time.Millisecond
	cases := []struct {
		client, reply string
		send, expect  time.Duration
	}{
		// vdsm-protocol.md §2.3, VDSM's own table.
		{"0,8000", "8000,0", 8000 * ms, 0},
		{"0,500", "1000,0", 1000 * ms, 0},
		{"6000,5000", "5000,6000", 5000 * ms, 6000 * ms},
		{"", "0,0", 0, 0},
		{"-1,-1", "1000,1000", 1000 * ms, 1000 * ms},
		{"abc", "0,0", 0, 0},
		{"5000", "0,0", 0, 0},
		{"1.5,2", "1000,0", 1000 * ms, 0},
		// Clients we know.
		{"0,24000", "24000,0", 24000 * ms, 0},                  // vdsm-client
		{"60000,60000", "60000,60000", 60000 * ms, 60000 * ms}, // go-stomp's default
		{"0,0", "0,0", 0, 0},
		// Parsing details.
		{" 3000 , 4000 ", "4000,3000", 4000 * ms, 3000 * ms},
		{"+2000,1", "1000,2000", 1000 * ms, 2000 * ms},
		{"999,1000", "1000,1000", 1000 * ms, 1000 * ms},
		{"1001,0", "0,1001", 0, 1001 * ms},
		{",", "0,0", 0, 0},
		{"1000,", "0,1000", 0, 1000 * ms},
		{"1,2,3", "0,1000", 0, 1000 * ms},
		{"0x10,10", "1000,0", 1000 * ms, 0},
		{"1_000,0", "0,0", 0, 0},
		{"-99999999999999999999,99999999999999999999", "2147483647,1000", 2147483647 * ms, 1000 * ms},
		{"9000000000000,0", "0,2147483647", 0, 2147483647 * ms},
	}
	for _, c := range cases {
		reply, send, expect := NegotiateHeartBeat(c.client)
		if reply != c.reply || send != c.send || expect != c.expect {
			t.Errorf("NegotiateHeartBeat(%q) = %q, %v, %v; want %q, %v, %v",
				c.client, reply, send, expect, c.reply, c.send, c.expect)
		}
	}
}
