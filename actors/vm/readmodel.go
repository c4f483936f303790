package vm

// The registry's read model: what Host.getVMList, Host.getAllVmStats, VM.getStats, VM.getInfo
// and Host.dumpxmls answer from. It is the registry's own state (registry.go), fed by the VM
// actors' reports and the sampler's readings; nothing here calls libvirt or waits on a VM actor,
// so a stuck VM never holds up a list.

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// entry is the registry's read model of one VM: what the VM actor last reported, and the last
// two samples. Every Host list verb and VM.getStats answers from here, never from libvirt and
// never by asking a VM actor that might be stuck.
type entry struct {
	h         *Handle
	state     State
	info      DomainInfo
	xml       string
	prev, cur *Sample
	// progress is the outgoing migration's, as the VM actor last published it (migrate_monitor.go);
	// 0 whenever the VM is not a migration's source (registry.go changed).
	progress int
}

func (r *Registry) stats(id string, en *entry, now time.Time) vdsm.VmStats {
	return BuildStats(id, en.info.Name, en.state, en.prev, en.cur, en.info, now, r.cfg.Clock, en.progress, r.responding(en, now))
}

// eventStats is what the VM's status events are cut from (registry.go publish).
func (r *Registry) eventStats(id string, en *entry, now time.Time) vdsm.VmStats {
	return EventStats(id, en.info.Name, en.state, en.prev, en.cur, en.info, now, r.cfg.Clock, en.progress, r.responding(en, now))
}

func (r *Registry) responding(en *entry, now time.Time) bool {
	if _, _, stuck := en.h.Stuck(now, r.cfg.StuckAfter); stuck {
		return false
	}
	return SampleFresh(en.cur, now) && !en.h.Dead() && r.cfg.Libvirt.Alive()
}

func (r *Registry) sampled(ss []virt.DomainStats) {
	if r.cfg.LastSample != nil {
		r.cfg.LastSample.Store(time.Now().UnixNano())
	}
	for i := range ss {
		en, ok := r.vms[ss[i].UUID]
		if !ok {
			continue
		}
		en.prev, en.cur = en.cur, toSample(&ss[i])
	}
}

func (r *Registry) getStats(m *GetStats) {
	now := time.Now()
	ids := []string{m.VMID}
	if m.All {
		ids = r.sortedIDs()
	} else if _, ok := r.vms[m.VMID]; !ok {
		// API.py VM.vm raises NoSuchVM(vmId=...).
		fail(m.Reply, vdsm.NoSuchVM(m.VMID))
		return
	}
	out, err := r.encodeStats(ids, now)
	if err != nil {
		m.Reply.Error(vdsm.CodeInternal, vdsm.Internal("VM stats cannot be encoded").Message)
		return
	}
	m.Reply.Result(out)
}

// encodeStats encodes the VmStats of ids as a JSON list, each element its Variant as
// VmStats.MarshalJSON writes it, into the registry's scratch buffer: valid until the next call.
func (r *Registry) encodeStats(ids []string, now time.Time) (jsonrpc.Encoded, error) {
	if r.statsEnc == nil {
		r.statsEnc = json.NewEncoder(&r.statsBuf)
	}
	b := &r.statsBuf
	b.Reset()
	b.WriteByte('[')
	for _, id := range ids {
		v, err := r.stats(id, r.vms[id], now).Variant()
		if err != nil {
			return nil, fmt.Errorf("VM %s: %w", id, err)
		}
		if err := r.statsEnc.Encode(v); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode ends every value with a newline
		b.WriteByte(',')
	}
	if len(ids) > 0 {
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte(']')
	return jsonrpc.Encoded(b.Bytes()), nil
}

func (r *Registry) sortedIDs() []string {
	ids := make([]string, 0, len(r.vms))
	for id := range r.vms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (r *Registry) short(id string, en *entry, now time.Time) vdsm.VmShortStatus {
	return vdsm.VmShortStatus{VMID: id, Status: LastStatus(en.state), StatusTime: r.cfg.Clock.StatusTime(now)}
}

func (r *Registry) list(m *List) {
	now := time.Now()
	if m.One {
		en, ok := r.vms[firstOr(m.VMIDs)]
		if !ok {
			// rpc/Bridge.py VM_getInfo_Ret takes getVMList's [0]: for an unknown VM an
			// IndexError, which yajsonrpc answers -32603. Same code, in words.
			fail(m.Reply, vdsm.Internal(fmt.Sprintf("Virtual machine %s does not exist", firstOr(m.VMIDs))))
			return
		}
		m.Reply.Result(r.short(m.VMIDs[0], en, now))
		return
	}
	ids := m.VMIDs
	if len(ids) == 0 {
		ids = r.sortedIDs()
	}
	out := make([]vdsm.VmShortStatus, 0, len(ids))
	for _, id := range ids {
		if en, ok := r.vms[id]; ok {
			out = append(out, r.short(id, en, now))
		}
	}
	m.Reply.Result(out)
}

func fail(r interface{ Error(int, string) bool }, e *vdsm.Error) { r.Error(e.Code, e.Message) }

func firstOr(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func (r *Registry) dumpXMLs(m *DumpXMLs) {
	ids := m.VMIDs
	if len(ids) == 0 {
		ids = r.sortedIDs()
	}
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		en, ok := r.vms[id]
		if !ok {
			// API.py dumpxmls indexes vmContainer: a KeyError, which yajsonrpc answers -32603
			// with str(e), the quoted id.
			fail(m.Reply, vdsm.Internal(vdsm.PyRepr(id)))
			return
		}
		out[id] = en.xml
	}
	m.Reply.Result(out)
}

func toSample(s *virt.DomainStats) *Sample {
	out := &Sample{Time: s.Time, State: s.State, CPUTime: s.CPUTime, CPUUser: s.CPUUser, CPUSystem: s.CPUSystem,
		VCPUs: s.VCPUs, BalloonCurKiB: s.BalloonCur, BalloonMaxKiB: s.BalloonMax, MemStats: s.Mem}
	for _, n := range s.Nets {
		out.Nets = append(out.Nets, NetSample{Name: n.Name, RxBytes: n.RxBytes, TxBytes: n.TxBytes,
			RxErrs: n.RxErrs, TxErrs: n.TxErrs, RxDrop: n.RxDrop, TxDrop: n.TxDrop})
	}
	for _, b := range s.Blocks {
		out.Disks = append(out.Disks, DiskSample{Name: b.Name, RdBytes: b.RdBytes, WrBytes: b.WrBytes, RdReqs: b.RdReqs,
			WrReqs: b.WrReqs, FlReqs: b.FlReqs, RdTimes: b.RdTimes, WrTimes: b.WrTimes, FlTimes: b.FlTimes,
			Capacity: b.Capacity, Allocation: b.Allocation, Physical: b.Physical})
	}
	return out
}
