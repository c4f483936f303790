package vdsm

import "fmt"

// Network configuration codes, VDSM's lib/vdsm/network/errors.py. Host.setupNetworks answers them
// as the JSON-RPC error code with the validator's text as the message (API.py returns
// {'status': {'code': errCode, 'message': msg}}), so each text below is byte-exact with VDSM's.
const (
	CodeNetBadParams    = 21 // ERR_BAD_PARAMS
	CodeNetBadAddr      = 22 // ERR_BAD_ADDR
	CodeNetBadNIC       = 23 // ERR_BAD_NIC
	CodeNetUsedNIC      = 24 // ERR_USED_NIC
	CodeNetBadBonding   = 25 // ERR_BAD_BONDING
	CodeNetBadVLAN      = 26 // ERR_BAD_VLAN
	CodeNetBadBridge    = 27 // ERR_BAD_BRIDGE
	CodeNetUsedBridge   = 28 // ERR_USED_BRIDGE
	CodeNetFailedIfup   = 29 // ERR_FAILED_IFUP: a step failed in the kernel; the change was rolled back
	CodeNetFailedIfdown = 30 // ERR_FAILED_IFDOWN
	CodeNetUsedBond     = 31 // ERR_USED_BOND
	// CodeNetLostConnection is ERR_LOST_CONNECTION, VDSM's noConPeer: the connectivity check saw
	// no client within connectivityTimeout and the previous configuration was restored.
	CodeNetLostConnection = 10
)

// NetError is a network configuration error with VDSM's code and a message built like VDSM's.
func NetError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Texts of lib/vdsm/network validators and canonicalize.py. Where VDSM formats a value with %r
// the caller passes PyRepr(value). Five are this agent's own: MsgNetSharedDevice keeps VDSM's
// first sentence but names the device and networks instead of dumping Python reprs of the whole
// kernel config; MsgNetUnsupportedSwitch, MsgNetUnsupportedBootProt and
// MsgNetBondOptionUnsupported refuse what VDSM would do (OVS, DHCP, a bonding option netlink
// does not carry) and this agent cannot, rather than saying yes and leaving the host without it;
// MsgNetBondOptionMode and MsgNetBondOptionConflict say before any change what the kernel would
// refuse half-way.
const (
	MsgNetRemoveWithAttrs       = "Cannot specify any attribute when removing (except custom))."
	MsgNetRemoveMissing         = "Cannot delete network %s: It doesn't exist in the system"
	MsgNetNoSouthbound          = `southbound device not specified for non-bridged network "%s"`
	MsgNetSharedDevice          = "multiple networks/similar vlans cannot be defined on a single underlying device. device: %s, networks: %s"
	MsgNetBadBridgeName         = "Bridge name isn't valid: %s"
	MsgNetBadSTP                = `"%v" is not a valid bridge STP value.`
	MsgNetPrefixAndNetmask      = "Both PREFIX and NETMASK supplied"
	MsgNetBadPrefix             = "Bad prefix: %s is not a valid prefix value. It must be between 0 and 32"
	MsgNetSingleDefaultRoute    = "Only a single default route network is allowed."
	MsgNetGatewayWithoutAddr    = "gateway or netmask were given without ip address"
	MsgNetStaticWithDHCP        = "mixing static ip configuration with dhcp is not allowed"
	MsgNetNeedNetmask           = "Must specify netmask to configure ip for network."
	MsgNetBadIPv4Addr           = "%s is not a valid IPv4 address."
	MsgNetBadIPv4Netmask        = "%s is not a valid IPv4 netmask."
	MsgNetBadIPv4Gateway        = "%s is not a valid IPv4 gateway"
	MsgNetBadIPv6Addr           = "%s is not a valid IPv6 address."
	MsgNetBadIPv6Gateway        = "%s is not a valid IPv6 gateway."
	MsgNetIPv6GatewayNoAddr     = "Specified gateway but not ip address."
	MsgNetIPv6StaticDynamic     = "Mixing of static and dynamic IPv6 configuration is currently not supported."
	MsgNetNoSuchNIC             = "Nic %s does not exist"
	MsgNetNICMultipleUsages     = "Nics with multiple usages: %s"
	MsgNetVLANNotNumber         = "VLAN id must be a number between 0 and 4094"
	MsgNetVLANOutOfRange        = "VLAN id out of range: %s, must be 0..4094"
	MsgNetVLANNoSouthbound      = "%s: vlan device requires southbound device"
	MsgNetBadBondNames          = "bad bond name(s): %s"
	MsgNetBondNoNICs            = "%s: Must specify nics for bonding"
	MsgNetNoSuchBond            = "Bond %s does not exist"
	MsgNetBondParseOptions      = "Error parsing bonding options: %s"
	MsgNetBondBadOption         = "%s is not a valid bonding option"
	MsgNetBondUsed              = "Cannot remove bonding %s: used by network (%s)."
	MsgNetConnectivityFailed    = "connectivity check failed"
	MsgNetUnsupportedSwitch     = "switch type %s is not supported by this host"
	MsgNetBondOptionUnsupported = "bond %s: bonding option %s is not supported by this host"
	MsgNetBondOptionMode        = "bond %s: bonding option %s does not apply in mode %d"
	MsgNetBondOptionConflict    = "bond %s: bonding options %s and %s cannot be used together"
	MsgNetUnsupportedBootProt   = "%s: dynamic address configuration (%s) is not supported by this host"
)
