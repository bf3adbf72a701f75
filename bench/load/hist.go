package load

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a log-linear latency histogram: values below 128ns have a bucket
// each; above, each power of two is split into 64 buckets, so a bucket's
// width is under 1/64 (1.6 %) of its value. It is safe for concurrent use:
// every count is an atomic add.
type hist struct {
	counts [64 * 64]atomic.Int64
}

func bucketOf(ns int64) int {
	if ns < 128 {
		if ns < 0 {
			ns = 0
		}
		return int(ns) // buckets 0..127 cover exponents 0 and 1 below
	}
	exp := bits.Len64(uint64(ns)) - 7 // >= 1: ns>>exp is in [64, 128)
	return exp*64 + int(ns>>exp)
}

// lowest returns the smallest value of bucket b.
func lowest(b int) int64 {
	if b < 128 {
		return int64(b)
	}
	exp := b/64 - 1
	mant := int64(b%64 + 64)
	return mant << exp
}

func (h *hist) record(d time.Duration) { h.counts[bucketOf(int64(d))].Add(1) }

func (h *hist) total() int64 {
	var n int64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// quantile returns the value below which the fraction q of the samples
// lie (the lower bound of its bucket), or 0 for an empty histogram.
func (h *hist) quantile(q float64) time.Duration {
	total := h.total()
	if total == 0 {
		return 0
	}
	rank := int64(q * float64(total))
	if rank >= total {
		rank = total - 1
	}
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen > rank {
			return time.Duration(lowest(i))
		}
	}
	return time.Duration(lowest(len(h.counts) - 1))
}
