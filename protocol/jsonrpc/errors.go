package jsonrpc

import "github.com/hostagent/hostagent/protocol/vdsm"

// JSON-RPC 2.0's own error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// Base messages of those codes, spelled as VDSM's yajsonrpc/exception.py spells them; context
// is appended in VDSM's ContextException form (see vdsm.WithContext).
const (
	MsgParseError     = "Invalid JSON was received by the server. An error occurred on the server while parsing the JSON text."
	MsgInvalidRequest = "Invalid request"
	MsgMethodNotFound = "The method does not exist or is not available"
	MsgInvalidParams  = "Invalid method parameter(s)"
	MsgInternalError  = "Internal JSON-RPC error"
)

// Reasons given in -32600 and -32602 messages. The first four are VDSM's own words; the others
// name cases VDSM never answers (or answers wrongly), phrased the same way.
const (
	ReasonWrongVersion     = "Wrong protocol version"
	ReasonMissingMethod    = "missing method header in method"
	ReasonWrongParamsType  = "wrong params type"
	ReasonEmptyBatch       = "request batch is empty"
	ReasonWrongMethodType  = "wrong method type"
	ReasonWrongIDType      = "wrong id type"
	ReasonWrongRequestType = "wrong request type"
	ReasonBatchTooLarge    = "request batch is too large"
	ReasonTooManyParams    = "too many positional parameters"
	ReasonParamsNotJSON    = "params are not valid JSON"
)

// MethodNotFound is the -32601 answer for a method nobody serves.
func MethodNotFound(method string) *vdsm.Error {
	return &vdsm.Error{Code: CodeMethodNotFound, Message: vdsm.WithContext(MsgMethodNotFound, "method", method)}
}

func parseError() *vdsm.Error {
	return &vdsm.Error{Code: CodeParseError, Message: MsgParseError}
}

// invalidRequest renders VDSM's "Invalid request: {'request': <repr>, 'reason': '<reason>'}".
// It is not built with vdsm.WithContext because the request's repr must keep the body's key
// order (Python dicts do) and vdsm.PyRepr sorts keys; the rest of the format is the same.
func invalidRequest(element []byte, reason string) *vdsm.Error {
	b := make([]byte, 0, len(MsgInvalidRequest)+len(element)+len(reason)+32)
	b = append(b, MsgInvalidRequest+": {'request': "...)
	b = appendPyRepr(b, element)
	b = append(b, ", 'reason': "...)
	b = append(b, vdsm.PyRepr(reason)...)
	b = append(b, '}')
	return &vdsm.Error{Code: CodeInvalidRequest, Message: string(b)}
}

// batchTooLarge answers a batch over MaxBatch. Its elements are not echoed: the point of the
// limit is that the answer stays small.
func batchTooLarge(n int) *vdsm.Error {
	return &vdsm.Error{Code: CodeInvalidRequest, Message: vdsm.WithContext(MsgInvalidRequest,
		"length", n, "limit", MaxBatch, "reason", ReasonBatchTooLarge)}
}

func invalidParams(ctx ...any) *vdsm.Error {
	return &vdsm.Error{Code: CodeInvalidParams, Message: vdsm.WithContext(MsgInvalidParams, ctx...)}
}
