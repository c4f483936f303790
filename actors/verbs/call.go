package verbs

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// Env is what handlers reach: the actors that own state, and the agent's logger.
type Env struct {
	Root       *actor.RootContext
	Host       *actor.PID
	Net        *actor.PID // the network actor; nil when the agent manages no networks
	VMs        *actor.PID // the VM registry
	Index      *vm.Index  // VM id → its actor, without asking the registry
	StuckAfter time.Duration
	Libvirt    *virt.Conn // only to ask whether it is up
	Log        zerolog.Logger
}

// Call is one request on its way through a handler.
type Call struct {
	Method string
	Params map[string]json.RawMessage
	Reply  *reply.Reply
	Flow   string   // ovirtCorrelationId, for the logs
	Local  net.Addr // the agent's address the request came in on (Host.getCapabilities' lastClientIface)
	Env    *Env
}

// Answer is the reply handle; it lets a Call be forwarded as a message to the actor that answers.
func (c *Call) Answer() *reply.Reply { return c.Reply }

// Handler runs a verb. It returns the result, an error (a *vdsm.Error goes to the client as is,
// anything else as -32603), or Deferred when it has handed the reply to another actor.
type Handler func(c *Call) (any, error)

type deferred struct{}

// Deferred is the result of a handler that passed the request on; someone else answers it.
var Deferred any = deferred{}

// Finish answers c from a handler's outcome.
func Finish(c *Call, result any, err error) {
	if err != nil {
		if ve, ok := err.(*vdsm.Error); ok {
			c.Reply.Error(ve.Code, ve.Message)
			return
		}
		c.Reply.Error(vdsm.CodeInternal, vdsm.Internal(err.Error()).Message)
		return
	}
	if result == Deferred {
		return
	}
	if result == nil {
		result = true
	}
	c.Reply.Result(result)
}

// missing is VDSM's answer for an absent required parameter: VDSM itself raises a TypeError that
// surfaces as -32603 with the Python call text; we say which parameter instead.
func missing(method, name string) *vdsm.Error {
	return &vdsm.Error{Code: vdsm.CodeInternal, Message: vdsm.WithContext(vdsm.Message(vdsm.CodeInternal),
		"reason", fmt.Sprintf("Required parameter %s is not provided when calling %s", name, method))}
}

func badParam(method, name, want string) *vdsm.Error {
	return &vdsm.Error{Code: vdsm.CodeInvalidParams, Message: vdsm.WithContext(vdsm.Message(vdsm.CodeInvalidParams),
		"reason", fmt.Sprintf("Parameter %s of %s must be %s", name, method, want))}
}
