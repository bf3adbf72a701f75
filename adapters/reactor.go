package adapters

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
)

// ErrStopped is returned by a transport's reactors once it is stopping.
var ErrStopped = errors.New("asyncnet: transport stopped")

// gate lets enrollments through until the transport stops, and lets Stop
// wait for those under way.
type gate struct {
	mu       sync.Mutex // protects stopping
	stopping bool
	inflight sync.WaitGroup
}

func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return false
	}
	g.inflight.Add(1)
	return true
}

func (g *gate) leave() { g.inflight.Done() }

// close stops new enrollments and waits for those under way.
func (g *gate) close() {
	g.mu.Lock()
	g.stopping = true
	g.mu.Unlock()
	g.inflight.Wait()
}

// reactor is one gnet event loop, as a core.Reactor.
type reactor struct {
	gate *gate
	el   gnet.EventLoop
	idx  int
}

// runnable adapts a func to gnet.Runnable without allocating.
type runnable func()

func (f runnable) Run(context.Context) error { f(); return nil }

func (r *reactor) Execute(fn func()) error {
	return r.el.Execute(context.Background(), runnable(fn))
}

func (r *reactor) Enroll(nc net.Conn, ch core.ConnHandler) error {
	if nc.RemoteAddr() == nil { // gnet's worker would panic on it
		_ = nc.Close()
		return errNoPeer
	}
	if !r.gate.enter() {
		_ = nc.Close()
		return ErrStopped
	}
	defer r.gate.leave()
	res, err := r.el.Enroll(gnet.NewContext(context.Background(), &enrollment{ch: ch, idx: r.idx}), nc)
	if err != nil {
		_ = nc.Close() // gnet closes nc itself once its worker has started
		return err
	}
	if got, ok := <-res; !ok || got.Err == nil && got.Conn == nil {
		return errNotEnrolled // the worker gave up (gnet logs why) and closed the channel
	} else {
		return got.Err
	}
}

var (
	// errNoPeer is returned by Enroll for a connection with no peer
	// address: one that has ended both ways already.
	errNoPeer = fmt.Errorf("asyncnet: enroll: %w (the connection has ended)", syscall.ENOTCONN)
	// errNotEnrolled is returned by Enroll when gnet's worker gave up
	// without a result.
	errNotEnrolled = errors.New("asyncnet: enroll: gnet did not take the connection")
)

func (r *reactor) Close(c core.Conn) error {
	gc, ok := c.(gnet.Conn)
	if !ok {
		return fmt.Errorf("asyncnet: %T is not a gnet.Conn", c)
	}
	return r.el.Close(gc)
}

func (r *reactor) Wake(c core.Conn) error {
	gc, ok := c.(gnet.Conn)
	if !ok {
		return fmt.Errorf("asyncnet: %T is not a gnet.Conn", c)
	}
	return gc.Wake(nil)
}
