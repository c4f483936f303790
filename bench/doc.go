// Package bench is `agent bench`: a load generator that keeps a fixed number of JSON-RPC requests
// in flight over STOMP connections, measures throughput, latency and CPU, and compares the agent
// with a minimal responder (package baseline) under the same load. The command parses flags into
// a Config and prints the Report; everything else is here.
//
// Files: config.go (what a run does, and its hard bounds), target.go (loopback-only targets),
// runner.go (phases and rounds), load.go (one phase), conn.go (one connection's pipelined driver),
// histogram.go (latencies), report.go (the report and its table).
//
// It must never load anything but loopback unless told to, and never run unbounded.
package bench
