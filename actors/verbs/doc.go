// Package verbs is the verb table: for each JSON-RPC method the agent serves, its parameters in
// schema order and the handler that runs it. Workers look a method up here and run it; handlers
// validate parameters and either answer at once or hand the request's reply to the actor that
// owns the state (host actor, VM actor). Handlers never block on another actor. It sits under
// actors/ because it is the workers' half of the actor tree: its Env holds the actors' PIDs and
// each handler is a message to one of them.
package verbs
