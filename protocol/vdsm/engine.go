package vdsm

// Codes of the console verbs (VM.setTicket, VM.updateDevice), spelled as VDSM's
// common/exception.py spells them. They join the one table of messages.
const (
	CodeSpiceTicket        = 18
	CodeUpdateDeviceFailed = 56
)

func init() {
	messages[CodeSpiceTicket] = "Error while setting spice ticket"
	messages[CodeUpdateDeviceFailed] = "Failed to update device"
}

// What the engine asks to happen when the last console client disconnects
// (VM.updateDevice graphics disconnectAction); VDSM's default is LOCK_SCREEN.
const (
	DisconnectLockScreen = "LOCK_SCREEN"
	DisconnectLogout     = "LOGOUT"
	DisconnectShutdown   = "SHUTDOWN"
	DisconnectReboot     = "REBOOT"
	DisconnectNone       = "NONE"
)
