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

// The answers below are VDSM's for each failure a verb can meet; each names the VDSM source it
// follows (lib/vdsm/API.py, virt/vm.py, common/api.py, common/exception.py, rpc/Bridge.py,
// yajsonrpc/__init__.py at oVirt/vdsm master).

// GeneralException is code 100 as common/api.py's api.method renders an exception that is not
// VDSM's own: GeneralException(str(e)), whose text is "General Exception: " and the repr of its
// args tuple, e.g. "General Exception: ('internal error: domain not running',)". libvirt
// errors from VM.pause and VM.cont reach the client this way (vm.py pause/cont call
// dom.suspend/resume without catching libvirtError).
func GeneralException(text string) *Error {
	return &Error{Code: CodeGeneralException, Message: messages[CodeGeneralException] + ": " + PyTuple(text)}
}

// NotConnected is VM.pause on a VM whose domain is gone (Down): vm.py's _dom is then a
// virdomain.Disconnected, whose every attribute raises NotConnectedError with this text, and
// api.method turns it into code 100.
func NotConnected(vmID string) *Error {
	return GeneralException(fmt.Sprintf("VM %s was not defined yet or was undefined", PyRepr(vmID)))
}

// DestroyFailed is code 42, bare: vm.py _destroyVmGraceful/_destroyVmForceful answer
// response.error('destroyErr') when libvirt's destroy fails.
func DestroyFailed() *Error { return NewError(CodeVMDestroyFailed) }

// ResetFailed is code 90: vm.py reset raises ResetFailed (a ContextException) when libvirt's
// reset fails. VDSM raises it without context; the reason says what libvirt answered.
func ResetFailed(reason string) *Error { return ContextError(CodeResetFailed, "reason", reason) }

// Unexpected is code 16, bare: vm.py cont answers response.error('unexpected') when the VM
// cannot be resumed in its status.
func Unexpected() *Error { return NewError(CodeUnexpected) }

// VMExists is code 4, bare: API.py VM.create raises VMExists() for a VM id already known.
func VMExists() *Error { return NewError(CodeVMExists) }

// PyTuple renders values as Python's repr of a tuple of them: "('a',)" for one, "('a', 1)".
func PyTuple(vals ...any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(PyRepr(v))
	}
	if len(vals) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

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
