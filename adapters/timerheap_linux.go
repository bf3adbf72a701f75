package adapters

import (
	"container/heap"
	"time"
)

// timer is a deadline in a timerHeap: fn runs when it is due.
type timer struct {
	when time.Time
	fn   func()
	idx  int // its index in the heap plus one; 0 when not in it
}

// timerHeap is a min-heap of timers by deadline, for one goroutine. The
// zero value is empty and ready; a timer's zero value is not in any heap.
type timerHeap struct{ ts []*timer }

func (h *timerHeap) Len() int           { return len(h.ts) }
func (h *timerHeap) Less(i, j int) bool { return h.ts[i].when.Before(h.ts[j].when) }
func (h *timerHeap) Swap(i, j int) {
	h.ts[i], h.ts[j] = h.ts[j], h.ts[i]
	h.ts[i].idx, h.ts[j].idx = i+1, j+1
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	h.ts = append(h.ts, t)
	t.idx = len(h.ts)
}
func (h *timerHeap) Pop() any {
	t := h.ts[len(h.ts)-1]
	h.ts[len(h.ts)-1] = nil
	h.ts = h.ts[:len(h.ts)-1]
	t.idx = 0
	return t
}

// set (re)arms t for when.
func (h *timerHeap) set(t *timer, when time.Time) {
	t.when = when
	if t.idx > 0 {
		heap.Fix(h, t.idx-1)
		return
	}
	heap.Push(h, t)
}

// remove disarms t, if armed.
func (h *timerHeap) remove(t *timer) {
	if t.idx > 0 {
		heap.Remove(h, t.idx-1)
	}
}

// fire runs the timers due by now, earliest first.
func (h *timerHeap) fire(now time.Time) {
	for len(h.ts) > 0 && !h.ts[0].when.After(now) {
		t := heap.Pop(h).(*timer)
		t.fn()
	}
}

// waitMillis returns how long epoll_wait may wait for the next timer, in
// milliseconds rounded up (-1: no timer).
func (h *timerHeap) waitMillis(now time.Time) int {
	if len(h.ts) == 0 {
		return -1
	}
	d := h.ts[0].when.Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}
