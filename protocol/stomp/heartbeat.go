package stomp

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// minHeartBeat is VDSM's floor for any non-zero heart-beat: a peer cannot make us wake up more
// often than once a second.
const minHeartBeat = 1000

// maxHeartBeat caps a heart-beat at about 24.8 days, so any value converts to a time.Duration
// without overflow; a peer asking for more has in effect asked for none.
const maxHeartBeat = 1<<31 - 1

// NegotiateHeartBeat answers a client's heart-beat header "cx,cy" (cx: how often the client
// will send, cy: how often it wants to receive, in ms) the way VDSM does: the reply mirrors it
// as "cy,cx" and states no preference of our own. send is how often the server must send
// something (cy), expect how often the client promised to (cx); zero means never.
//
// Each value is parsed on its own, with surrounding spaces allowed; one that does not parse is
// 0, and so is the whole header without a comma. A non-zero value is raised to 1000 ms, and a
// negative one becomes 1000 ms.
func NegotiateHeartBeat(clientValue string) (reply string, send, expect time.Duration) {
	cxs, cys, ok := strings.Cut(clientValue, ",")
	if !ok {
		return "0,0", 0, 0
	}
	cx, cy := heartBeatMillis(cxs), heartBeatMillis(cys)
	reply = strconv.Itoa(cy) + "," + strconv.Itoa(cx)
	return reply, time.Duration(cy) * time.Millisecond, time.Duration(cx) * time.Millisecond
}

func heartBeatMillis(s string) int {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0
	}
	// Out of range, ParseInt has saturated v, which the clamps below handle like VDSM's
	// unbounded integers.
	switch {
	case v == 0:
		return 0
	case v < minHeartBeat:
		return minHeartBeat
	case v > maxHeartBeat:
		return maxHeartBeat
	}
	return int(v)
}
