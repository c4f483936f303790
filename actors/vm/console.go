package vm

// The console's disconnect action (VDSM's onConnect, onDisconnect and _timedDesktopLock): what
// the ticket's disconnectAction asks when the console client goes away, unless it comes back.

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// VDSM's console disconnect actions (ConsoleDisconnectAction).
const (
	DisconnectNone       = "NONE"
	DisconnectLockScreen = "LOCK_SCREEN"
	DisconnectLogout     = "LOGOUT"
	DisconnectShutdown   = "SHUTDOWN"
	DisconnectReboot     = "REBOOT"
)

const (
	// reconnectGrace is VDSM's _DESKTOP_LOCK_TIMEOUT: a SPICE client reconnects to its secure
	// channels right after a first disconnect, which is no real disconnect.
	reconnectGrace = 2 * time.Second
	// consoleShutdownTimeout is VDSM's vars.sys_shutdown_timeout: how long a disconnect's
	// shutdown waits for the guest before destroying it.
	consoleShutdownTimeout = 120
)

// console is a VM actor's console state: the last ticket's disconnect action, the initialized
// clients, and the pending action's timer.
type console struct {
	action string
	delay  time.Duration // consoleDisconnectActionDelay: SHUTDOWN waits this long
	// clients are the initialized connections by "node:port". A SPICE session is one connection
	// per channel (main, display, inputs, cursor, ...), each with its own events; several VNC
	// viewers may share a display. The console is left when the last of them goes.
	clients map[string]bool
	timer   *time.Timer
	gen     int
}

// consoleDue is the console's timer: after the grace (act false) or the shutdown delay (act).
type consoleDue struct {
	gen int
	act bool
}

// ticketSet records a ticket's disconnect action (VDSM's default: lock the screen).
func (a *vmActor) ticketSet(action string, delayMinutes int64) {
	if action == "" {
		action = DisconnectLockScreen
	}
	a.con.action, a.con.delay = action, time.Duration(delayMinutes)*time.Minute
}

// graphicsEvent is libvirt's graphics event: an initialized client cancels a pending action;
// the disconnect of the last initialized one starts the grace. Disconnects of clients that
// never logged in change nothing, as in VDSM. VDSM remembers only the latest client, so a SPICE
// channel closing (or a second VNC viewer leaving) would count as the console user leaving while
// the session goes on; this agent waits for the session's last connection.
func (a *vmActor) graphicsEvent(c actor.Context, g virt.Graphics) {
	client := g.ClientNode + ":" + g.ClientPort
	switch g.Phase {
	case virt.GraphicsInitialize:
		if a.con.clients == nil {
			a.con.clients = map[string]bool{}
		}
		a.con.clients[client] = true
		a.stopConsole()
	case virt.GraphicsDisconnect:
		if !a.con.clients[client] {
			return
		}
		delete(a.con.clients, client)
		if len(a.con.clients) == 0 {
			a.armConsole(c, reconnectGrace, false)
		}
	}
}

func (a *vmActor) armConsole(c actor.Context, d time.Duration, act bool) {
	a.stopConsole()
	gen, self, root := a.con.gen, c.Self(), c.ActorSystem().Root
	a.con.timer = time.AfterFunc(d, func() { root.Send(self, &consoleDue{gen: gen, act: act}) })
}

// stopConsole cancels the pending action; one already on its way is told apart by gen.
func (a *vmActor) stopConsole() {
	if a.con.timer != nil {
		a.con.timer.Stop()
		a.con.timer = nil
	}
	a.con.gen++
}

func (a *vmActor) consoleDue(c actor.Context, m *consoleDue) {
	if m.gen != a.con.gen || len(a.con.clients) > 0 {
		return
	}
	a.con.timer = nil
	log := a.log.Info().Str("action", a.con.action)
	switch {
	case a.con.action == DisconnectReboot:
		log.Msg("console disconnected: rebooting the guest")
		a.shutdown(c, &Shutdown{Reply: new(reply.Reply), Reboot: true, Timeout: consoleShutdownTimeout, Force: true})
	case a.con.action == DisconnectShutdown && !m.act:
		log.Dur("delay", a.con.delay).Msg("console disconnected: the guest shuts down after the delay")
		a.armConsole(c, a.con.delay, true)
	case a.con.action == DisconnectShutdown:
		log.Msg("console disconnected: shutting the guest down")
		a.shutdown(c, &Shutdown{Reply: new(reply.Reply), Timeout: consoleShutdownTimeout, Force: true})
	case a.con.action == DisconnectLockScreen || a.con.action == DisconnectLogout:
		// VDSM asks its guest agent; this agent speaks to none.
		a.log.Warn().Str("action", a.con.action).Msg("console disconnected: no guest agent to lock the screen or log the user out")
	}
}
