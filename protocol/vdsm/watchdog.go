package vdsm

// WatchdogEvent is the last firing of a guest's watchdog device as VM.getStats reports it
// (vm.py _getRunningVmStats, schema WatchdogEvent). Time is when the agent heard of it, seconds
// since the epoch as a float (VDSM's time.time()); the engine truncates it to whole seconds
// and audits WATCHDOG_EVENT each time it grows (VmAnalyzer.proceedWatchdogEvents). The engine
// also takes one without an action (VdsBrokerObjectsBuilder: "vdsm may not send the action").
type WatchdogEvent struct {
	Time   float64 `json:"time"`
	Action string  `json:"action,omitempty"`
}

// What QEMU did when the watchdog fired, as VDSM names it (schema WatchdogEventAction).
const (
	WatchdogIgnore   = "ignore"
	WatchdogPause    = "pause"
	WatchdogReset    = "reset"
	WatchdogDestroy  = "destroy"
	WatchdogShutdown = "shutdown"
	WatchdogLog      = "log"
)
