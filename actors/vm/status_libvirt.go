package vm

// libvirt's numbers for domain states, state reasons and lifecycle event details, mirrored here
// so the status machine stays free of the libvirt package (only virt may import it). The
// values are libvirt's ABI (libvirt-domain.h) and never change; virt passes them through as
// plain ints. Only the ones the status machine looks at are listed.

// Domain states (virDomainState), as virDomainGetState returns them.
const (
	DomainNoState     = 0
	DomainRunning     = 1
	DomainBlocked     = 2
	DomainPaused      = 3
	DomainShutdown    = 4 // the guest is shutting down; still running
	DomainShutoff     = 5
	DomainCrashed     = 6
	DomainPMSuspended = 7
)

// Reasons for DomainRunning (virDomainRunningReason).
const (
	RunningUnknown  = 0
	RunningBooted   = 1
	RunningMigrated = 2
	RunningPostcopy = 10
)

// Reasons for DomainPaused (virDomainPausedReason).
const (
	PausedUnknown        = 0
	PausedUser           = 1
	PausedMigration      = 2
	PausedIOError        = 5
	PausedPostcopy       = 12
	PausedPostcopyFailed = 13
)

// Reasons for DomainShutoff (virDomainShutoffReason).
const (
	ShutoffUnknown   = 0
	ShutoffShutdown  = 1
	ShutoffDestroyed = 2
	ShutoffCrashed   = 3
	ShutoffMigrated  = 4
	ShutoffSaved     = 5
	ShutoffFailed    = 6
)

// Details of the STARTED lifecycle event (virDomainEventStartedDetailType).
const (
	StartedBooted   = 0
	StartedMigrated = 1
	StartedRestored = 2
)

// Details of the SUSPENDED lifecycle event (virDomainEventSuspendedDetailType).
const (
	SuspendedPaused         = 0
	SuspendedMigrated       = 1
	SuspendedIOError        = 2
	SuspendedWatchdog       = 3
	SuspendedRestored       = 4
	SuspendedFromSnapshot   = 5
	SuspendedAPIError       = 6
	SuspendedPostcopy       = 7
	SuspendedPostcopyFailed = 8
)

// Details of the RESUMED lifecycle event (virDomainEventResumedDetailType).
const (
	ResumedUnpaused       = 0
	ResumedMigrated       = 1
	ResumedFromSnapshot   = 2
	ResumedPostcopy       = 3
	ResumedPostcopyFailed = 4
)

// Details of the STOPPED lifecycle event (virDomainEventStoppedDetailType).
const (
	StoppedShutdown     = 0
	StoppedDestroyed    = 1
	StoppedCrashed      = 2
	StoppedMigrated     = 3
	StoppedSaved        = 4
	StoppedFailed       = 5
	StoppedFromSnapshot = 6
)

// Details of the SHUTDOWN lifecycle event (virDomainEventShutdownDetailType).
const (
	ShutdownFinished = 0
	ShutdownGuest    = 1
	ShutdownHost     = 2
)

// Actions of the IO_ERROR_REASON event (virDomainEventIOErrorAction).
const (
	IOErrorNone   = 0
	IOErrorPause  = 1
	IOErrorReport = 2
)
