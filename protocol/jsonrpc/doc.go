// Package jsonrpc is the JSON-RPC 2.0 codec hostagent speaks inside STOMP SEND and MESSAGE
// bodies: it turns a request body into requests and invalid-request errors, and appends
// responses, batches and notifications to byte slices.
//
// It is pure. It starts no goroutines, does no I/O and keeps no mutable state, so the connection
// reader can call Decode on every body and the fuzzer can call it on anything.
//
// Decode runs once per request on the connection's reader goroutine, so it scans the envelope
// by hand in one pass and never decodes params: they stay raw until a worker names them with
// NamedParams. The texts of its errors are VDSM's, byte for byte, except where VDSM is wrong
// (DESIGN §3.4): a non-object element, a non-string method and an array or object id are
// answered with -32600 here, where VDSM answers -32603, nothing, or kills its dispatcher.
//
// It must never trust a body: nesting is bounded by MaxDepth and a batch by MaxBatch, so a
// hostile body can cost neither the stack nor memory far beyond its own size.
package jsonrpc
