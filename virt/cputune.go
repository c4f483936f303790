package virt

import (
	"errors"

	"libvirt.org/go/libvirt"
)

// CPU bandwidth of a domain's vCPUs (libvirt's scheduler parameters vcpu_quota and vcpu_period,
// the <cputune> <quota> and <period> of its XML), and the metadata element that records why.

// SetVCPUBandwidth sets every vCPU's quota and period (µs) in the running domain and in its
// persistent definition, so a limit holds now and after the next start. A quota of -1 lifts
// the limit.
func (c *Conn) SetVCPUBandwidth(uuid string, quota int64, period uint64) error {
	return c.withDomain("set vcpu bandwidth", uuid, func(d *libvirt.Domain) error {
		flags := libvirt.DOMAIN_AFFECT_CONFIG
		if active, _ := d.IsActive(); active {
			flags |= libvirt.DOMAIN_AFFECT_LIVE
		}
		p := &libvirt.DomainSchedulerParameters{VcpuQuotaSet: true, VcpuQuota: quota, VcpuPeriodSet: true, VcpuPeriod: period}
		return d.SetSchedulerParametersFlags(p, flags)
	})
}

// SetVCPUQuota and SetVCPUPeriod change one of the two in the domain's current state (live when
// it runs), as VDSM's VM.setCpuTuneQuota and VM.setCpuTunePeriod do (setSchedulerParameters
// without flags).
func (c *Conn) SetVCPUQuota(uuid string, quota int64) error {
	return c.withDomain("set vcpu quota", uuid, func(d *libvirt.Domain) error {
		return d.SetSchedulerParameters(&libvirt.DomainSchedulerParameters{VcpuQuotaSet: true, VcpuQuota: quota})
	})
}

func (c *Conn) SetVCPUPeriod(uuid string, period uint64) error {
	return c.withDomain("set vcpu period", uuid, func(d *libvirt.Domain) error {
		return d.SetSchedulerParameters(&libvirt.DomainSchedulerParameters{VcpuPeriodSet: true, VcpuPeriod: period})
	})
}

// VCPUBandwidth reads the vCPUs' quota and period from the domain's current state; 0 is
// libvirt's "no value" (a driver that has no such parameter reports neither).
func (c *Conn) VCPUBandwidth(uuid string) (quota int64, period uint64, err error) {
	err = c.withDomain("get vcpu bandwidth", uuid, func(d *libvirt.Domain) error {
		p, err := d.GetSchedulerParameters()
		if err != nil {
			return err
		}
		if p.VcpuQuotaSet {
			quota = p.VcpuQuota
		}
		if p.VcpuPeriodSet {
			period = p.VcpuPeriod
		}
		return nil
	})
	return quota, period, err
}

// Metadata is the element stored in the domain's <metadata> under namespace ns (the live one
// when it runs), "" when there is none.
func (c *Conn) Metadata(uuid, ns string) (string, error) {
	var out string
	err := c.withDomain("get metadata", uuid, func(d *libvirt.Domain) error {
		s, err := d.GetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, ns, libvirt.DOMAIN_AFFECT_CURRENT)
		var le libvirt.Error
		if errors.As(err, &le) && le.Code == libvirt.ERR_NO_DOMAIN_METADATA {
			return nil
		}
		out = s
		return err
	})
	return out, err
}
