package vdsm

// The codes of the QoS verbs (VM.updateVmPolicy, VM.setCpuTuneQuota, VM.setCpuTunePeriod), as
// lib/vdsm/common/exception.py spells them.
const (
	CodeCPUTuneError         = 62
	CodeUpdateVMPolicyFailed = 63
)

func init() {
	messages[CodeCPUTuneError] = "CpuTune operation is not available"
	messages[CodeUpdateVMPolicyFailed] = "Failed to update VM SLA policy"
}

// EmptyPolicy is vm.py updateVmPolicy's answer to params with nothing to set:
// response.error('MissParam', ...), code 11 with its own text.
func EmptyPolicy() *Error {
	return &Error{Code: CodeMissingParameter, Message: "updateVmPolicy got an empty policy."}
}

// CPUTuneNotInteger is vm.py setCpuTuneQuota/setCpuTunePeriod's answer to a value int() refuses;
// VDSM says "period" for the quota too.
func CPUTuneNotInteger() *Error {
	return &Error{Code: CodeCPUTuneError, Message: "an integer is required for period"}
}
