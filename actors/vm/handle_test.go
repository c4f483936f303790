package vm

import (
	"fmt"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

// A turn's label is what %T prints for its message: the stuck-call report names it.
func TestTurnLabelIsTheMessageType(t *testing.T) {
	for _, m := range []any{&libvirtEvent{}, &Destroy{}, &Pause{}, &Cont{}, &Reset{}, &Shutdown{},
		&shutdownTimedOut{}, &resync{}, &SetDestroyOnRebootVerb{}, &agentTick{}, &agentAnswers{}, &actor.Started{}} {
		if got, want := *turnLabel(m), fmt.Sprintf("%T", m); got != want {
			t.Errorf("turnLabel = %q, want %q", got, want)
		}
	}
}
