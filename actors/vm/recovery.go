package vm

// Recovery and resync: the registry's listings of libvirt's domains. A listing runs off the
// registry's turn (the registry answers every list verb, so it never waits on libvirt) and comes
// back as domainsListed. Listings are single-flight: at most one runs at a time, and whatever
// asks for one meanwhile (a burst of events about unknown domains, a reconnect) is served by the
// one in flight when its result already answers it, or else by one follow-up listing for all of
// them. A host where a tool defines a hundred domains costs two listings, not a hundred
// goroutines each listing everything.

import (
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/virt"
)

// Why the registry lists libvirt's domains.
const (
	listToRecover = iota
	listToResync
	listToAdopt
)

// wants is what a listing must serve.
type wants struct {
	recover, resync bool
	adopt           map[string]bool // domains an event named that the registry does not know
}

func (w *wants) add(why int, uuid string) {
	switch why {
	case listToRecover:
		w.recover = true
	case listToResync:
		w.resync = true
	case listToAdopt:
		if w.adopt == nil {
			w.adopt = map[string]bool{}
		}
		w.adopt[uuid] = true
	}
}

func (w *wants) empty() bool { return !w.recover && !w.resync && len(w.adopt) == 0 }

// listings is the registry's single-flight state: running is what the listing in flight
// serves (nil when none runs), next what was asked for since it started.
type listings struct {
	running *wants
	next    wants
	started int // listings started so far (for the logs and tests)
}

// domainsListed is libvirt's domain list, fetched off the registry's turn.
type domainsListed struct {
	doms []virt.Domain
	err  error
}

// listDomains asks for a listing: it starts one unless one is in flight already.
func (r *Registry) listDomains(c actor.Context, why int, uuid string) {
	r.lists.next.add(why, uuid)
	if r.lists.running == nil {
		r.startListing(c)
	}
}

func (r *Registry) startListing(c actor.Context) {
	w := r.lists.next
	r.lists.running, r.lists.next = &w, wants{}
	r.lists.started++
	root, self, lv := c.ActorSystem().Root, c.Self(), r.cfg.Libvirt
	go func() {
		doms, err := lv.Domains()
		root.Send(self, &domainsListed{doms: doms, err: err})
	}()
}

func (r *Registry) listed(c actor.Context, m *domainsListed) {
	w := r.lists.running
	r.lists.running = nil
	if w == nil {
		return
	}
	if w.recover {
		r.recover(c, m.doms, m.err)
	}
	if w.resync {
		r.resync(c, m.doms, m.err)
	}
	if m.err == nil {
		// Every domain libvirt has is a VM of this host, so a listing adopts all the unknown
		// ones it finds, not only those an event named: the events of a burst of definitions
		// trickle in after the listing that already has their domains. Domains named since
		// this listing started are served by it when it has them; only the rest need a
		// listing of their own.
		for _, d := range m.doms {
			if _, known := r.vms[d.UUID]; !known {
				r.adopt(c, d)
			}
			delete(r.lists.next.adopt, d.UUID)
		}
		r.updateCounts(c)
	} else if len(w.adopt) > 0 {
		// Not retried here: a failing libvirt fails again at once. A lost connection ends
		// in a resync, which adopts every unknown domain.
		r.cfg.Log.Warn().Err(m.err).Int("domains", len(w.adopt)).Msg("listing domains to adopt")
	}
	for id := range r.lists.next.adopt {
		if _, known := r.vms[id]; known {
			delete(r.lists.next.adopt, id)
		}
	}
	if !r.lists.next.empty() {
		r.startListing(c)
	}
}

// resync makes up for the events missed while libvirt was away: every VM actor is told how its
// domain stands now, domains that appeared are adopted.
func (r *Registry) resync(c actor.Context, doms []virt.Domain, err error) {
	if err != nil {
		r.cfg.Log.Error().Err(err).Msg("resync after reconnect")
		return
	}
	seen := map[string]bool{}
	for i := range doms {
		d := doms[i]
		seen[d.UUID] = true
		if en, ok := r.vms[d.UUID]; ok {
			c.Send(en.h.PID, &resync{dom: &d})
			continue
		}
		r.adopt(c, d)
	}
	for id, en := range r.vms {
		if !seen[id] {
			c.Send(en.h.PID, &resync{})
		}
	}
	r.updateCounts(c)
	r.cfg.Log.Info().Int("vms", len(r.vms)).Msg("libvirt connection back; VMs resynced")
}

// recover attaches a VM actor to every domain libvirt has. Nothing is restarted. The agent is
// ready once every adopted VM's actor has made its first report (its first libvirt read: a
// recovered migration's job, a domain paused for post-copy), as VDSM's recovery waits for its
// VMs to leave WaitForLaunch: until then the read model holds what the listing said, which such
// a read may still correct. The wait is bounded (awaitFirstReports).
func (r *Registry) recover(c actor.Context, doms []virt.Domain, err error) {
	if err != nil {
		r.cfg.Log.Error().Err(err).Msg("listing domains for recovery")
	}
	for _, d := range doms {
		if _, ok := r.vms[d.UUID]; ok {
			continue
		}
		r.adopt(c, d)
	}
	r.updateCounts(c)
	r.cfg.Log.Info().Int("vms", len(r.vms)).Msg("VMs recovered; waiting for their first reports")
	r.awaitFirstReports(c)
}

// recovery is the registry's wait for the adopted VMs' first reports.
type recovery struct {
	waiting bool            // Recover asked, the agent not ready yet
	done    bool            // ready: the wait is over for good
	timer   *time.Timer     // the bound on the wait
	held    []heldEmit      // status events reported meanwhile, published once ready
	pending map[string]bool // adopted VMs whose actor has not reported yet
}

type heldEmit struct {
	id string
	e  EmitStatus
}

// recoveryDue is the bound on the wait running out.
type recoveryDue struct{}

// awaitFirstReports declares the agent ready now if every adopted VM has reported, or else when
// the last one does or dies, or when RecoveryWait runs out: a VM actor inside a hung libvirt
// call costs that VM (it reads not responding, as VDSM reads a VM whose libvirt calls hang),
// never the whole agent's recovery.
func (r *Registry) awaitFirstReports(c actor.Context) {
	if r.rec.done {
		return
	}
	r.rec.waiting = true
	if len(r.rec.pending) == 0 {
		r.recovered(c)
		return
	}
	if r.rec.timer == nil {
		root, self := c.ActorSystem().Root, c.Self()
		r.rec.timer = time.AfterFunc(r.cfg.RecoveryWait, func() { root.Send(self, &recoveryDue{}) })
	}
}

// reported is a VM's report (or its actor's death): its first one ends its part in the wait.
// The status events of reports before readiness are held: the engine ignores what a recovering
// host says, so the recovered VMs announce themselves once the agent is ready.
func (r *Registry) reported(c actor.Context, id string, emit []EmitStatus) (held bool) {
	delete(r.rec.pending, id)
	if r.rec.done {
		return false
	}
	for _, e := range emit {
		r.rec.held = append(r.rec.held, heldEmit{id: id, e: e})
	}
	if r.rec.waiting && len(r.rec.pending) == 0 {
		r.recovered(c)
	}
	return true
}

// recoveryTimedOut declares recovery done without the VMs that have not reported.
func (r *Registry) recoveryTimedOut(c actor.Context) {
	if r.rec.done {
		return
	}
	ids := make([]string, 0, len(r.rec.pending))
	for id := range r.rec.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	r.cfg.Log.Warn().Strs("vm_ids", ids).Dur("waited", r.cfg.RecoveryWait).
		Msg("recovery done without the first report of these VMs; they read not responding until their actors answer")
	r.recovered(c)
}

func (r *Registry) recovered(c actor.Context) {
	r.rec.done, r.rec.waiting = true, false
	if r.rec.timer != nil {
		r.rec.timer.Stop()
	}
	r.updateCounts(c)
	r.cfg.Log.Info().Int("vms", len(r.vms)).Msg("recovery done")
	r.cfg.Ready.Store(true)
	if r.cfg.OnReady != nil {
		r.cfg.OnReady()
		r.cfg.OnReady = nil
	}
	for _, h := range r.rec.held {
		if en, ok := r.vms[h.id]; ok {
			r.publish(c, h.id, en, h.e)
		}
	}
	r.rec.held = nil
}

func (r *Registry) adopt(c actor.Context, d virt.Domain) {
	info, err := ParseDomainXML(d.XML)
	if err != nil {
		r.cfg.Log.Warn().Err(err).Str("vm_id", d.UUID).Msg("domain XML unreadable; recovering with what libvirt says")
		info = DomainInfo{UUID: d.UUID, Name: d.Name}
	}
	rec := &Recovered{State: d.State, Reason: d.Reason, Meta: info.Meta}
	r.spawn(c, d.UUID, &vmActor{rec: rec, info: info, xml: d.XML, announce: true})
	if !r.rec.done {
		if r.rec.pending == nil {
			r.rec.pending = map[string]bool{}
		}
		r.rec.pending[d.UUID] = true
	}
}
