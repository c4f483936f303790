// Package conn serves one client connection. The listener accepts, finishes TLS, detects STOMP
// from the first line and spawns a connection actor. Each connection has exactly three
// goroutines' worth of machinery:
//   - the reader goroutine, the only one that reads the socket and the owner of the STOMP
//     session: every frame is applied to the session, and only what it decides is done. It
//     decodes JSON-RPC bodies once and sends requests straight to the router, registers
//     subscriptions in the process-wide broker.Directory, forwards SENDs to their subscribers,
//     hands every frame to be written to the connection actor, and stops reading once the
//     session has ended, so nothing a client sends after a refused CONNECT, a DISCONNECT or an
//     ERROR is acted on;
//   - the connection actor, which owns the outbox, the outgoing heart-beats and the socket (it
//     alone closes it): it turns responses and events into MESSAGE frames for its subscriptions
//     and coalesces them into one buffer;
//   - the writer goroutine, the only one that writes the socket, fed one buffer at a time by the
//     actor.
//
// Responses travel by reply-to: the reply of every request is sent through a fanout that looks
// the destination up in the directory (no lock) and gives the response to each connection
// subscribed there, the requester's or another's.
//
// Every queue here is bounded: frames by the parser's limits, outputs waiting for the actor by a
// semaphore the reader blocks on, requests in flight per connection by another, and the outbox
// (every byte queued for the client) by a byte limit past which the client is disconnected.
package conn
