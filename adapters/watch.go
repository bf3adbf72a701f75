package adapters

import (
	"os"
	"sync"
	"time"
)

// Watching: gnet says nothing when its buffer has drained, so a reactor
// polls the connections that have bytes in flight on its ticks: the bytes
// gnet no longer holds are in the kernel (the socket learns it with
// OnSent, and hands more), and a Close or CloseWrite that waited for them
// goes ahead. While the ticks keep moving bytes (a fast peer behind a large
// write), the next tick comes after fastTick rather than a whole interval.
// Detached descriptors are checked for errors every detachedCheck.

// fastTick is the interval of the ticks while bytes flow.
const fastTick = time.Millisecond

// addWatch polls cn on the ticks until it has nothing in flight. Reactor
// only.
func (r *reactor) addWatch(cn *conn) {
	if cn.watched {
		return
	}
	cn.watched = true
	r.watch = append(r.watch, cn)
	r.needPoll.Store(true)
}

// poll runs on the reactor when a tick finds it has something to poll.
func (r *reactor) poll() {
	r.pollQueued.Store(false)
	r.progressed = false
	ws := r.watch
	r.watch = r.spareW // connections watched during the poll land here
	for _, cn := range ws {
		if cn.watched && cn.pollSent() {
			r.watch = append(r.watch, cn)
		} else {
			cn.watched = false
		}
	}
	clear(ws)
	r.spareW = ws[:0]
	if len(r.detached) > 0 && time.Since(r.lastCheck) >= detachedCheck {
		r.lastCheck = time.Now()
		r.checkDetached()
	}
	r.flowing.Store(r.progressed && len(r.watch) > 0)
	r.needPoll.Store(len(r.watch) > 0 || len(r.detached) > 0)
}

// pollSent moves cn's bytes on and reports whether it still needs
// watching. Reactor only.
func (cn *conn) pollSent() bool {
	before := cn.inflight.Len()
	switch cn.mode {
	case modeGnet:
		cn.settle()
	case modeParked, modeHalfOpen:
		if !cn.settling {
			cn.writeDetached()
		}
	case modeClosed:
		return false
	default:
		return true // on its way (resuming, settling): look again later
	}
	if cn.inflight.Len() < before {
		cn.sentSome()
	}
	if cn.mode == modeClosed {
		return false
	}
	cn.afterSent()
	return cn.mode != modeClosed && (cn.inflight.Len() > 0 || cn.settling)
}

// sentSome tells the socket that the kernel took bytes. Reactor only.
func (cn *conn) sentSome() {
	if cn.mode != modeClosed {
		cn.ch.OnSent(cn)
	}
}

// checkDetached closes the detached connections whose descriptor reports
// an error (the peer reset the connection, say). Reactor only.
func (r *reactor) checkDetached() {
	fds := r.detFDs[:0]
	for _, cn := range r.detached {
		fds = append(fds, cn.fd)
	}
	r.detFDs = fds
	failed := failedFDs(fds)
	gone := make([]*conn, len(failed)) // closing one reorders r.detached
	for i, f := range failed {
		gone[i] = r.detached[f.idx]
	}
	for i, cn := range gone {
		if !cn.settling {
			cn.closeDetached(os.NewSyscallError("read", failed[i].err))
		}
	}
}

// tick queues a poll on every reactor that has something to poll, and
// returns how long to wait before the next tick: next, or fastTick while
// bytes flow. Called by the ticking goroutine.
func (hb *hub) tick(next time.Duration) time.Duration {
	for _, r := range hb.reactors() {
		if r.flowing.Load() {
			next = min(next, fastTick)
		}
		if !r.needPoll.Load() || !r.pollQueued.CompareAndSwap(false, true) {
			continue
		}
		if err := r.Execute(r.pollFn); err != nil {
			r.pollQueued.Store(false)
		}
	}
	return next
}

// closeAll ends the connections of r that gnet no longer holds (detached):
// their descriptors are closed and their handlers told. Reactor only, or
// once the reactors have stopped.
func (r *reactor) closeAll() {
	for len(r.detached) > 0 {
		r.detached[len(r.detached)-1].closeDetached(nil)
	}
}

// abortAll closes every connection of r at once: after Exit, on an
// application's engine that goes on. Reactor only.
func (r *reactor) abortAll() {
	for len(r.open) > 0 {
		cn := r.open[len(r.open)-1]
		if err := cn.Abort(false); err != nil || cn.mode != modeClosed {
			cn.closed(ErrStopped) // on its way somewhere: it ends here
		}
	}
}

// closeDetached has every reactor close its detached connections, on its
// own goroutine, and waits (at most detachedWait: a reactor whose
// goroutine a callback ended never answers). gnet calls OnShutdown while
// its loops still run, so that is where an application's engine stopping
// does it (the connections gnet holds, it closes itself next).
func (hb *hub) closeDetached() {
	var wg sync.WaitGroup
	for _, r := range hb.reactors() {
		wg.Add(1)
		if err := r.Execute(func() {
			defer wg.Done()
			r.closeAll()
		}); err != nil {
			wg.Done()
		}
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(detachedWait):
		hb.log().Error("asyncnet: an event loop did not close asyncnet's detached connections")
	}
}

// detachedWait bounds closeDetached.
const detachedWait = 10 * time.Second
