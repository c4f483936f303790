package hostnet

import (
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// WatchAddr reports, by closing the returned channel, when addr is on the link dev in the named
// network namespace and usable: an IPv6 address counts once duplicate address detection is done
// (the kernel announces it again without the tentative flag), as until then the kernel drops
// what is sent to it. stop ends the watch. A caller waits on the kernel's own notification
// instead of polling for an address to move (a bridge taking over a NIC's address).
func WatchAddr(namespace, dev, addr string) (seen <-chan struct{}, stop func(), err error) {
	ns, err := netns.GetFromName(namespace)
	if err != nil {
		return nil, nil, err
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, nil, err
	}
	updates, done, out := make(chan netlink.AddrUpdate, 64), make(chan struct{}), make(chan struct{})
	if err := netlink.AddrSubscribeWithOptions(updates, done, netlink.AddrSubscribeOptions{Namespace: &ns}); err != nil {
		h.Close()
		ns.Close()
		return nil, nil, err
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer ns.Close()
		defer h.Close()
		for u := range updates {
			if !u.NewAddr || u.Flags&unix.IFA_F_TENTATIVE != 0 || u.LinkAddress.IP.String() != addr {
				continue
			}
			if link, err := h.LinkByIndex(u.LinkIndex); err == nil && link.Attrs().Name == dev {
				close(out)
				return
			}
		}
	}()
	var once bool
	stop = func() {
		if !once {
			once = true
			close(done)
		}
	}
	return out, stop, nil
}
