package memtransport

import (
	"errors"
	"net"
	"sync"

	"github.com/asyncnet/asyncnet/core/transport"
)

// reactor is one goroutine that runs, one at a time and in the order they
// were queued, the Execute'd functions and the events of its connections
// (each connection's events are one queued function: service).
type reactor struct {
	t   *memTransport
	idx int

	mu      sync.Mutex // protects tasks and stopped
	tasks   []func()
	stopped bool          // Execute refuses; the goroutine ends once tasks are run
	wake    chan struct{} // holds a token while tasks may be waiting
	done    chan struct{} // closed when the goroutine has returned

	// Only touched on the reactor goroutine.
	batch []func() // the tasks being run: batch[next:] are still to run
	next  int
	conns map[*tconn]struct{} // open connections, and tails (see tconn.endTail)
}

func newReactor(t *memTransport, idx int) *reactor {
	return &reactor{t: t, idx: idx, wake: make(chan struct{}, 1), done: make(chan struct{}), conns: make(map[*tconn]struct{})}
}

// Execute queues fn to run on the reactor goroutine after what is queued
// already. Safe to call from any goroutine.
func (r *reactor) Execute(fn func()) error {
	if fn == nil {
		return errors.New("memtransport: Execute: nil func")
	}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return ErrStopped
	}
	r.tasks = append(r.tasks, fn)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // a token is there already
	}
	return nil
}

// run is the reactor goroutine. A function that ends it
// (runtime.Goexit, as t.FailNow on a reactor does) does not end the
// reactor: it goes on with the rest of its work on a new goroutine, so
// that what is queued runs and Stop returns (core stops its Loop then).
func (r *reactor) run() {
	returned := false
	defer func() {
		if returned {
			close(r.done)
		} else {
			go r.run()
		}
	}()
	for {
		for r.next < len(r.batch) {
			fn := r.batch[r.next]
			r.batch[r.next] = nil
			r.next++
			fn()
		}
		r.mu.Lock()
		if len(r.tasks) == 0 {
			stopped := r.stopped
			r.mu.Unlock()
			if stopped {
				r.closeAll()
				returned = true
				return
			}
			<-r.wake
			continue
		}
		r.batch, r.tasks = r.tasks, r.batch[:0]
		r.next = 0
		r.mu.Unlock()
	}
}

// stop makes Execute refuse and the goroutine end, once it has run what
// is queued and closed its connections.
func (r *reactor) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// closeAll closes every connection of the reactor, dropping what is
// unsent. Reactor only, as it stops.
func (r *reactor) closeAll() {
	for c := range r.conns {
		c.stopped()
	}
}

// Enroll hands nc to the reactor for ch: a Conn of a Network is served
// directly, any other net.Conn through a reader and a writer goroutine.
// It returns once ch.OnOpen has run. Safe to call from any goroutine but
// a reactor's.
func (r *reactor) Enroll(nc net.Conn, ch transport.ConnHandler) error {
	if nc == nil || ch == nil {
		return errors.New("memtransport: Enroll: nil net.Conn or ConnHandler")
	}
	var w wire
	if mc, ok := nc.(*Conn); ok {
		mw, err := newMemWire(mc)
		if err != nil {
			return err
		}
		w = mw
	} else {
		w = newBridge(r.t, nc)
	}
	c := newTConn(r, ch, w)
	opened := make(chan struct{})
	if err := r.Execute(func() {
		defer close(opened)
		c.open()
	}); err != nil {
		w.close(closeAbort)
		return err
	}
	<-opened
	return nil
}
