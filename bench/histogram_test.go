package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The histogram reports each quantile within its bucket's precision, in order.
func TestHistogramQuantiles(t *testing.T) {
	h := newHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	var samples []int64
	for range 100000 {
		// Latencies from 1µs to about 100ms, spread over orders of magnitude.
		v := int64(float64(int64(1000)<<rng.IntN(17)) * (1 + rng.Float64()))
		samples = append(samples, v)
	}
	half := newHistogram()
	for i, v := range samples {
		if i%2 == 0 {
			h.record(v)
		} else {
			half.record(v)
		}
	}
	h.merge(&half)
	sorted := append([]int64(nil), samples...)
	slices.Sort(sorted)
	prev := int64(0)
	for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
		got := h.quantile(q)
		want := sorted[max(int(float64(len(sorted))*q+0.999999)-1, 0)]
		if got < want || float64(got-want) > float64(want)/128+1 {
			t.Errorf("q%v: %d, exact %d", q, got, want)
		}
		if got < prev {
			t.Errorf("q%v: %d below the previous quantile %d", q, got, prev)
		}
		prev = got
	}
	if h.n != int64(len(samples)) || h.min != sorted[0] || h.max != sorted[len(sorted)-1] {
		t.Errorf("n %d min %d max %d", h.n, h.min, h.max)
	}
	for _, v := range []int64{-5, 0, 1, 127, 128, 255, 256, 1000, 1 << 39, 1 << 40, 1 << 62} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets || (v >= 0 && v < 1<<histMaxBits && histHigh(i) < v) {
			t.Errorf("%d: bucket %d of %d, high %d", v, i, histBuckets, histHigh(i))
		}
		if i > 0 && v < 1<<histMaxBits && histHigh(i-1) >= v {
			t.Errorf("%d: bucket %d, but the one below reaches %d", v, i, histHigh(i-1))
		}
	}
}
