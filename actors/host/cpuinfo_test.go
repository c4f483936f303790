package host

import "testing"

func TestParseCPUInfo(t *testing.T) {
	ci, err := readCPUInfo(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Model != "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz" || ci.MHz != "2100.000" || ci.Count != 4 {
		t.Errorf("%+v", ci)
	}
	// The first processor's flags, not the trimmed ones of the others.
	if len(ci.Flags) < 50 || ci.Flags[0] != "fpu" || ci.Flags[len(ci.Flags)-1] != "arch_capabilities" {
		t.Errorf("flags %v", ci.Flags)
	}

	// aarch64 kernels print neither a model name nor a frequency.
	arm := parseCPUInfo([]byte("processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n\nprocessor\t: 1\n"))
	if arm.Model != "" || arm.MHz != "" || arm.Flags != nil || arm.Count != 2 {
		t.Errorf("arm %+v", arm)
	}
}
