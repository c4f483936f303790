// Package stomp is the server side of STOMP 1.2 as hostagent speaks it to an oVirt engine,
// vdsm-client or a peer VDSM: a bounded frame reader, an encoder, heart-beat negotiation and the
// per-connection session rules (CONNECT, SUBSCRIBE, UNSUBSCRIBE, SEND, DISCONNECT).
//
// It is pure. It starts no goroutines, opens no sockets, keeps no process-wide state and knows
// nothing of actors: a connection's reader goroutine reads frames with a Reader, asks its Session
// what each frame means, and carries out the Outcome (handing replies to be written, registering
// subscriptions in the directory, handing requests to the router). Keeping it that way is what lets it be fuzzed and
// replayed from transcripts.
//
// It must never trust a peer's sizes: every allocation the Reader makes is bounded by its Limits,
// checked before the memory is taken. A malformed or over-limit frame is a *ProtocolError; the
// caller answers it with an ERROR frame and closes the connection.
package stomp
