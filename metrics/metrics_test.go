package metrics

import (
	"testing"
)

// A scrape during a change of the VM counts reads the counts before it or after it, never a mix
// or a part: the registry replaces them on every VM's report, as the engine or a scraper reads.
func TestVMCountsScrapedWhole(t *testing.T) {
	m := New()
	a := map[string]int{"Up": 2, "Paused": 1, "Down": 1}
	b := map[string]int{"Up": 1, "Paused": 2, "Down": 1}
	m.SetVMs(a)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				m.SetVMs(b)
			} else {
				m.SetVMs(a)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for scrape := 0; scrape < 200; scrape++ {
		fams, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, f := range fams {
			if f.GetName() != "hostagent_vms" {
				continue
			}
			for _, mt := range f.GetMetric() {
				got[mt.GetLabel()[0].GetValue()] = int(mt.GetGauge().GetValue())
			}
		}
		if !same(got, a) && !same(got, b) {
			t.Fatalf("scrape %d read VM counts %v: neither %v nor %v", scrape, got, a, b)
		}
	}
}

func same(x, y map[string]int) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if y[k] != v {
			return false
		}
	}
	return true
}
