package core

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/buf"
	"github.com/asyncnet/asyncnet/internal/goid"
)

// reactor is the Loop's side of one transport reactor.
//
// Work for a reactor arrives from any goroutine as a dirty socket (bytes to
// flush, a close to perform) or a task. While the reactor is dispatching an
// event (active), new work is picked up before the dispatch ends, so a
// callback's writes go out when the callback returns, with no hop. Otherwise
// the first piece of work wakes the reactor with one Execute, which drains
// everything queued until then.
type reactor struct {
	loop *Loop
	idx  int
	tr   transport.Reactor

	mu     sync.Mutex // protects active, woken, dirty and tasks
	active bool       // the reactor is dispatching: queued work is drained before it returns
	woken  bool       // a drain is queued in the transport
	dirty  []*Socket
	tasks  []func()

	// Only touched on the reactor goroutine.
	depth  int // nesting of enter/exit (a close can run inside a write)
	spareS []*Socket
	spareT []func()
	spareB []*buf.Block // scratch for a socket's refill; nil while one uses it
	wheel  wheel        // timers and timeouts
	now    int64        // the Loop's tick, as of the last tick (or arm)

	socks []*Socket // the open sockets of this reactor (for Shutdown)

	gid        atomic.Uint64 // the reactor goroutine's identity (see gid), known after its first dispatch
	conns      atomic.Int32  // open connections, for leastLoaded
	bytesIn    atomic.Int64  // Stats.BytesBufferedIn of this reactor's sockets
	bytesOut   atomic.Int64  // Stats.BytesBufferedOut: the unsent bytes of this reactor's sockets
	count      reactorCounts // Stats.Counters of this reactor's sockets
	nextDue    atomic.Int64  // the wheel's nextDue: tick then
	tickQueued atomic.Bool   // a tick is queued in the transport

	drainFn func()
	tickFn  func()
}

func newReactor(l *Loop, idx int, tr Reactor) *reactor {
	r := &reactor{loop: l, idx: idx, tr: tr}
	r.nextDue.Store(math.MaxInt64)
	r.drainFn = r.drain
	r.tickFn = r.tick
	return r
}

// enter starts a dispatch; every enter is paired with an exit. Reactor only.
func (r *reactor) enter() {
	r.depth++
	if r.gid.Load() == 0 {
		r.gid.Store(goid.ID())
	}
	if r.depth == 1 {
		r.mu.Lock()
		r.active = true
		r.mu.Unlock()
	}
}

// dispatchBudget bounds how long one dispatch drains queued work: work
// that makes more work (a producer writing from OnDrain to a fast peer)
// goes on after the transport has served its other connections and its
// timers, rather than holding the reactor for ever. The clock is read only
// by a dispatch that has a second round of work: most have one.
const dispatchBudget = time.Millisecond

// exit ends a dispatch; the outermost one drains the queued work, until
// it is done or has taken dispatchBudget, when it leaves the rest to a
// wake. Reactor only.
func (r *reactor) exit() {
	if r.depth > 1 {
		r.depth--
		return
	}
	var since time.Time
	for round := 0; ; round++ {
		r.mu.Lock()
		socks, tasks := r.dirty, r.tasks
		if len(socks) == 0 && len(tasks) == 0 {
			r.active = false
			r.mu.Unlock()
			r.depth = 0
			return
		}
		switch {
		case round == 1:
			since = time.Now()
		case round > 1 && time.Since(since) > dispatchBudget:
			r.active = false
			wake := r.wakeLocked()
			r.mu.Unlock()
			r.depth = 0
			if wake {
				r.wake()
			}
			return
		}
		r.dirty, r.tasks = r.spareS, r.spareT
		r.mu.Unlock()
		for _, s := range socks {
			s.process()
		}
		for _, t := range tasks {
			t()
		}
		clear(socks)
		clear(tasks)
		r.spareS, r.spareT = socks[:0], tasks[:0]
	}
}

// mark queues s for process on this reactor. Safe from any goroutine; the
// caller has set s.scheduled so that s is queued once.
func (r *reactor) mark(s *Socket) {
	r.mu.Lock()
	r.dirty = append(r.dirty, s)
	wake := r.wakeLocked()
	r.mu.Unlock()
	if wake {
		r.wake()
	}
}

// post queues fn to run on this reactor. Safe from any goroutine.
func (r *reactor) post(fn func()) {
	r.mu.Lock()
	r.tasks = append(r.tasks, fn)
	wake := r.wakeLocked()
	r.mu.Unlock()
	if wake {
		r.wake()
	}
}

func (r *reactor) wakeLocked() bool {
	if r.active || r.woken {
		return false
	}
	r.woken = true
	return true
}

func (r *reactor) wake() {
	if err := r.tr.Execute(r.drainFn); err != nil {
		r.loop.log.Debug("asyncnet: reactor wake failed", "reactor", r.idx, "err", err)
	}
}

func (r *reactor) drain() {
	r.mu.Lock()
	r.woken = false
	r.mu.Unlock()
	r.enter()
	r.exit()
}

// queueTick asks for a tick if a timer of the reactor may be due by now.
// Called by the transport's ticker goroutine.
func (r *reactor) queueTick(now int64) {
	if r.nextDue.Load() > now {
		return // nothing to do: the reactor is not woken
	}
	if !r.tickQueued.CompareAndSwap(false, true) {
		return
	}
	if err := r.tr.Execute(r.tickFn); err != nil {
		r.tickQueued.Store(false)
	}
}

func (r *reactor) tick() {
	r.tickQueued.Store(false)
	r.enter()
	r.now = r.loop.tickNow()
	r.wheel.advance(r.now)
	r.nextDue.Store(r.wheel.nextDue())
	r.exit()
}

// refresh brings r.now up to date, for a deadline counted from now.
func (r *reactor) refresh() { r.now = r.loop.tickNow() }

// addTimer arms n to expire at tick when. Reactor only.
func (r *reactor) addTimer(n *timerNode, when int64) {
	if r.wheel.n == 0 {
		r.refresh()
		r.wheel.advance(r.now) // an empty wheel catches up at no cost
	}
	r.wheel.add(n, when)
	if n.when < r.nextDue.Load() {
		r.nextDue.Store(n.when)
	}
}

// scratch lends the reactor's slice of block pointers to a refill (a new
// one if a refill up the stack has it: a write can close a socket, whose
// callback writes to another). Give it back with unscratch. Reactor only.
func (r *reactor) scratch() []*buf.Block {
	b := r.spareB
	r.spareB = nil
	return b[:0]
}

// unscratch takes back a slice that scratch lent, cleared.
func (r *reactor) unscratch(b []*buf.Block) {
	clear(b)
	r.spareB = b[:0]
}
