package vdsm

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a failure with a VDSM (or JSON-RPC) code and the message the client sees. The message
// is byte-exact with VDSM's where VDSM has one.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("code %d: %s", e.Code, e.Message) }

// Codes used on the wire. JSON-RPC's own live in protocol/jsonrpc; they are repeated here only
// where a verb handler needs to raise them.
const (
	CodeDone                  = 0
	CodeNoSuchVM              = 1
	CodeVMExists              = 4
	CodeVMIsDown              = 6
	CodeCannotCreateVM        = 9
	CodeNoConnectionToPeer    = 10
	CodeMigrationError        = 12
	CodeMigrationCancelFailed = 47
	CodeMigrationLimit        = 82
	CodeMissingParameter      = 11
	CodeUnexpected            = 16
	CodeResourceUnavail       = 40
	CodeVMDestroyFailed       = 42
	CodeNotImplemented        = 44
	CodeMOMPolicyFailed       = 54
	CodeHWInfoFailed          = 57
	CodeResetFailed           = 90
	CodeInvalidParameter      = 91
	CodeRecovery              = 99
	CodeGeneralException      = 100
	CodeResourceExhausted     = 1100

	CodeInvalidParams = -32602
	CodeInternal      = -32603
)

// Messages keyed by code, exactly as VDSM's common/exception.py and define.py spell them.
var messages = map[int]string{
	CodeDone:                  "Done",
	CodeNoSuchVM:              "Virtual machine does not exist",
	CodeVMExists:              "Virtual machine already exists",
	CodeVMIsDown:              "Virtual machine is down",
	CodeCannotCreateVM:        "Error creating the requested VM",
	CodeNoConnectionToPeer:    "Could not connect to peer VDS",
	CodeMigrationError:        "Fatal error during migration",
	CodeMigrationCancelFailed: "Migration not in progress",
	CodeMigrationLimit:        "Incoming migration limit exceeded",
	CodeMissingParameter:      "Missing required parameter",
	CodeUnexpected:            "Unexpected exception",
	CodeResourceUnavail:       "Resource unavailable",
	CodeVMDestroyFailed:       "Virtual machine destroy error",
	CodeNotImplemented:        "Not implemented",
	CodeMOMPolicyFailed:       "Failed to set mom policy",
	CodeHWInfoFailed:          "Failed to read hardware information",
	CodeResetFailed:           "Failed to reset VM.",
	CodeInvalidParameter:      "Invalid parameter",
	CodeRecovery:              "Recovering from crash or Initializing",
	CodeGeneralException:      "General Exception",
	CodeResourceExhausted:     "Not enough resources",
	CodeInvalidParams:         "Invalid method parameter(s)",
	CodeInternal:              "Internal JSON-RPC error",
}

// Message returns VDSM's text for code, or "" when the code has none.
func Message(code int) string { return messages[code] }

// NewError is code's VDSM error with its bare message.
func NewError(code int) *Error { return &Error{Code: code, Message: messages[code]} }

// ContextError renders VDSM's ContextException form: "<message>: {'k': 'v', ...}" with the keys
// in the order given ('reason' is always last, as in VDSM). ctx alternates keys and values.
func ContextError(code int, ctx ...any) *Error {
	return &Error{Code: code, Message: WithContext(messages[code], ctx...)}
}

// WithContext appends a Python-dict-like rendering of ctx (alternating keys and values) to msg.
func WithContext(msg string, ctx ...any) string {
	if len(ctx) == 0 {
		return msg
	}
	type kv struct {
		k string
		v any
	}
	pairs := make([]kv, 0, len(ctx)/2)
	for i := 0; i+1 < len(ctx); i += 2 {
		pairs = append(pairs, kv{fmt.Sprint(ctx[i]), ctx[i+1]})
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].k != "reason" && pairs[j].k == "reason" })
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString(": {")
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(PyRepr(p.k))
		b.WriteString(": ")
		b.WriteString(PyRepr(p.v))
	}
	b.WriteString("}")
	return b.String()
}

// NoSuchVM is code 1 with the VM id as context, as VDSM answers for an unknown VM.
func NoSuchVM(vmID string) *Error { return ContextError(CodeNoSuchVM, "vmId", vmID) }

// NotImplemented is code 44, the honest answer for a VDSM verb this agent does not implement.
func NotImplemented() *Error { return NewError(CodeNotImplemented) }

// Internal is JSON-RPC -32603 with a reason, as VDSM renders unexpected exceptions.
func Internal(reason string) *Error {
	if reason == "" {
		return NewError(CodeInternal)
	}
	return ContextError(CodeInternal, "reason", reason)
}

// ResourceExhausted is the 1100 answer of a full admission queue; current is the queue size,
// as VDSM reports it.
func ResourceExhausted(current int) *Error {
	return ContextError(CodeResourceExhausted, "resource", "jsonrpc", "current_tasks", current, "reason", "Too many tasks")
}
