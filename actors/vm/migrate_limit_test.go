package vm

import "testing"

func TestOutgoingLimitWaitsForASlot(t *testing.T) {
	l := NewOutgoingLimit(2)
	if !l.TryAcquire() || !l.TryAcquire() {
		t.Fatal("two slots of two not free")
	}
	if l.TryAcquire() {
		t.Fatal("a third migration took a slot of two")
	}
	got := make(chan bool)
	go func() { got <- l.Acquire(nil) }()
	l.Release()
	if !<-got {
		t.Fatal("the waiting migration did not get the freed slot")
	}
	if l.TryAcquire() {
		t.Fatal("the freed slot was taken twice")
	}
}

func TestOutgoingLimitWaitEndsOnCancel(t *testing.T) {
	l := NewOutgoingLimit(1)
	l.TryAcquire()
	stop := make(chan struct{})
	got := make(chan bool)
	go func() { got <- l.Acquire(stop) }()
	close(stop)
	if <-got {
		t.Fatal("a cancelled wait took a slot")
	}
	l.Release()
	if !l.TryAcquire() {
		t.Fatal("the cancelled wait kept a slot")
	}
}

// outgoingLimit of VM.migrate moves the bound: a raised one lets a waiting migration start, a
// lowered one lets running migrations finish and starts none until they are below it.
func TestOutgoingLimitBoundMoves(t *testing.T) {
	l := NewOutgoingLimit(1)
	l.TryAcquire()
	got := make(chan bool)
	go func() { got <- l.Acquire(nil) }()
	l.SetBound(2)
	if !<-got {
		t.Fatal("a raised bound did not start the waiting migration")
	}
	l.SetBound(1)
	l.Release()
	if l.TryAcquire() {
		t.Fatal("a slot free while the running migrations are at the lowered bound")
	}
	l.Release()
	if !l.TryAcquire() {
		t.Fatal("no slot once below the lowered bound")
	}
	if NewOutgoingLimit(0).bound != 2 {
		t.Fatal("the default is not VDSM's 2")
	}
}
