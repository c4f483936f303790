package vm

import "sync"

// OutgoingLimit is VDSM's migration semaphore (migration.py SourceThread.ongoingMigrations, a
// DynamicBoundedSemaphore of max_outgoing_migrations): at most bound outgoing migrations of this
// host move data at once; the others wait, in Migration Source, before they call the
// destination. VDSM never refuses for it, and neither does this: a wait is bounded by the VMs on
// the host (each has at most one migration) and ends when a running migration ends or the
// waiting one is cancelled. A VM.migrate's outgoingLimit moves the bound for the host, as in VDSM.
// Shared by every VM actor of the host, which use it from their migration goroutines.
type OutgoingLimit struct {
	mu    sync.Mutex
	bound int
	used  int
	freed chan struct{} // closed and replaced whenever a slot frees or the bound grows
}

// NewOutgoingLimit is a limit of n (VDSM's default 2 when n < 1).
func NewOutgoingLimit(n int) *OutgoingLimit {
	if n < 1 {
		n = 2
	}
	return &OutgoingLimit{bound: n, freed: make(chan struct{})}
}

// TryAcquire takes a slot if one is free.
func (l *OutgoingLimit) TryAcquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used >= l.bound {
		return false
	}
	l.used++
	return true
}

// Acquire waits for a slot; false if stop closed first.
func (l *OutgoingLimit) Acquire(stop <-chan struct{}) bool {
	for {
		l.mu.Lock()
		if l.used < l.bound {
			l.used++
			l.mu.Unlock()
			return true
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-freed:
		case <-stop:
			return false
		}
	}
}

// Release gives a slot back.
func (l *OutgoingLimit) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.used--
	l.wake()
}

// SetBound changes the bound; migrations running past a lowered bound finish, and no new one
// starts until they are below it.
func (l *OutgoingLimit) SetBound(n int) {
	if n < 1 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bound = n
	l.wake()
}

func (l *OutgoingLimit) wake() {
	close(l.freed)
	l.freed = make(chan struct{})
}
