package virt

import (
	"fmt"

	"libvirt.org/go/libvirt"
)

// Shut-off reasons (virDomainShutoffReason) a caller checks after a guest stopped.
const (
	ShutoffShutdown  = int(libvirt.DOMAIN_SHUTOFF_SHUTDOWN)
	ShutoffDestroyed = int(libvirt.DOMAIN_SHUTOFF_DESTROYED)
)

// Inspector is a second, plain libvirt connection for looking at domains behind the agent's back:
// the test lanes use it to check what libvirt really did. Unlike Conn it has no keepalive and
// never reconnects, so it survives a frozen daemon and reports what it sees, nothing more. Open
// it after a Conn exists: Conn registers libvirt's event loop, which must come before the first
// remote connection that wants keepalive.
type Inspector struct {
	lc *libvirt.Connect
}

// Inspect opens an Inspector on uri.
func Inspect(uri string) (*Inspector, error) {
	lc, err := libvirt.NewConnect(uri)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", uri, err)
	}
	return &Inspector{lc: lc}, nil
}

// Close drops the connection.
func (in *Inspector) Close() error {
	_, err := in.lc.Close()
	return err
}

// DomainInfo is a domain as libvirt has it at one moment.
type DomainInfo struct {
	ID         uint // a new one each time the domain boots; 0 while it is shut off
	State      int
	Reason     int
	Persistent bool
}

// Domain looks the domain up by UUID; the error wraps ErrNoDomain when libvirt has none.
func (in *Inspector) Domain(uuid string) (DomainInfo, error) {
	var info DomainInfo
	d, err := in.lc.LookupDomainByUUIDString(uuid)
	if err != nil {
		return info, wrap("lookup", uuid, err)
	}
	defer d.Free()
	if id, err := d.GetID(); err == nil { // a shut-off domain has none
		info.ID = id
	}
	st, reason, err := d.GetState()
	if err != nil {
		return info, wrap("state", uuid, err)
	}
	info.State, info.Reason = int(st), reason
	if info.Persistent, err = d.IsPersistent(); err != nil {
		return info, wrap("persistent", uuid, err)
	}
	return info, nil
}

// Remove destroys the domain if it runs and undefines it if it is defined; a domain libvirt does
// not know is already removed. It reports what it had to do, so a test can say what it left.
func (in *Inspector) Remove(uuid string) (destroyed, undefined bool, err error) {
	d, err := in.lc.LookupDomainByUUIDString(uuid)
	if isNoDomain(err) {
		return false, false, nil
	}
	if err != nil {
		return false, false, wrap("lookup", uuid, err)
	}
	defer d.Free()
	if active, _ := d.IsActive(); active {
		if err := d.Destroy(); err != nil {
			return false, false, wrap("destroy", uuid, err)
		}
		destroyed = true
	}
	if persistent, _ := d.IsPersistent(); persistent {
		if err := d.Undefine(); err != nil {
			return destroyed, false, wrap("undefine", uuid, err)
		}
		undefined = true
	}
	return destroyed, undefined, nil
}
