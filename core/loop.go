package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Loop is an event loop: N reactors (gnet event loops) that serve every
// server and every connection created on it, and run all their callbacks.
// It is the equivalent of cl-async's event loop (with-event-loop).
//
// A Loop runs once: create it with NewLoop, then call Run (or use
// StartEventLoop, which does both). Its methods are safe to call from any
// goroutine.
type Loop struct {
	set    loopSettings
	setErr error // a bad LoopOption, returned by Run
	log    *slog.Logger

	state atomic.Int32 // loopIdle, loopRunning, loopExiting, loopDone
	live  atomic.Int64 // resources that keep Run going: sockets, servers, timers, the start function
	done  chan struct{}
	once  sync.Once // closes done

	ctx    context.Context // canceled when the Loop stops; dials use it
	cancel context.CancelFunc

	tr       Transport
	reactors []*reactor // fixed once Run has started them
	start    time.Time  // when Run started: tick 0
	started  atomic.Bool
	next     atomic.Uint32 // round robin over reactors for loop-level work

	bg sync.WaitGroup // dial, accept and background-flush goroutines

	mu      sync.Mutex // protects err and closers
	err     error
	closers map[io.Closer]struct{} // servers and background writers, closed on Exit
	parked  map[*parking]struct{}  // parked descriptors, closed once the reactors have stopped

	stats counters
}

const (
	loopIdle int32 = iota
	loopRunning
	loopExiting
	loopDone
)

// NewLoop returns a Loop configured by opts. Nothing runs until Run; an
// invalid option is reported by Run.
func NewLoop(opts ...LoopOption) *Loop {
	l := &Loop{
		set:     loopSettings{tickInterval: DefaultTickInterval},
		done:    make(chan struct{}),
		closers: make(map[io.Closer]struct{}),
		parked:  make(map[*parking]struct{}),
	}
	for _, o := range opts {
		if o.apply == nil {
			l.setErr = &ArgError{Call: "core.NewLoop", Arg: "option", Reason: "zero LoopOption"}
			break
		}
		if err := o.apply(&l.set); err != nil {
			l.setErr = &ArgError{Call: "core.NewLoop", Arg: o.name, Reason: err.Error()}
			break
		}
	}
	if l.set.logger == nil {
		l.set.logger = slog.New(slog.DiscardHandler)
	}
	l.log = l.set.logger
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// StartEventLoop runs a new Loop configured by opts, calling start on one
// of its reactors, and returns when the Loop has nothing left to do or has
// exited. It is the equivalent of cl-async's start-event-loop.
func StartEventLoop(start func(l *Loop), opts ...LoopOption) error {
	return NewLoop(opts...).Run(start)
}

// Run starts the Loop's reactors, calls start on one of them, and blocks
// until no server, socket, pending connect or timer is left, or until Exit.
// It returns nil then; an error if the Loop could not start, or the
// *PanicError of a callback that panicked without WithCatchAppErrors. A
// Loop runs only once.
func (l *Loop) Run(start func(l *Loop)) error {
	if l.setErr != nil {
		return l.setErr
	}
	if !l.state.CompareAndSwap(loopIdle, loopRunning) {
		return fmt.Errorf("asyncnet: Loop.Run: %w (a Loop runs only once)", ErrLoopNotRunning)
	}
	if err := l.startTransport(); err != nil {
		l.state.Store(loopDone)
		l.cancel()
		return err
	}
	l.hold()
	l.reactors[0].post(func() {
		defer l.release()
		if start != nil {
			l.call(nil, func() { start(l) })
		}
	})
	<-l.done
	l.shutdown()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Loop) startTransport() error {
	tr := l.set.transport
	if tr == nil {
		f := defaultTransport.Load()
		if f == nil {
			return errors.New("asyncnet: no transport: import github.com/asyncnet/asyncnet/adapters (or client, server, stream)")
		}
		tr = (*f)()
	}
	n := l.set.numLoops
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	rs, err := tr.Start(TransportConfig{NumReactors: n, Logger: l.log}, (*loopEvents)(l))
	if err != nil {
		return fmt.Errorf("asyncnet: starting the transport: %w", err)
	}
	if len(rs) == 0 {
		_ = tr.Stop()
		return errors.New("asyncnet: the transport started no reactor")
	}
	l.tr = tr
	l.start = time.Now()
	l.reactors = make([]*reactor, len(rs))
	for i, r := range rs {
		l.reactors[i] = newReactor(l, i, r)
	}
	l.started.Store(true)
	return nil
}

// Exit stops the Loop: every socket and server is closed at once (unsent
// bytes are dropped, no event callback runs), pending timers are dropped,
// and Run returns. It is the equivalent of cl-async's exit-event-loop. Safe
// to call from any goroutine, also inside a callback; calling it again, or
// on a Loop that is not running, does nothing.
func (l *Loop) Exit() {
	if l.state.CompareAndSwap(loopRunning, loopExiting) {
		l.signalDone()
	}
}

// shutdown tears the Loop down once done is closed.
func (l *Loop) shutdown() {
	l.state.CompareAndSwap(loopRunning, loopExiting)
	l.cancel()
	l.mu.Lock()
	closers := make([]io.Closer, 0, len(l.closers))
	for c := range l.closers {
		closers = append(closers, c)
	}
	l.mu.Unlock()
	for _, c := range closers {
		_ = c.Close()
	}
	if err := l.tr.Stop(); err != nil {
		l.log.Warn("asyncnet: stopping the transport", "err", err)
	}
	l.mu.Lock()
	parked := make([]*parking, 0, len(l.parked))
	for p := range l.parked {
		parked = append(parked, p)
	}
	clear(l.parked)
	l.mu.Unlock()
	for _, p := range parked { // the reactors have stopped: nothing else touches them
		_ = p.Close()
		p.s.abandon()
	}
	l.bg.Wait()
	l.stats.update(func(st *Stats) { st.Timers = 0 }) // dropped, never to run
	l.state.Store(loopDone)
}

// tickNow returns the current tick: the ticks since Run started.
func (l *Loop) tickNow() int64 { return int64(time.Since(l.start) / l.set.tickInterval) }

// tickAt returns the first tick at or after t.
func (l *Loop) tickAt(t time.Time) int64 {
	d := t.Sub(l.start)
	return int64((d + l.set.tickInterval - 1) / l.set.tickInterval)
}

// ticks returns d in ticks, rounded up, at least one.
func (l *Loop) ticks(d time.Duration) int64 {
	return max(1, int64((d+l.set.tickInterval-1)/l.set.tickInterval))
}

// running reports whether the Loop is running and not exiting.
func (l *Loop) running() bool { return l.state.Load() == loopRunning }

func (l *Loop) signalDone() { l.once.Do(func() { close(l.done) }) }

// hold registers a resource that keeps Run going; release drops it.
func (l *Loop) hold() { l.live.Add(1) }

func (l *Loop) release() {
	if l.live.Add(-1) == 0 {
		l.signalDone()
	}
}

// track registers c to be closed when the Loop stops; untrack forgets it.
func (l *Loop) track(c io.Closer) {
	l.mu.Lock()
	l.closers[c] = struct{}{}
	l.mu.Unlock()
}

func (l *Loop) untrack(c io.Closer) {
	l.mu.Lock()
	delete(l.closers, c)
	l.mu.Unlock()
}

// fail records err as Run's result and stops the Loop.
func (l *Loop) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.mu.Unlock()
	l.Exit()
}

// pick returns a reactor for loop-level work, round robin.
func (l *Loop) pick() *reactor {
	return l.reactors[int(l.next.Add(1)-1)%len(l.reactors)]
}

// leastLoaded returns the reactor with the fewest connections.
func (l *Loop) leastLoaded() *reactor {
	best := l.reactors[0]
	min := best.conns.Load()
	for _, r := range l.reactors[1:] {
		if n := r.conns.Load(); n < min {
			best, min = r, n
		}
	}
	return best
}

// post runs fn on some reactor of a running Loop; it reports false if the
// Loop is not running.
func (l *Loop) post(fn func()) bool {
	if !l.started.Load() || !l.running() {
		return false
	}
	l.pick().post(fn)
	return true
}

// call runs fn, a callback of s (nil for a loop-level callback such as the
// start function), turning a panic into what WithCatchAppErrors says.
func (l *Loop) call(s *Socket, fn func()) {
	returned := false
	defer l.recoverCallback(s, &returned)
	fn()
	returned = true
}

// ErrGoexit is Run's error when a callback ended its goroutine with
// runtime.Goexit (as t.FailNow does): its reactor is gone, so the Loop
// stops rather than hang.
var ErrGoexit = errors.New("asyncnet: a callback called runtime.Goexit (t.FailNow or log.Fatal on a reactor?); the Loop stopped")

// recoverCallback must be deferred directly around a user callback of s;
// *returned is set once the callback has returned normally.
func (l *Loop) recoverCallback(s *Socket, returned *bool) {
	v := recover()
	switch {
	case v != nil:
		l.panicked(s, &PanicError{Value: v, Stack: debug.Stack()})
	case !*returned:
		l.fail(ErrGoexit)
	}
}

func (l *Loop) panicked(s *Socket, perr *PanicError) {
	if !l.set.catchApp {
		l.fail(perr)
		return
	}
	if s == nil {
		l.log.Error("asyncnet: callback panicked", "panic", perr.Value, "stack", string(perr.Stack))
		return
	}
	s.appError(perr)
}

// loopEvents is the Loop as the transport's Handler.
type loopEvents Loop

// OnTick queues a tick on every reactor that has something to check.
func (e *loopEvents) OnTick() (next time.Duration) {
	l := (*Loop)(e)
	if l.started.Load() && l.running() {
		now := l.tickNow()
		for _, r := range l.reactors {
			r.queueTick(now)
		}
	}
	return l.set.tickInterval
}
