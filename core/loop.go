package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/deftransport"
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

	tr      Transport
	rset    atomic.Pointer[[]*reactor] // the reactors; a transport may add some (copy on write)
	start   time.Time                  // when the Loop started: tick 0
	started atomic.Bool
	ready   chan struct{} // closed once started
	earlyMu sync.Mutex    // protects early, and started's setting
	early   []func()      // work posted while the transport was starting (see whenStarted)
	next    atomic.Uint32 // round robin over reactors for loop-level work

	startMu sync.Mutex    // serializes Start
	ended   chan struct{} // closed once the Loop has shut down

	bg sync.WaitGroup // dial, accept and background-flush goroutines

	mu      sync.Mutex // protects err and closers
	err     error
	closers map[io.Closer]struct{} // servers and background writers, closed on Exit

	stats      counters
	bytesOut   atomic.Int64         // the unsent bytes of sockets not connected yet (see Socket.addUnsentLocked)
	stay       atomic.Bool          // WithStayRunning's hold is held (Shutdown releases it)
	shutting   atomic.Bool          // Shutdown has begun
	pending    map[*Socket]struct{} // outgoing sockets not connected yet (under mu), for Shutdown
	persistent atomic.Bool          // the transport keeps the Loop alive (see Persistent)
	trStopped  atomic.Bool          // the transport stopped on its own (OnStop)
	cutDials   []*Socket            // connects the transport's stop cut short; under mu
	addMu      sync.Mutex           // serializes AddReactor
}

const (
	loopIdle     int32 = iota
	loopRunning        // serving
	loopStopping       // the transport is stopping on its own: sockets get SocketClosed events
	loopExiting        // Exit: no more callbacks
	loopDone
)

// NewLoop returns a Loop configured by opts. Nothing runs until Run; an
// invalid option is reported by Run.
func NewLoop(opts ...LoopOption) *Loop {
	l := &Loop{
		set:     loopSettings{tickInterval: DefaultTickInterval},
		done:    make(chan struct{}),
		ended:   make(chan struct{}),
		ready:   make(chan struct{}),
		closers: make(map[io.Closer]struct{}),
		pending: make(map[*Socket]struct{}),
	}
	for i, o := range opts {
		if o == nil {
			l.setErr = &ArgError{Call: "core.NewLoop", Arg: fmt.Sprintf("option %d", i), Reason: "nil LoopOption"}
			break
		}
		if err := o.applyLoop(&l.set); err != nil {
			l.setErr = &ArgError{Call: "core.NewLoop", Arg: o.Name(), Reason: err.Error()}
			break
		}
	}
	if l.set.logger == nil {
		l.set.logger = slog.Default()
	}
	l.log = l.set.logger
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// Err returns the error of an invalid LoopOption given to NewLoop (an
// *ArgError naming it), which Run and Start would return, or nil.
func (l *Loop) Err() error {
	if !l.valid() {
		return zeroLoop("Loop.Err")
	}
	return l.setErr
}

// valid reports whether l was made by NewLoop (a zero or nil Loop is not).
func (l *Loop) valid() bool { return l != nil && l.done != nil }

// Logger returns the Loop's logger (WithLogger; slog.Default() if none was
// given).
func (l *Loop) Logger() *slog.Logger {
	if !l.valid() {
		return slog.Default()
	}
	return l.log
}

// StartEventLoop runs a new Loop configured by opts, calling start on one
// of its reactors, and returns when the Loop has nothing left to do or has
// exited. It is the equivalent of cl-async's start-event-loop.
func StartEventLoop(start func(l *Loop), opts ...LoopOption) error {
	return NewLoop(opts...).Run(start)
}

// Run starts the Loop (see Start), calling start on one of its reactors,
// and blocks until it ends (see Wait). It returns nil when the Loop has
// nothing left or has exited; an error if the Loop could not start, or the
// *PanicError of a callback that panicked without WithCatchAppErrors. A
// Loop runs only once; on a Loop already started by its transport (see
// adapters.Wrap), Run calls start and waits.
//
// Run waits, so it must not be called on one of the Loop's reactors (inside
// a callback): there it returns an error matching ErrInReactor and does
// nothing.
func (l *Loop) Run(start func(l *Loop)) error {
	if !l.valid() {
		return zeroLoop("Loop.Run")
	}
	if l.InReactor() {
		return fmt.Errorf("asyncnet: Loop.Run: %w (it would wait for itself)", ErrInReactor)
	}
	if err := l.Start(start); err != nil {
		return err
	}
	return l.Wait()
}

// Start starts the Loop's reactors, calls start (if not nil) on one of
// them, and returns once start has returned, so that the Loop is ready for
// whatever the caller does next. Called on one of the Loop's reactors
// (inside a callback), it returns at once and start runs after the current
// callback. From then on the Loop runs until no server, socket, pending
// connect or timer is left (or, with WithStayRunning, until Exit or
// Shutdown). Calling Start on a running Loop just calls start there. Safe
// to call from any goroutine.
func (l *Loop) Start(start func(l *Loop)) error {
	if !l.valid() {
		return zeroLoop("Loop.Start")
	}
	if l.setErr != nil {
		return l.setErr
	}
	l.startMu.Lock()
	switch l.state.Load() {
	case loopIdle:
		l.state.Store(loopRunning)
		if err := l.startTransport(); err != nil {
			l.state.Store(loopDone)
			l.cancel()
			close(l.ended)
			l.startMu.Unlock()
			return err
		}
		l.hold() // released by the start function below
		if l.set.stayRunning {
			l.hold() // released by Shutdown (Exit needs no release)
			l.stay.Store(true)
		}
		go func() {
			<-l.done
			l.shutdown()
			close(l.ended)
		}()
	case loopRunning:
		l.hold()
	default:
		l.startMu.Unlock()
		return fmt.Errorf("asyncnet: Loop.Start: %w (a Loop runs only once)", ErrLoopNotRunning)
	}
	l.startMu.Unlock()
	ran := make(chan struct{})
	l.rs()[0].post(func() {
		defer close(ran)
		defer l.release()
		if start != nil {
			l.call(nil, func() { start(l) })
		}
	})
	if !l.InReactor() {
		select {
		case <-ran:
		case <-l.ended: // the Loop ended before start could run
		}
	}
	return nil
}

// Running reports whether the Loop has started and not ended: it accepts
// new servers, connections and timers. It is true during a Shutdown (while
// the open connections finish) and false once Exit has been called or Run
// has returned. Safe to call from any goroutine.
func (l *Loop) Running() bool { return l.valid() && l.running() }

// Wait blocks until the started Loop has ended and returns as Run does.
// Safe to call from any goroutine except the Loop's reactors, where it
// returns an error matching ErrInReactor (it would wait for itself).
func (l *Loop) Wait() error {
	if !l.valid() {
		return zeroLoop("Loop.Wait")
	}
	if l.InReactor() {
		return fmt.Errorf("asyncnet: Loop.Wait: %w (it would wait for itself)", ErrInReactor)
	}
	<-l.ended
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Loop) startTransport() error {
	tr := l.set.transport
	if tr == nil {
		tr = deftransport.New()
	}
	if tr == nil {
		return errors.New("asyncnet: no transport: import github.com/asyncnet/asyncnet/adapters (or client, server, stream)")
	}
	n := l.set.numLoops
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	rs, err := tr.Start(transport.Config{Reactors: n, Logger: l.log}, (*loopEvents)(l))
	if err != nil {
		return fmt.Errorf("asyncnet: starting the transport: %w", err)
	}
	if len(rs) == 0 {
		_ = tr.Stop()
		return errors.New("asyncnet: the transport started no reactor")
	}
	l.tr = tr
	l.start = time.Now()
	set := make([]*reactor, len(rs))
	for i, r := range rs {
		set[i] = newReactor(l, i, r)
	}
	l.rset.Store(&set)
	if p, ok := tr.(transport.Persistent); ok && p.Persistent() {
		l.hold() // released when the transport stops (OnStop)
		l.persistent.Store(true)
	}
	l.earlyMu.Lock()
	l.started.Store(true)
	early := l.early
	l.early = nil
	l.earlyMu.Unlock()
	close(l.ready)
	for _, fn := range early {
		fn()
	}
	return nil
}

// whenStarted calls fn once the Loop has its reactors: now, or, while a
// transport that starts slowly is starting (a Plugin waits for its engine's
// event loops), when it has started. fn must not block.
func (l *Loop) whenStarted(fn func()) {
	if !l.started.Load() {
		l.earlyMu.Lock()
		if !l.started.Load() {
			l.early = append(l.early, fn)
			l.earlyMu.Unlock()
			return
		}
		l.earlyMu.Unlock()
	}
	fn()
}

// awaitStarted waits until the Loop has its reactors, or reports false if
// it ended first. Not for reactors.
func (l *Loop) awaitStarted() bool {
	select {
	case <-l.ready:
		return true
	case <-l.ctx.Done():
		return false
	}
}

// rs returns the reactors (a snapshot: a transport may add more).
func (l *Loop) rs() []*reactor { return *l.rset.Load() }

// Exit stops the Loop: every socket and server is closed at once (unsent
// bytes are dropped, no event callback runs), pending timers are dropped,
// and Run returns. It is the equivalent of cl-async's exit-event-loop. Safe
// to call from any goroutine, also inside a callback; calling it again, or
// on a Loop that is not running, does nothing.
func (l *Loop) Exit() {
	if l.valid() && l.state.CompareAndSwap(loopRunning, loopExiting) {
		l.signalDone()
	}
}

// shutdown tears the Loop down once done is closed.
func (l *Loop) shutdown() {
	stopping := !l.state.CompareAndSwap(loopRunning, loopExiting) && l.state.Load() == loopStopping
	if stopping {
		// The transport stops on its own: it closes our connections, with
		// their events, before Stop returns.
		l.closeServers()
		if err := l.tr.Stop(); err != nil {
			l.log.Warn("asyncnet: stopping the transport", "err", err)
		}
		l.state.Store(loopExiting)
	}
	l.cancel()
	l.closeServers()
	if err := l.tr.Stop(); err != nil {
		l.log.Warn("asyncnet: stopping the transport", "err", err)
	}
	l.bg.Wait()
	l.mu.Lock()
	cut := l.cutDials
	l.cutDials = nil
	l.mu.Unlock()
	for _, s := range cut { // no reactor runs any more: the events run alone
		s.stoppedDial()
	}
	l.stats.nTimers.Store(0) // dropped, never to run
	l.state.Store(loopDone)
}

// closeServers closes the servers and background writers.
func (l *Loop) closeServers() {
	l.mu.Lock()
	closers := slices.Collect(maps.Keys(l.closers))
	l.mu.Unlock()
	for _, c := range closers {
		_ = c.Close()
	}
}

// delivering reports whether socket events still reach their callbacks:
// while running, and while the transport stops on its own.
func (l *Loop) delivering() bool {
	st := l.state.Load()
	return st == loopRunning || st == loopStopping
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
	rs := l.rs()
	return rs[int(l.next.Add(1)-1)%len(rs)]
}

// leastLoaded returns the reactor with the fewest connections.
func (l *Loop) leastLoaded() *reactor {
	rs := l.rs()
	best := rs[0]
	min := best.conns.Load()
	for _, r := range rs[1:] {
		if n := r.conns.Load(); n < min {
			best, min = r, n
		}
	}
	return best
}

// post runs fn on some reactor of a running Loop; it reports false if the
// Loop is not running.
func (l *Loop) post(fn func()) bool {
	if !l.running() {
		return false
	}
	if l.started.Load() { // the usual case, without a closure
		l.pick().post(fn)
		return true
	}
	l.whenStarted(func() { l.pick().post(fn) })
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

// OnTick queues a tick on every reactor that has a timer due.
func (e *loopEvents) OnTick() (next time.Duration) {
	l := (*Loop)(e)
	if l.started.Load() && l.running() {
		now := l.tickNow()
		for _, r := range l.rs() {
			r.queueTick(now)
		}
	}
	return l.set.tickInterval
}

// AddReactor adds a reactor the transport found after Start, and returns
// its index.
func (e *loopEvents) AddReactor(tr transport.Reactor) int {
	l := (*Loop)(e)
	l.addMu.Lock() // one writer at a time
	defer l.addMu.Unlock()
	old := l.rs()
	set := make([]*reactor, len(old), len(old)+1)
	copy(set, old)
	set = append(set, newReactor(l, len(old), tr))
	l.rset.Store(&set)
	return len(old)
}

// OnStop ends the Loop because its transport is stopping on its own (an
// application's gnet engine shutting down): the sockets it closes get a
// conditions.SocketClosed event, and Run returns.
func (e *loopEvents) OnStop() {
	l := (*Loop)(e)
	if l.state.CompareAndSwap(loopRunning, loopStopping) {
		l.trStopped.Store(true)
		l.cancel() // pending dials
		if l.persistent.Load() {
			l.release()
		}
		l.signalDone()
	}
}

// Hold keeps the Loop running for the transport (see transport.Handler).
func (e *loopEvents) Hold() { (*Loop)(e).hold() }

// Release ends a Hold.
func (e *loopEvents) Release() { (*Loop)(e).release() }
