package virt

import (
	"errors"

	"libvirt.org/go/libvirt"
)

// Domain states, as libvirt numbers them (virDomainState). Mirrored here so callers never need
// the libvirt package.
const (
	StateNoState     = int(libvirt.DOMAIN_NOSTATE)
	StateRunning     = int(libvirt.DOMAIN_RUNNING)
	StateBlocked     = int(libvirt.DOMAIN_BLOCKED)
	StatePaused      = int(libvirt.DOMAIN_PAUSED)
	StateShutdown    = int(libvirt.DOMAIN_SHUTDOWN)
	StateShutoff     = int(libvirt.DOMAIN_SHUTOFF)
	StateCrashed     = int(libvirt.DOMAIN_CRASHED)
	StatePMSuspended = int(libvirt.DOMAIN_PMSUSPENDED)
)

// withDomain looks the domain up, runs f on it and frees it: every Domain handle holds a
// reference on the connection and must be freed. That reference is what lets f run past a Close,
// so only the look-up holds off Close.
func (c *Conn) withDomain(op, uuid string, f func(d *libvirt.Domain) error) error {
	lc, err := c.hold(op, uuid)
	if err != nil {
		return err
	}
	d, err := lc.LookupDomainByUUIDString(uuid)
	c.use.RUnlock()
	if err != nil {
		return wrap(op, uuid, err)
	}
	defer d.Free()
	return wrap(op, uuid, f(d))
}

// Define defines (or redefines) a persistent domain from XML and returns its UUID.
func (c *Conn) Define(xml string) (string, error) {
	d, err := c.lc().DomainDefineXML(xml)
	if err != nil {
		return "", wrap("define", "", err)
	}
	defer d.Free()
	return d.GetUUIDString()
}

// Start starts a defined domain, paused if asked, and returns the id of this run (-1 if libvirt
// does not say).
func (c *Conn) Start(uuid string, paused bool) (int, error) {
	var flags libvirt.DomainCreateFlags
	if paused {
		flags |= libvirt.DOMAIN_START_PAUSED
	}
	id := -1
	err := c.withDomain("start", uuid, func(d *libvirt.Domain) error {
		if err := d.CreateWithFlags(flags); err != nil {
			if !paused || !unsupportedFlags(err) {
				return err
			}
			if err := startThenSuspend(d); err != nil {
				return err
			}
		}
		id = domainID(d)
		return nil
	})
	return id, err
}

// Destroy stops a domain at once.
func (c *Conn) Destroy(uuid string) error {
	return c.withDomain("destroy", uuid, func(d *libvirt.Domain) error { return d.Destroy() })
}

// DestroyGraceful stops a domain with SIGTERM only, failing (OPERATION_FAILED) if the process
// does not exit in libvirt's wait, where Destroy would go on to SIGKILL.
func (c *Conn) DestroyGraceful(uuid string) error {
	return c.withDomain("destroy", uuid, func(d *libvirt.Domain) error { return d.DestroyFlags(libvirt.DOMAIN_DESTROY_GRACEFUL) })
}

// Shutdown asks the guest to power off by the ACPI power button (the default method when acpi
// is false: libvirt picks).
func (c *Conn) Shutdown(uuid string, acpi bool) error {
	flags := libvirt.DOMAIN_SHUTDOWN_DEFAULT
	if acpi {
		flags = libvirt.DOMAIN_SHUTDOWN_ACPI_POWER_BTN
	}
	return c.withDomain("shutdown", uuid, func(d *libvirt.Domain) error { return d.ShutdownFlags(flags) })
}

// Reboot asks the guest to reboot.
func (c *Conn) Reboot(uuid string) error {
	return c.withDomain("reboot", uuid, func(d *libvirt.Domain) error { return d.Reboot(libvirt.DOMAIN_REBOOT_DEFAULT) })
}

// Reset resets the domain like a reset button.
func (c *Conn) Reset(uuid string) error {
	return c.withDomain("reset", uuid, func(d *libvirt.Domain) error { return d.Reset(0) })
}

// Suspend pauses the domain's CPUs.
func (c *Conn) Suspend(uuid string) error {
	return c.withDomain("suspend", uuid, func(d *libvirt.Domain) error { return d.Suspend() })
}

// Resume resumes a paused domain.
func (c *Conn) Resume(uuid string) error {
	return c.withDomain("resume", uuid, func(d *libvirt.Domain) error { return d.Resume() })
}

// Undefine removes a domain's persistent definition with its NVRAM and checkpoint metadata,
// falling back to a plain undefine where the driver knows no flags.
func (c *Conn) Undefine(uuid string) error {
	return c.withDomain("undefine", uuid, func(d *libvirt.Domain) error {
		err := d.UndefineFlags(libvirt.DOMAIN_UNDEFINE_NVRAM | libvirt.DOMAIN_UNDEFINE_CHECKPOINTS_METADATA)
		if unsupportedFlags(err) {
			err = d.Undefine()
		}
		return err
	})
}

// unsupportedFlags reports a driver that refused the flags rather than the operation.
func unsupportedFlags(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && (le.Code == libvirt.ERR_INVALID_ARG || le.Code == libvirt.ERR_NO_SUPPORT)
}

// State is the domain's libvirt state and the reason for it.
func (c *Conn) State(uuid string) (state, reason int, err error) {
	err = c.withDomain("state", uuid, func(d *libvirt.Domain) error {
		s, r, err := d.GetState()
		state, reason = int(s), r
		return err
	})
	return state, reason, err
}

// XML is the domain's live XML (the persistent one when it is not running).
func (c *Conn) XML(uuid string) (string, error) {
	var out string
	err := c.withDomain("dumpxml", uuid, func(d *libvirt.Domain) error {
		var err error
		out, err = d.GetXMLDesc(0)
		return err
	})
	return out, err
}

// SetMetadata stores an XML element in the domain's <metadata> under namespace ns (key is the
// element prefix), in the persistent definition and, when running, the live one.
func (c *Conn) SetMetadata(uuid, element, key, ns string) error {
	return c.withDomain("set metadata", uuid, func(d *libvirt.Domain) error {
		flags := libvirt.DOMAIN_AFFECT_CONFIG
		if active, _ := d.IsActive(); active {
			flags |= libvirt.DOMAIN_AFFECT_LIVE
		}
		return d.SetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, element, key, ns, flags)
	})
}

// Domain is a domain as listed: enough to recover a VM actor for it.
type Domain struct {
	UUID   string
	Name   string
	State  int
	Reason int
	XML    string
}

// Domains lists every domain, running or defined, with its state and XML.
func (c *Conn) Domains() ([]Domain, error) {
	lc, err := c.hold("list domains", "")
	if err != nil {
		return nil, err
	}
	ds, err := lc.ListAllDomains(0)
	c.use.RUnlock()
	if err != nil {
		return nil, wrap("list domains", "", err)
	}
	out := make([]Domain, 0, len(ds))
	var firstErr error
	for i := range ds {
		d := &ds[i]
		var dom Domain
		var err error
		if dom.UUID, err = d.GetUUIDString(); err == nil {
			dom.Name, _ = d.GetName()
			var s libvirt.DomainState
			if s, dom.Reason, err = d.GetState(); err == nil {
				dom.State = int(s)
				dom.XML, err = d.GetXMLDesc(0)
			}
		}
		d.Free()
		if err != nil {
			// A domain undefined between the listing and the look-up is simply gone.
			if firstErr == nil && !isNoDomain(err) {
				firstErr = wrap("list domains", dom.UUID, err)
			}
			continue
		}
		out = append(out, dom)
	}
	return out, firstErr
}

func isNoDomain(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && le.Code == libvirt.ERR_NO_DOMAIN
}
