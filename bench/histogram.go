package bench

import (
	"math"
	"math/bits"
)

// histSubBits sets the histogram's precision: each power of two is split into 2^histSubBits
// buckets, so a recorded value is known within 1/128 (under 0.8%), in a fixed 34 KiB however
// many requests a run makes.
const (
	histSubBits = 7
	histMaxBits = 40 // values are clamped below 2^40 ns, about 18 minutes
	histBuckets = (histMaxBits - histSubBits + 1) << histSubBits
)

type histogram struct {
	counts   []int64
	n        int64
	sum      float64
	min, max int64
}

func newHistogram() histogram {
	return histogram{counts: make([]int64, histBuckets), min: math.MaxInt64}
}

func histIndex(v int64) int {
	if v < 1<<histSubBits {
		return int(max(v, 0))
	}
	if v >= 1<<histMaxBits {
		v = 1<<histMaxBits - 1
	}
	e := bits.Len64(uint64(v)) - histSubBits - 1
	return (e+1)<<histSubBits + int(v>>e) - 1<<histSubBits
}

// histHigh is the largest value that falls in bucket i.
func histHigh(i int) int64 {
	e := i>>histSubBits - 1
	if e <= 0 {
		return int64(i)
	}
	m := int64(i&(1<<histSubBits-1) | 1<<histSubBits)
	return (m+1)<<e - 1
}

func (h *histogram) record(v int64) {
	h.counts[histIndex(v)]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// quantile is the value at or below which a fraction q of the samples lie, reported as the
// upper end of its bucket (never above the largest sample): an overestimate by under 0.8%.
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(max(histHigh(i), h.min), h.max)
		}
	}
	return h.max
}
