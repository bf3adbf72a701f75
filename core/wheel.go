package core

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// A hierarchical timing wheel: each reactor owns one, and only its goroutine
// touches it. Arming and cancelling are O(1) list operations on a node
// embedded in its owner (a Timer or a Socket), so they allocate nothing.
// Time is counted in ticks of the Loop's tick interval.
//
// Level 0 holds the nodes due within the next 512 ticks, one slot per tick.
// Each upper level has 64 slots, each 64 times as long as a slot of the
// level below; when the level below has gone round, the next upper slot is
// cascaded down. Bitmaps of the occupied slots give nextDue, a lower bound
// of the earliest deadline, so a reactor whose timers are all far away (idle
// sockets with long read timeouts) need not be woken every tick.

const (
	wheelBits = 9 // level 0: 512 ticks (5.12s at 10ms)
	wheelSize = 1 << wheelBits
	wheelMask = wheelSize - 1
	upBits    = 6 // upper levels: 64 slots each
	upSize    = 1 << upBits
	upMask    = upSize - 1
	upLevels  = 3 // reaching 512*64^3 ticks: 15.5 days at 10ms
)

// timerOwner is what a timer node belongs to.
type timerOwner interface {
	// expire is called on the reactor when the node's tick has come; the
	// node is out of the wheel, and may be added again.
	expire(n *timerNode)
}

// timerNode is an entry of a wheel, embedded in its owner.
type timerNode struct {
	prev, next *timerNode
	when       int64 // the tick at which it expires
	armed      bool  // in a wheel
	level      int8  // 0, or 1+upper level
	slot       uint16
	owner      timerOwner
}

// wheel is a hierarchical timing wheel.
type wheel struct {
	l0     [wheelSize]timerNode        // list heads (circular, lazily linked)
	up     [upLevels][upSize]timerNode // upper levels
	used0  [wheelSize / 64]uint64      // occupied level-0 slots
	usedUp [upLevels]uint64            // occupied upper slots
	tick   int64                       // the last tick processed
	n      int                         // armed nodes
	due    []*timerNode                // scratch for advance
}

// add arms n to expire at tick when (at the next tick if that has passed).
func (w *wheel) add(n *timerNode, when int64) {
	if n.armed {
		w.remove(n)
	}
	n.when = max(when, w.tick+1)
	w.place(n)
	n.armed = true
	w.n++
}

// place links n into the slot its deadline falls in, seen from w.tick.
func (w *wheel) place(n *timerNode) {
	if n.when-w.tick < wheelSize {
		idx := n.when & wheelMask
		link(&w.l0[idx], n)
		n.level, n.slot = 0, uint16(idx)
		w.used0[idx>>6] |= 1 << (idx & 63)
		return
	}
	for k := range upLevels {
		shift := wheelBits + upBits*k
		ahead := n.when>>shift - w.tick>>shift // in slots of level k
		if ahead < upSize || k == upLevels-1 {
			if ahead >= upSize { // beyond the top level: park in its farthest slot
				ahead = upSize - 1
			}
			idx := (w.tick>>shift + ahead) & upMask
			link(&w.up[k][idx], n)
			n.level, n.slot = int8(k+1), uint16(idx)
			w.usedUp[k] |= 1 << idx
			return
		}
	}
}

func link(head, n *timerNode) {
	if head.next == nil {
		head.next, head.prev = head, head
	}
	n.prev, n.next = head.prev, head
	head.prev.next = n
	head.prev = n
}

// remove disarms n; removing a node that is not armed does nothing.
func (w *wheel) remove(n *timerNode) {
	if !n.armed {
		return
	}
	w.unlink(n)
	n.armed = false
	w.n--
}

func (w *wheel) unlink(n *timerNode) {
	n.prev.next = n.next
	n.next.prev = n.prev
	if n.next == n.prev { // the slot is empty now
		if n.level == 0 {
			w.used0[n.slot>>6] &^= 1 << (n.slot & 63)
		} else {
			w.usedUp[n.level-1] &^= 1 << n.slot
		}
	}
	n.prev, n.next = nil, nil
}

// advance processes the ticks up to now, expiring every node that is due.
func (w *wheel) advance(now int64) {
	for w.tick < now {
		if w.n == 0 {
			w.tick = now
			break
		}
		// The next tick that needs work: a cascade, a level-0 slot, or now.
		t := min(now, (w.tick|wheelMask)+1)
		if next, ok := w.nextL0(); ok {
			t = min(t, next)
		}
		w.tick = t
		if t&wheelMask == 0 {
			w.cascade()
		}
		w.collect(&w.l0[t&wheelMask])
	}
	due := w.due
	w.due = nil // expire may advance the wheel again: that needs its own batch
	if len(due) > 1 {
		// Earlier deadlines first; equal ones in the order they were armed.
		slices.SortStableFunc(due, func(a, b *timerNode) int { return cmp.Compare(a.when, b.when) })
	}
	for i, n := range due {
		due[i] = nil
		n.owner.expire(n) // may add nodes again: they are out of the lists
	}
	if w.due == nil {
		w.due = due[:0]
	}
}

// cascade moves the upper slots whose time has come down a level: at a
// multiple of 512 ticks the level-1 slot of the new block, and, when that
// level has gone round, the slot above, and so on.
func (w *wheel) cascade() {
	for k := range upLevels {
		shift := wheelBits + upBits*k
		idx := (w.tick >> shift) & upMask
		head := &w.up[k][idx]
		if head.next != nil && head.next != head {
			for n := head.next; n != head; {
				next := n.next
				w.unlink(n)
				w.place(n)
				n = next
			}
		}
		if idx != 0 { // this level has not gone round: the ones above wait
			return
		}
	}
}

// collect moves the nodes of a level-0 slot that are due to w.due.
func (w *wheel) collect(head *timerNode) {
	if head.next == nil {
		return
	}
	for n := head.next; n != head; {
		next := n.next
		if n.when <= w.tick {
			w.remove(n)
			w.due = append(w.due, n)
		}
		n = next
	}
}

// nextL0 returns the tick of the first occupied level-0 slot after w.tick.
func (w *wheel) nextL0() (int64, bool) {
	start := int((w.tick + 1) & wheelMask)
	for i := range len(w.used0) + 1 {
		word := (start>>6 + i) % len(w.used0)
		bitsLeft := w.used0[word]
		if i == 0 {
			bitsLeft &= ^uint64(0) << (start & 63)
		} else if i == len(w.used0) {
			bitsLeft &= 1<<(start&63) - 1
		}
		if bitsLeft != 0 {
			idx := word<<6 + bits.TrailingZeros64(bitsLeft)
			return w.tick + 1 + int64((idx-start)&wheelMask), true
		}
	}
	return 0, false
}

// nextDue returns a lower bound of the earliest deadline, or math.MaxInt64
// if nothing is armed: a reactor need not tick before then.
func (w *wheel) nextDue() int64 {
	if w.n == 0 {
		return math.MaxInt64
	}
	if t, ok := w.nextL0(); ok {
		return t
	}
	// Level 0 is empty: the earliest is the next cascade that brings
	// something down.
	best := int64(math.MaxInt64)
	for k := range upLevels {
		if w.usedUp[k] == 0 {
			continue
		}
		shift := wheelBits + upBits*k
		cur := int((w.tick >> shift) & upMask)
		rot := bits.RotateLeft64(w.usedUp[k], -(cur + 1)) // bit 0 is the slot after cur
		ahead := int64(bits.TrailingZeros64(rot)) + 1
		start := (w.tick>>shift + ahead) << shift
		best = min(best, start)
	}
	return max(best, w.tick+1)
}

// each calls fn for every armed node (fn may remove the node it is given).
func (w *wheel) each(fn func(n *timerNode)) {
	visit := func(head *timerNode) {
		if head.next == nil {
			return
		}
		for n := head.next; n != head; {
			next := n.next
			fn(n)
			n = next
		}
	}
	for i := range w.l0 {
		visit(&w.l0[i])
	}
	for k := range w.up {
		for i := range w.up[k] {
			visit(&w.up[k][i])
		}
	}
}
