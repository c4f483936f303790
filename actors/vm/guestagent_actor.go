package vm

// The VM actor's side of QEMU's guest agent: it polls the agent while libvirt says its channel
// is connected, every agentPollPeriod, as VDSM's QemuGuestAgentPoller does. The calls wait for
// the guest, so they run on a goroutine of their own and come back as agentAnswers: a hung
// agent (or a hung call) costs its own answer and nothing else, and one poll at most is out
// per VM.

import (
	"encoding/xml"
	"reflect"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// agentChannelName is the virtio-serial port QEMU's guest agent listens on.
const agentChannelName = "org.qemu.guest_agent.0"

// agentState is the actor's agent bookkeeping.
type agentState struct {
	poll  agentPoller
	busy  bool // a poll is out
	timer *time.Timer
	gen   int // the timer's generation: a tick of a stopped timer is ignored
}

// agentTick: time for the next poll.
type agentTick struct {
	gen int
	of  *agentState
}

// agentAnswers: a poll's outcome.
type agentAnswers struct {
	answers []agentAnswer
	of      *agentState
}

// agentMessage takes the agent's own messages. Both say whose they are: an actor restarted
// after a panic keeps its PID, so a tick or a poll's answers of the earlier incarnation reach the
// new one, whose generations start over and whose own poll may be out.
func (a *vmActor) agentMessage(c actor.Context, m any) {
	switch m := m.(type) {
	case *agentTick:
		if m.of == &a.agent && m.gen == a.agent.gen {
			a.agent.timer = nil
			a.agentPoll(c)
		}
	case *agentAnswers:
		if m.of == &a.agent {
			a.agentAnswered(c, m.answers)
		}
	}
}

// agentChannel follows libvirt's agent lifecycle event. A disconnected agent is not asked and
// what it reported stays (VDSM keeps the last guest info).
func (a *vmActor) agentChannel(c actor.Context, connected bool) {
	was := a.agent.poll.connected
	a.agent.poll.connected = connected
	a.log.Info().Bool("connected", connected).Msg("QEMU guest agent channel")
	if !connected {
		a.agentStop()
		return
	}
	if !was {
		a.agent.poll.failed = time.Time{} // VDSM forgets failures when the channel connects
	}
	a.agentPoll(c)
}

// agentRebooted: the guest rebooted; its agent must say again that it is there (VDSM
// invalidates the agent's capabilities).
func (a *vmActor) agentRebooted() { a.agent.poll.version, a.agent.poll.commands = "", nil }

// agentHint reads the channel's state from the domain XML of a VM the agent found running:
// the connect event came before this agent was there to hear it (VDSM's channel_state_hint).
func (a *vmActor) agentHint(c actor.Context, domainXML string) {
	if agentConnectedIn(domainXML) {
		a.agentChannel(c, true)
	}
}

// agentConnectedIn: the live domain XML shows the agent's channel connected.
func agentConnectedIn(domainXML string) bool {
	var d struct {
		Channels []struct {
			Target struct {
				Name  string `xml:"name,attr"`
				State string `xml:"state,attr"`
			} `xml:"target"`
		} `xml:"devices>channel"`
	}
	if xml.Unmarshal([]byte(domainXML), &d) != nil {
		return false
	}
	for _, ch := range d.Channels {
		if ch.Target.Name == agentChannelName && ch.Target.State == "connected" {
			return true
		}
	}
	return false
}

// agentPoll asks what is due, or waits for the next period.
func (a *vmActor) agentPoll(c actor.Context) {
	if a.agent.busy || !a.agent.poll.connected || a.state.Status == vdsm.StatusDown || a.removed {
		return
	}
	if !a.state.CPURunning {
		a.agentArm(c) // a paused guest cannot answer: VDSM asks running domains only
		return
	}
	now := time.Now()
	due := agentDue(a.agent.poll, now, time.UnixMilli(a.state.StartTime), haveGlobalAddress(a.state.Guest))
	if len(due) == 0 {
		a.agentArm(c)
		return
	}
	a.agent.busy = true
	lv, id, self, root, of := a.lv, a.id, c.Self(), c.ActorSystem().Root, &a.agent
	go func() { root.Send(self, &agentAnswers{answers: askAgent(lv, id, due), of: of}) }()
}

// askAgent makes the calls, one after the other, each bounded by agentCommandTimeout.
func askAgent(lv *virt.Conn, id string, cmds []string) []agentAnswer {
	out := make([]agentAnswer, 0, len(cmds))
	for _, cmd := range cmds {
		a := agentAnswer{Cmd: cmd}
		if cmd == qgaNetwork {
			a.Interfaces, a.Err = lv.AgentInterfaces(id, agentCommandTimeout)
		} else {
			a.Raw, a.Err = lv.AgentCommand(id, `{"execute":"`+cmd+`"}`, agentCommandTimeout)
		}
		out = append(out, a)
	}
	return out
}

func (a *vmActor) agentAnswered(c actor.Context, answers []agentAnswer) {
	a.agent.busy = false
	poll, info, up := applyAgent(a.agent.poll, a.state.Guest, answers, time.Now())
	poll.connected = a.agent.poll.connected // the channel may have changed while the poll was out
	a.agent.poll = poll
	for _, an := range answers {
		if an.Err != nil {
			a.log.Debug().Err(an.Err).Str("command", an.Cmd).Msg("QEMU guest agent did not answer")
		}
	}
	switch {
	case up:
		a.log.Info().Str("version", poll.version).Msg("QEMU guest agent is up")
		a.step(c, AgentUp{Info: info})
		a.agentPoll(c) // what it can do is known now: ask it at once
		return
	case !reflect.DeepEqual(a.state.Guest, info):
		a.step(c, AgentReport{Info: info})
	}
	a.agentArm(c)
}

// agentArm sets the timer for the next poll.
func (a *vmActor) agentArm(c actor.Context) {
	if a.agent.timer != nil || !a.agent.poll.connected || a.state.Status == vdsm.StatusDown || a.removed {
		return
	}
	a.agent.gen++
	gen, self, root, of := a.agent.gen, c.Self(), c.ActorSystem().Root, &a.agent
	a.agent.timer = time.AfterFunc(agentPollPeriod, func() { root.Send(self, &agentTick{gen: gen, of: of}) })
}

// agentStop stops the poll timer (the channel went away, or the actor stops).
func (a *vmActor) agentStop() {
	if a.agent.timer != nil {
		a.agent.timer.Stop()
		a.agent.timer = nil
	}
	a.agent.gen++
}
