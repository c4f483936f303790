package vm

import (
	"strings"
	"testing"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

// libvirtWords stands for a message that is libvirt's refusal, whose wording is libvirt's version's:
// the test driver's (9.0) are "unsupported flags (0x3) in function
// testDomainSetSchedulerParametersFlags" and "argument unsupported: parameter 'vcpu_quota' not
// supported".
const libvirtWords = "libvirt's words"

func fromLibvirt(msg string) bool {
	return strings.Contains(msg, "SchedulerParameters") || strings.Contains(msg, "vcpu_quota")
}

// The VM actor answers the QoS verbs as vm.py does, in this order: an empty policy, a VM with no
// domain to hold it, ioTune entries naming disks the VM lacks, then libvirt's own refusal (the
// test driver has no vCPU bandwidth), each leaving the VM's reported limit untouched.
func TestUpdateVMPolicyAnswers(t *testing.T) {
	h := newHarness(t)
	id := "31313131-4242-4535-8686-979797979797"
	h.create("policy", id)
	limit := "50"
	tests := []struct {
		name string
		id   string
		msg  func(*reply.Reply) any
		code int
		text string
	}{
		{"empty", id, func(r *reply.Reply) any { return &UpdateVMPolicy{Reply: r} }, 11, "updateVmPolicy got an empty policy."},
		{"down", hostVMs[2], func(r *reply.Reply) any { return &UpdateVMPolicy{Reply: r, VCPULimit: &limit, Given: true} },
			63, "Failed to update VM SLA policy"},
		{"ioTune by IDs", id, func(r *reply.Reply) any {
			return &UpdateVMPolicy{Reply: r, VCPULimit: &limit, Given: true,
				IoTune: []map[string]string{{"domainID": "'d'", "poolID": "'p'", "imageID": "'i'", "volumeID": "'v'"}}}
		}, 63, `No such drive: '{'domainID': 'd', 'poolID': 'p', 'imageID': 'i', 'volumeID': 'v'}'`},
		{"libvirt refuses", id, func(r *reply.Reply) any { return &UpdateVMPolicy{Reply: r, VCPULimit: &limit, Given: true} },
			63, libvirtWords},
		{"setCpuTuneQuota", id, func(r *reply.Reply) any { q := int64(5000); return &SetCPUTune{Reply: r, Quota: &q} },
			62, libvirtWords},
	}
	for _, tt := range tests {
		a := h.verb(tt.id, tt.msg)
		if a.Error == nil || a.Error.Code != tt.code || (a.Error.Message != tt.text && !(tt.text == libvirtWords && fromLibvirt(a.Error.Message))) {
			t.Errorf("%s: %+v %s; want %d %q", tt.name, a.Error, a.Result, tt.code, tt.text)
		}
	}
	a := h.verb(id, func(r *reply.Reply) any { return &UpdateVMPolicy{Reply: r, Given: true} })
	if a.Error != nil || string(a.Result) != `{"code":0,"message":"Done"}` {
		t.Errorf("nothing to change: %+v %s; want Done", a.Error, a.Result)
	}
}

// A Down VM's domain is no longer VDSM's to tune: vm.py's setCpuTuneQuota and setCpuTunePeriod
// reach a disconnected domain, whose NotConnectedError api.method answers as code 100 with its
// text. The domain must not be touched: on a real libvirt the call would rewrite the stopped
// domain's persistent definition and answer Done.
func TestSetCPUTuneOfDownVM(t *testing.T) {
	h := newHarness(t)
	q, p := int64(5000), uint64(100000)
	for _, msg := range []func(*reply.Reply) any{
		func(r *reply.Reply) any { return &SetCPUTune{Reply: r, Quota: &q} },
		func(r *reply.Reply) any { return &SetCPUTune{Reply: r, Period: &p} },
	} {
		a := h.verb(hostVMs[2], msg)
		want := `General Exception: ("VM '` + hostVMs[2] + `' was not defined yet or was undefined",)`
		if a.Error == nil || a.Error.Code != 100 || a.Error.Message != want {
			t.Errorf("%+v %s; want 100 %q", a.Error, a.Result, want)
		}
	}
}

// A domain gone from libvirt before its VM actor heard of it: vm.py _getVmPolicy logs the
// failed metadata read and returns None, which updateVmPolicy answers as a bare updateVmPolicyErr
// (not NoSuchVM, not libvirt's words).
func TestUpdateVMPolicyOfVanishedDomain(t *testing.T) {
	h := newHarness(t)
	id := "31313131-4242-4535-8686-979797979798"
	h.create("vanished", id)
	// The VM actor must not learn of it, or the VM is Down and answered as such.
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Drop})
	if err := h.lv.Destroy(id); err != nil {
		t.Fatal(err)
	}
	if err := h.lv.Undefine(id); err != nil {
		t.Fatal(err)
	}
	limit := "50"
	a := h.verb(id, func(r *reply.Reply) any { return &UpdateVMPolicy{Reply: r, VCPULimit: &limit, Given: true} })
	if a.Error == nil || a.Error.Code != 63 || a.Error.Message != "Failed to update VM SLA policy" {
		t.Errorf("%+v %s; want 63 %q", a.Error, a.Result, "Failed to update VM SLA policy")
	}
}
