// Package conn serves one client connection. The listener accepts, finishes TLS, detects STOMP
// from the first line and spawns a connection actor. Each connection has exactly three
// goroutines' worth of machinery:
//   - the reader goroutine, the only one that reads the socket and the owner of the STOMP
//     session: every frame is applied to the session, and only what it decides is done. It
//     decodes JSON-RPC bodies once and sends requests straight to the router, registers
//     subscriptions in the process-wide broker.Directory and the outbox, forwards SENDs to
//     their subscribers, queues the session's frames in the outbox, and stops reading once the
//     session has ended, so nothing a client sends after a refused CONNECT, a DISCONNECT or an
//     ERROR is acted on;
//   - the connection actor, which owns the socket (it alone closes it), the writer, the outgoing
//     heart-beats and the outbox: the bytes queued for the client under a lock of their own,
//     where answers, events and the session's frames become MESSAGE frames for its
//     subscriptions and gather between writes;
//   - the writer goroutine, the only one that writes the socket: whatever the outbox holds, in
//     one write.
//
// Responses travel by reply-to: the reply of every request is sent through a fanout that looks
// the destination up in the directory (no lock) and appends it to the outbox of each connection
// subscribed there, the requester's or another's, on the goroutine that answered: an answer
// crosses no mailbox on its way to the socket.
//
// Every queue here is bounded: frames by the parser's limits, outputs waiting for the actor (a
// CONNECT's heart-beats) by a semaphore the reader blocks on, requests in flight per connection
// by another, and the outbox (every byte queued for the client) by a byte limit past which the
// client is disconnected.
package conn
