package vdsm

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// VM status strings, byte-exact with VDSM's virt/vmstatus.py. Mind the case: "Saving State" but
// "Restoring state".
const (
	StatusWaitForLaunch        = "WaitForLaunch"
	StatusPoweringUp           = "Powering up"
	StatusUp                   = "Up"
	StatusPoweringDown         = "Powering down"
	StatusRebootInProgress     = "RebootInProgress"
	StatusPaused               = "Paused"
	StatusMigrationSource      = "Migration Source"
	StatusMigrationDestination = "Migration Destination"
	StatusSavingState          = "Saving State"
	StatusRestoringState       = "Restoring state"
	StatusDown                 = "Down"
)

// VM.shutdown's defaults where a parameter is absent or false to Python (API.py shutdown and
// VDSM's config: vars user_shutdown_timeout, sys_shutdown_timeout; seconds).
const (
	UserShutdownDelay   = 30
	UserShutdownMessage = "System going down"
	SysShutdownTimeout  = 120
)

// Exit codes of a Down VM (VDSM's define.NORMAL and define.ERROR). The wire carries the int.
const (
	ExitCodeNormal = 0
	ExitCodeError  = 1
)

// Exit reasons of a Down VM (VDSM's virt/vmexitreason.py). The wire carries the int; the engine
// maps it to its own enum, so the numbers must never move.
const (
	ExitReasonSuccess                 = 0
	ExitReasonGenericError            = 1
	ExitReasonLostQEMUConnection      = 2
	ExitReasonLibvirtStartFailed      = 3
	ExitReasonMigrationSucceeded      = 4
	ExitReasonSaveStateSucceeded      = 5
	ExitReasonAdminShutdown           = 6
	ExitReasonUserShutdown            = 7
	ExitReasonMigrationFailed         = 8
	ExitReasonLibvirtDomainMissing    = 9
	ExitReasonDestroyedOnStartup      = 10
	ExitReasonHostShutdown            = 11
	ExitReasonPostcopyMigrationFailed = 12
	ExitReasonDestroyedOnReboot       = 13
	ExitReasonDestroyedOnPauseTimeout = 14
)

// exitMessages are VDSM's texts, spelling mistake included: the engine shows them to users and
// tests compare them byte for byte.
var exitMessages = map[int]string{
	ExitReasonSuccess:                 "VM terminated succesfully",
	ExitReasonGenericError:            "VM terminated with error",
	ExitReasonLostQEMUConnection:      "Lost connection with qemu process",
	ExitReasonLibvirtStartFailed:      "failed to start libvirt vm",
	ExitReasonMigrationSucceeded:      "Migration succeeded",
	ExitReasonSaveStateSucceeded:      "SaveState succeeded",
	ExitReasonAdminShutdown:           "Admin shut down from the engine",
	ExitReasonUserShutdown:            "User shut down from within the guest",
	ExitReasonMigrationFailed:         "VM failed to migrate",
	ExitReasonLibvirtDomainMissing:    "Failed to find the libvirt domain",
	ExitReasonDestroyedOnStartup:      "VM destroyed during the startup",
	ExitReasonHostShutdown:            "VM has been terminated on the host",
	ExitReasonPostcopyMigrationFailed: "Migration failed in post-copy",
	ExitReasonDestroyedOnReboot:       "Down as a part of the reboot process",
	ExitReasonDestroyedOnPauseTimeout: "Down because paused for too long",
}

// ExitMessageUnknown is VDSM's default text for an exit reason it has no message for.
const ExitMessageUnknown = "VM terminated"

// ExitMessage is the default exitMessage for an exit reason.
func ExitMessage(reason int) string {
	if m, ok := exitMessages[reason]; ok {
		return m
	}
	return ExitMessageUnknown
}

// Pause codes: why a Paused VM is paused. The engine acts on EIO and ENOSPC (storage trouble).
const (
	PauseCodeNoErr    = "NOERR"
	PauseCodeEIO      = "EIO"
	PauseCodeENOSPC   = "ENOSPC"
	PauseCodeEOther   = "EOTHER"
	PauseCodePostcopy = "POSTCOPY"
)

// EventTimeBase is added to the host's monotonic milliseconds in notify_time and statusTime, as
// VDSM's event_time() does, so the values never collide with the small numbers of older agents.
const EventTimeBase = 1<<31 - 1

// EventTime is notify_time (and statusTime) for a host-monotonic clock reading.
func EventTime(monotonic time.Duration) int64 { return EventTimeBase + monotonic.Milliseconds() }

// StatusTime is EventTime as the decimal string VmStats and VmShortStatus carry.
func StatusTime(monotonic time.Duration) string {
	return strconv.FormatInt(EventTime(monotonic), 10)
}

// VmShortStatus is one element of Host.getVMList / Host.getVMFullList, and VM.getInfo's result.
type VmShortStatus struct {
	VMID       string `json:"vmId"`
	Status     string `json:"status"`
	StatusTime string `json:"statusTime"`
}

// VmStats is one element of VM.getStats and Host.getAllVmStats: exactly one of Running, PostCopy
// and Down is set, and it alone goes on the wire.
type VmStats struct {
	Running  *RunningVmStats
	PostCopy *PostCopyVmStats
	Down     *DownVmStats
}

// Status is the reported status of either variant.
func (s VmStats) Status() string {
	switch {
	case s.Down != nil:
		return s.Down.Status
	case s.Running != nil:
		return s.Running.Status
	case s.PostCopy != nil:
		return s.PostCopy.Status
	}
	return ""
}

// VMID is the VM id of either variant.
func (s VmStats) VMID() string {
	switch {
	case s.Down != nil:
		return s.Down.VMID
	case s.Running != nil:
		return s.Running.VMID
	case s.PostCopy != nil:
		return s.PostCopy.VMID
	}
	return ""
}

var errEmptyVmStats = errors.New("vdsm: VmStats has no variant set")

func (s VmStats) MarshalJSON() ([]byte, error) {
	v, err := s.Variant()
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// Variant is the variant that is set, the value that goes on the wire for s.
func (s VmStats) Variant() (any, error) {
	switch {
	case s.Down != nil:
		return s.Down, nil
	case s.Running != nil:
		return s.Running, nil
	case s.PostCopy != nil:
		return s.PostCopy, nil
	}
	return nil, errEmptyVmStats
}

// UnmarshalJSON picks the variant by status, so clients (agent call, tests) can read VDSM's
// answers too.
func (s *VmStats) UnmarshalJSON(b []byte) error {
	var probe struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	*s = VmStats{}
	if probe.Status == StatusDown {
		s.Down = new(DownVmStats)
		return json.Unmarshal(b, s.Down)
	}
	s.Running = new(RunningVmStats)
	return json.Unmarshal(b, s.Running)
}

// DownVmStats is a Down VM's record. Its exitCode and exitReason are ints although the schema
// says strings: the engine reads ints. In a VM_status event StatusTime is empty and left out,
// as VDSM sends it.
type DownVmStats struct {
	StatusTime  string `json:"statusTime,omitempty"`
	Status      string `json:"status"`
	VMID        string `json:"vmId"`
	ExitCode    int    `json:"exitCode"`
	ExitMessage string `json:"exitMessage"`
	ExitReason  int    `json:"exitReason"`
	TimeOffset  string `json:"timeOffset,omitempty"`
}

// PostCopyVmStats is the VmStats of a migration's source in post-copy (vm.py getStats): the guest
// runs on the destination, which has its running stats, so the source sends only the
// configuration, the migration's progress and the pause code.
type PostCopyVmStats struct {
	StatusTime        string `json:"statusTime"`
	Status            string `json:"status"`
	VMID              string `json:"vmId"`
	VMName            string `json:"vmName"`
	VMType            string `json:"vmType"`
	KVMEnable         string `json:"kvmEnable"`
	ACPIEnable        string `json:"acpiEnable"`
	MigrationProgress int    `json:"migrationProgress"`
	PauseCode         string `json:"pauseCode,omitempty"`
}

// RunningVmStats is the VmStats of any VM that is not Down (nor a source in post-copy).
type RunningVmStats struct {
	StatusTime string `json:"statusTime"`
	VMID       string `json:"vmId"`
	VMName     string `json:"vmName"`
	VMType     string `json:"vmType"`
	KVMEnable  string `json:"kvmEnable"`
	ACPIEnable string `json:"acpiEnable"`
	RunningStatus
	GuestInfo
}

// RunningStatus is what changes while a VM runs (VDSM's _getRunningVmStats) plus its status.
// Alone, it is the VM_status payload sent when a VM reaches Up.
type RunningStatus struct {
	Status            string `json:"status"`
	ElapsedTime       string `json:"elapsedTime"`
	MonitorResponse   string `json:"monitorResponse"`
	ClientIP          string `json:"clientIp"`
	TimeOffset        string `json:"timeOffset"`
	PauseCode         string `json:"pauseCode,omitempty"`
	MigrationProgress *int   `json:"migrationProgress,omitempty"`

	// CPU figures are percentages over the last sampling interval, '%.2f'; cpuUsage is the
	// cumulative user+system nanoseconds (or "0.00" before two samples, as VDSM sends it).
	CPUUser   string `json:"cpuUser"`
	CPUSys    string `json:"cpuSys"`
	CPUUsage  string `json:"cpuUsage"`
	CPUActual bool   `json:"cpuActual"`
	VCPUCount string `json:"vcpuCount,omitempty"`

	Network     map[string]VMNetworkStats `json:"network,omitempty"`
	Disks       map[string]VMDiskStats    `json:"disks,omitempty"`
	BalloonInfo *BalloonInfo              `json:"balloonInfo,omitempty"`
	MemoryStats *VMMemoryStats            `json:"memoryStats,omitempty"`

	DisplayInfo []DisplayInfo `json:"displayInfo"`
	Hash        string        `json:"hash,omitempty"`
	// WatchdogEvent: once the guest's watchdog fired (watchdog.go).
	WatchdogEvent *WatchdogEvent `json:"watchdogEvent,omitempty"`

	// The CPU QoS (vm.py _getRunningVmStats, _getVmTuneStats): the limit as VDSM keeps it, text
	// (the engine sends it as a string, and VDSM reads it back from metadata as text); the
	// vCPUs' quota as a string and period as a number, each left out when libvirt says 0.
	VCPUUserLimit string `json:"vcpuUserLimit,omitempty"`
	VCPUQuota     string `json:"vcpuQuota,omitempty"`
	VCPUPeriod    uint64 `json:"vcpuPeriod,omitempty"`
}

// GuestInfo is what a guest agent reports. Without an agent VDSM still sends these keys with
// the defaults NoGuestInfo holds.
type GuestInfo struct {
	Username      string   `json:"username"`
	Session       string   `json:"session"`
	MemUsage      string   `json:"memUsage"`
	GuestCPUCount int      `json:"guestCPUCount"`
	AppsList      []string `json:"appsList"`
	GuestIPs      string   `json:"guestIPs"`
	GuestFQDN     string   `json:"guestFQDN"`
	// Only once QEMU's guest agent told them (guest.go); the lists are pointers because VDSM
	// sends an empty one as [] once asked, and no key before.
	GuestName     string         `json:"guestName,omitempty"`
	GuestOs       string         `json:"guestOs,omitempty"`
	GuestOsInfo   *GuestOsInfo   `json:"guestOsInfo,omitempty"`
	GuestTimezone *GuestTimezone `json:"guestTimezone,omitempty"`
	NetIfaces     *[]NetIface    `json:"netIfaces,omitempty"`
	DisksUsage    *[]DiskUsage   `json:"disksUsage,omitempty"`
}

// NoGuestInfo is GuestInfo for a VM whose guest agent has said nothing.
func NoGuestInfo() GuestInfo {
	return GuestInfo{
		Username:      "Unknown",
		Session:       "Unknown",
		MemUsage:      "0",
		GuestCPUCount: -1,
		AppsList:      []string{},
	}
}

// DisplayInfo is one graphics device. Every value is a string; ipAddress is "0" when unknown.
type DisplayInfo struct {
	Type      string `json:"type"`
	Port      string `json:"port"`
	TLSPort   string `json:"tlsPort"`
	IPAddress string `json:"ipAddress"`
}

// VMNetworkStats is one vNIC, keyed by its host-side device name. Counters are cumulative.
type VMNetworkStats struct {
	MACAddr    string  `json:"macAddr"`
	Name       string  `json:"name"`
	Speed      string  `json:"speed"`
	State      string  `json:"state"`
	RxErrors   string  `json:"rxErrors"`
	RxDropped  string  `json:"rxDropped"`
	TxErrors   string  `json:"txErrors"`
	TxDropped  string  `json:"txDropped"`
	Rx         string  `json:"rx"`
	Tx         string  `json:"tx"`
	SampleTime float64 `json:"sampleTime"`
}

// VMDiskStats is one drive, keyed by its target name. Latencies are ns per operation and rates
// bytes per second over the interval; byte and op counts are cumulative.
type VMDiskStats struct {
	TrueSize     string `json:"truesize"`
	ApparentSize string `json:"apparentsize"`
	ReadLatency  string `json:"readLatency"`
	WriteLatency string `json:"writeLatency"`
	FlushLatency string `json:"flushLatency"`
	WrittenBytes string `json:"writtenBytes"`
	WriteOps     string `json:"writeOps"`
	ReadOps      string `json:"readOps"`
	ReadBytes    string `json:"readBytes"`
	ReadRate     string `json:"readRate"`
	WriteRate    string `json:"writeRate"`
	ImageID      string `json:"imageID,omitempty"`
	LunGUID      string `json:"lunGUID,omitempty"`
}

// BalloonInfo is the memory balloon, sizes in KiB as strings. MOM ignores a VM until all of it
// is known, so it is sent whole or not at all.
type BalloonInfo struct {
	BalloonMax        string `json:"balloon_max"`
	BalloonMin        string `json:"balloon_min"`
	BalloonCur        string `json:"balloon_cur"`
	BalloonTarget     string `json:"balloon_target"`
	BallooningEnabled bool   `json:"ballooning_enabled"`
}

// VMMemoryStats is the guest's view of its memory from the balloon driver: sizes in KiB as
// strings; the fault and swap rates (per second, ints) only once two samples exist.
type VMMemoryStats struct {
	MemTotal  string `json:"mem_total"`
	MemUnused string `json:"mem_unused"`
	MemFree   string `json:"mem_free"`
	SwapIn    *int64 `json:"swap_in,omitempty"`
	SwapOut   *int64 `json:"swap_out,omitempty"`
	MajFlt    *int64 `json:"majflt,omitempty"`
	MinFlt    *int64 `json:"minflt,omitempty"`
	PageFlt   *int64 `json:"pageflt,omitempty"`
}

// Payloads of |virt|VM_status|<vmId> events other than RunningStatus and DownVmStats.

// StatusOnly is the payload of pause, cont, and migration start and failure.
type StatusOnly struct {
	Status string `json:"status"`
}

// PauseCodeStatus is the payload when post-copy migration starts.
type PauseCodeStatus struct {
	Status    string `json:"status"`
	PauseCode string `json:"pauseCode"`
}

// IOErrorStatus is the payload when a disk error pauses the VM.
type IOErrorStatus struct {
	Status    string      `json:"status"`
	PauseCode string      `json:"pauseCode"`
	IOError   IOErrorInfo `json:"ioerror"`
}

// IOErrorInfo names the failing disk; name and path are left out when the alias is unknown.
type IOErrorInfo struct {
	Alias string `json:"alias"`
	Name  string `json:"name,omitempty"`
	Path  string `json:"path,omitempty"`
}

// GuestStatus is the payload when the guest's own status changes (a reboot, an agent report).
type GuestStatus struct {
	Status string `json:"status"`
	GuestInfo
}

// VMStatusMethod is the notification method of a VM's status event.
func VMStatusMethod(vmID string) string { return "|virt|VM_status|" + vmID }

// VMStatusParams is the params object of a VM_status notification: the payload under the VM's
// id, next to notify_time. The engine treats every other key as a VM id.
type VMStatusParams struct {
	VMID       string
	Details    any
	NotifyTime int64
}

func (p VMStatusParams) MarshalJSON() ([]byte, error) {
	details, err := json.Marshal(p.Details)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]json.RawMessage{
		p.VMID:        details,
		"notify_time": json.RawMessage(strconv.FormatInt(p.NotifyTime, 10)),
	})
}
