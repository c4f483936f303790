package host

import (
	"strings"
	"testing"
)

// The engine's ClusterEmulatedMachines per cluster level (ovirt-engine's 0000_config.sql): a
// host is operational in a cluster of that level when its emulatedMachines hold one of them.
var engineClusterMachines = map[string]string{
	"4.2": "pc-i440fx-rhel7.3.0,pc-i440fx-2.6,pseries-rhel7.5.0,s390-ccw-virtio-2.8",
	"4.3": "pc-i440fx-rhel7.6.0,pc-i440fx-2.12,pseries-rhel7.6.0-sxxm,s390-ccw-virtio-2.12",
	"4.4": "pc-q35-rhel8.1.0,pc-q35-4.1,pc-i440fx-rhel7.6.0,pc-i440fx-2.12,pseries-rhel8.1.0,s390-ccw-virtio-2.12",
	"4.5": "pc-q35-rhel8.3.0,pc-q35-4.1,pc-i440fx-rhel7.6.0,pc-i440fx-2.12,pseries-rhel8.3.0,s390-ccw-virtio-2.12",
	"4.6": "pc-q35-rhel8.4.0,pc-q35-4.1,pc-i440fx-rhel7.6.0,pc-i440fx-2.12,pseries-rhel8.4.0,s390-ccw-virtio-2.12",
	"4.7": "pc-q35-rhel8.6.0,pc-q35-4.1,pc-i440fx-rhel7.6.0,pc-i440fx-2.12,pseries-rhel8.4.0,s390-ccw-virtio-2.12",
}

// firstSupported is the engine's EmulatedMachineCommonUtils.getSupportedByChipset: the first of
// the cluster's machines that the host supports, for one chipset (machines that are not q35 count
// as i440fx, as the engine counts them).
func firstSupported(q35 bool, supported map[string]bool, available []string) string {
	for _, m := range available {
		if supported[m] && strings.Contains(m, "q35") == q35 {
			return m
		}
	}
	return ""
}

// The embedded test-driver host passes the engine's emulated-machine check at every cluster level
// it reports, with both chipsets from 4.4 on (the engine's q35 default), as a real RHEL 8.6 host
// would.
func TestEmbeddedHostPassesTheEnginesMachineCheck(t *testing.T) {
	lv := openTestDriver(t)
	c, err := BuildCapabilities(Sources{Root: string(fixture), Libvirt: lv}, "")
	if err != nil {
		t.Fatal(err)
	}
	supported := map[string]bool{}
	for _, m := range c.EmulatedMachines {
		supported[m] = true
	}
	for _, level := range c.ClusterLevels {
		available, ok := engineClusterMachines[level]
		if !ok {
			t.Errorf("cluster level %s has no machines in the engine's table", level)
			continue
		}
		list := strings.Split(available, ",")
		i440fx, q35 := firstSupported(false, supported, list), firstSupported(true, supported, list)
		if i440fx == "" && q35 == "" {
			t.Errorf("level %s: the engine would set the host NonOperational (EMULATED_MACHINES_INCOMPATIBLE_WITH_CLUSTER_LEVEL)", level)
		}
		if level >= "4.4" && q35 == "" {
			t.Errorf("level %s: no q35 machine for the cluster's default chipset", level)
		}
	}
}
