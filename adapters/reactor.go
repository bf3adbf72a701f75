package adapters

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

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
	return (<-res).Err
}

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
