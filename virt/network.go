package virt

import (
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"
)

// RemoveNetwork stops and undefines the libvirt network name. One already gone, or defined but
// not running, is no error: removing a logical network must not fail on what is already undone.
func (c *Conn) RemoveNetwork(name string) error {
	if !c.up.Load() {
		return fmt.Errorf("remove network %s: %w", name, ErrDisconnected)
	}
	n, err := c.lc().LookupNetworkByName(name)
	if err != nil {
		if noNetwork(err) {
			return nil
		}
		return wrap("look up network", name, err)
	}
	defer n.Free()
	if active, _ := n.IsActive(); active {
		if err := n.Destroy(); err != nil && !noNetwork(err) {
			return wrap("stop network", name, err)
		}
	}
	if err := n.Undefine(); err != nil && !noNetwork(err) {
		return wrap("undefine network", name, err)
	}
	return nil
}

func noNetwork(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && le.Code == libvirt.ERR_NO_NETWORK
}
