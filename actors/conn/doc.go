// Package conn serves one client connection. The listener accepts, finishes TLS, detects STOMP
// from the first line and spawns a connection actor. Each connection has exactly three
// goroutines' worth of machinery:
//   - the reader goroutine, the only one that reads the socket: it parses frames with the bounded
//     STOMP parser, decodes JSON-RPC bodies once, and sends requests straight to the router and
//     every other frame to the connection actor;
//   - the connection actor, which owns the STOMP session (subscriptions, heart-beats, receipts),
//     turns responses and events into MESSAGE frames and coalesces them into one buffer;
//   - the writer goroutine, the only one that writes the socket, fed one buffer at a time by the
//     actor.
//
// Every queue here is bounded: frames by the parser's limits, frames waiting for the actor by a
// semaphore the reader blocks on, requests in flight per connection by another, and the outbox
// by a byte limit past which the client is disconnected.
package conn
