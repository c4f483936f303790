package stomp

import "strings"

// Destinations VDSM defines and the engine relies on.
const (
	RequestQueue    = "jms.topic.vdsm_requests"
	IRSRequestQueue = "jms.topic.vdsm_irs_requests"
	ResponseQueue   = "jms.topic.vdsm_responses"
	EventQueue      = "jms.queue.events"
)

// IsRequestDestination reports whether a SEND to dest is a JSON-RPC request for this agent.
// VDSM treats sub-destinations of its request queues ("jms.topic.vdsm_requests.x") as the queue
// itself, and clients use that, so we do too.
func IsRequestDestination(dest string) bool {
	return underQueue(dest, RequestQueue) || underQueue(dest, IRSRequestQueue)
}

func underQueue(dest, queue string) bool {
	return dest == queue || isDotPrefix(queue, dest)
}

// isDotPrefix reports whether prefix names a parent of dest in the dotted hierarchy, so that
// "jms.topic" is a parent of "jms.topic.x" but "jms.top" is not.
func isDotPrefix(prefix, dest string) bool {
	return len(dest) > len(prefix) && dest[len(prefix)] == '.' && strings.HasPrefix(dest, prefix)
}

// Receives reports whether a subscription on sub receives a SEND to dest forwarded by the
// server: sub is dest or a dot-parent of it.
func Receives(sub, dest string) bool {
	return sub == dest || isDotPrefix(sub, dest)
}
