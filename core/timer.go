package core

import (
	"sync/atomic"
	"time"
)

// Timer is a function scheduled on a Loop by Delay or Interval. Its methods
// are safe to call from any goroutine.
type Timer struct {
	l      *Loop
	r      atomic.Pointer[reactor] // set once, when armed
	fn     func()
	period time.Duration // Interval's period; 0 for Delay
	at     time.Time     // when it is first due
	err    error
	held   bool // it keeps the Loop going (not when made during a Shutdown)
	state  atomic.Int32
	node   timerNode // touched only on r's goroutine
}

const (
	timerPending  int32 = iota // armed, or about to be
	timerRunning               // its function is running
	timerStopping              // an Interval stopped while its function runs
	timerDone                  // fired (Delay), stopped, or never armed
)

// Delay runs fn once on one of the Loop's reactors, d from now, and returns
// the Timer. It is the equivalent of cl-async's delay. The precision is one
// tick (WithTickInterval, 10ms by default): fn runs between d and d plus
// about two ticks from now. A pending Timer keeps Run going; Exit and
// Shutdown drop it without running it. A Timer made during a Shutdown (in
// an OnShutdown callback, say) runs when it comes due, if the Loop has not
// ended by then, but does not keep the Loop going. A bad argument (nil fn,
// negative d) or a Loop that is not running leaves the Timer unarmed, and
// Err says why. Safe to call from any goroutine.
func (l *Loop) Delay(d time.Duration, fn func()) *Timer {
	return l.newTimer("Loop.Delay", d, false, fn)
}

// Interval runs fn every d (d after the previous run ended, like cl-async's
// interval) on one of the Loop's reactors until the Timer is stopped. The
// precision and the rules are those of Delay; d must be positive. Safe to
// call from any goroutine.
func (l *Loop) Interval(d time.Duration, fn func()) *Timer {
	return l.newTimer("Loop.Interval", d, true, fn)
}

func (l *Loop) newTimer(call string, d time.Duration, repeat bool, fn func()) *Timer {
	t := &Timer{l: l, fn: fn}
	if repeat {
		t.period = d
	}
	t.node.owner = t
	switch {
	case !l.valid():
		t.err = zeroLoop(call)
	case fn == nil:
		t.err = &ArgError{Call: call, Arg: "fn", Reason: "nil function"}
	case d < 0 || (repeat && d == 0):
		t.err = &ArgError{Call: call, Arg: "d", Reason: "duration " + d.String() + " is not positive"}
	case !l.running():
		t.err = ErrLoopNotRunning
	}
	if t.err != nil {
		t.state.Store(timerDone)
		return t
	}
	if !l.shutting.Load() {
		l.hold()
		t.held = true
	}
	l.stats.timers(1)
	t.at = time.Now().Add(d)
	if l.started.Load() { // the usual case, without a closure
		t.place()
	} else {
		l.whenStarted(t.place)
	}
	return t
}

// Stop keeps the Timer from running again. It reports whether it kept a run
// from happening: false if a Delay has already run (or is running), or the
// Timer was already stopped, as time.Timer.Stop does. Stopping an Interval
// from its own function ends it after that run. Safe to call from any
// goroutine.
func (t *Timer) Stop() bool {
	for {
		switch t.state.Load() {
		case timerPending:
			if t.state.CompareAndSwap(timerPending, timerDone) {
				if r := t.r.Load(); r != nil { // else arm sees it stopped
					r.post(t.unlink)
				}
				t.finish()
				return true
			}
		case timerRunning:
			if t.period == 0 {
				return false
			}
			if t.state.CompareAndSwap(timerRunning, timerStopping) {
				return true // expire finishes it after the run
			}
		default:
			return false
		}
	}
}

// Err reports why the Timer was not armed (nil if it was).
func (t *Timer) Err() error { return t.err }

// place gives the Timer a reactor and arms it there.
func (t *Timer) place() {
	r := t.l.pick()
	t.r.Store(r)
	r.post(t.arm)
}

// arm puts the Timer in its reactor's wheel, unless it was stopped, or a
// Shutdown began since it was made. Reactor only.
func (t *Timer) arm() {
	if t.state.Load() != timerPending {
		return
	}
	if t.held && t.l.shutting.Load() { // pending when the Shutdown began
		t.drop()
		return
	}
	r := t.r.Load()
	r.addTimer(&t.node, r.loop.tickAt(t.at))
}

func (t *Timer) unlink() { t.r.Load().wheel.remove(&t.node) }

// expire runs the Timer's function. Reactor only.
func (t *Timer) expire(*timerNode) {
	if !t.state.CompareAndSwap(timerPending, timerRunning) {
		return // stopped
	}
	if t.l.running() {
		t.l.call(nil, t.fn)
	}
	if t.held && t.l.shutting.Load() { // an Interval of before the Shutdown: it ends
		t.state.Store(timerDone)
		t.finish()
		return
	}
	if t.period > 0 && t.state.CompareAndSwap(timerRunning, timerPending) {
		r := t.r.Load()
		r.addTimer(&t.node, r.now+t.l.ticks(t.period))
		return
	}
	t.state.Store(timerDone)
	t.finish()
}

// finish releases what a live Timer holds, once.
func (t *Timer) finish() {
	t.l.stats.timers(-1)
	if t.held {
		t.l.release()
	}
}

// drop cancels a pending Timer without running it (a Shutdown drops the
// timers it finds). Reactor only.
func (t *Timer) drop() {
	if t.state.CompareAndSwap(timerPending, timerDone) {
		t.r.Load().wheel.remove(&t.node)
		t.finish()
	}
}
