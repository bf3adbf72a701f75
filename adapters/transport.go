package adapters

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
)

func init() {
	core.SetDefaultTransport(func() core.Transport { return NewTransport() })
}

// ErrStopped is returned by a transport's reactors once it is stopping.
var ErrStopped = errors.New("asyncnet: transport stopped")

// NewTransport returns a core.Transport that runs a Loop's reactors as the
// event loops of a new gnet engine (a gnet.Client, which has no listener of
// its own: servers accept on their own goroutine and hand each connection
// to the least loaded event loop). It is the default transport of every
// Loop; pass it to core.WithTransport only to add gnet options, such as
// gnet.WithLockOSThread or gnet.WithSocketSendBuffer. Options that the Loop
// sets (event loops, ticker, logger) are overridden.
func NewTransport(opts ...gnet.Option) core.Transport {
	return &engine{extra: opts}
}

// engine is the default transport: one gnet.Client engine per Loop.
type engine struct {
	extra []gnet.Option
	h     atomic.Pointer[core.Handler] // set once the reactors are known
	cli   *gnet.Client
	probe chan gnet.EventLoop

	mu       sync.Mutex // protects stopping
	stopping bool
	inflight sync.WaitGroup // Enroll calls under way
	stopOnce sync.Once
}

// Start starts the gnet engine and finds its event loops.
func (t *engine) Start(cfg core.TransportConfig, h core.Handler) ([]core.Reactor, error) {
	if cfg.NumReactors <= 0 {
		return nil, fmt.Errorf("asyncnet: %d reactors", cfg.NumReactors)
	}
	opts := append(append([]gnet.Option{}, t.extra...),
		gnet.WithNumEventLoop(cfg.NumReactors),
		gnet.WithTicker(true),
		gnet.WithLogger(slogLogger{cfg.Logger}),
	)
	t.probe = make(chan gnet.EventLoop, cfg.NumReactors)
	cli, err := gnet.NewClient(&handler{t: t}, opts...)
	if err != nil {
		return nil, err
	}
	if err := cli.Start(); err != nil {
		return nil, err
	}
	t.cli = cli
	newProbe, peers := newProbes()
	loops, err := discoverLoops(cli, t.probe, cfg.NumReactors, newProbe)
	_ = peers.Close()
	if err != nil {
		_ = cli.Stop()
		return nil, err
	}
	rs := make([]core.Reactor, len(loops))
	for i, el := range loops {
		rs[i] = &reactor{t: t, el: el, idx: i}
	}
	t.h.Store(&h)
	return rs, nil
}

// Stop waits for the enrollments under way, then stops the engine: gnet
// closes every connection (OnClose) before its loops exit.
func (t *engine) Stop() error {
	var err error
	t.stopOnce.Do(func() {
		t.mu.Lock()
		t.stopping = true
		t.mu.Unlock()
		t.inflight.Wait()
		err = t.cli.Stop()
	})
	return err
}

// reactor is one gnet event loop.
type reactor struct {
	t   *engine
	el  gnet.EventLoop
	idx int
}

// runnable adapts a func to gnet.Runnable without allocating.
type runnable func()

func (f runnable) Run(context.Context) error { f(); return nil }

func (r *reactor) Execute(fn func()) error {
	return r.el.Execute(context.Background(), runnable(fn))
}

func (r *reactor) Enroll(nc net.Conn, ch core.ConnHandler) error {
	t := r.t
	t.mu.Lock()
	if t.stopping {
		t.mu.Unlock()
		_ = nc.Close()
		return ErrStopped
	}
	t.inflight.Add(1)
	t.mu.Unlock()
	defer t.inflight.Done()

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

// enrollment is the gnet context of a connection until it opens; then the
// context becomes its core.ConnHandler.
type enrollment struct {
	ch  core.ConnHandler
	idx int
}

// probeConn marks the connections that find the event loops.
type probeConn struct{}

// handler is the gnet.EventHandler of the engine.
type handler struct {
	gnet.BuiltinEventEngine
	t *engine
}

func (h *handler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	switch v := c.Context().(type) {
	case *enrollment:
		c.SetContext(v.ch) // before OnOpen: a close inside it must reach OnClose
		if !v.ch.OnOpen(v.idx, c) {
			c.SetContext(nil)
			return nil, gnet.Close
		}
		return nil, gnet.None
	case probeConn:
		h.t.probe <- c.EventLoop()
		return nil, gnet.None
	}
	return nil, gnet.Close
}

func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	if ch, ok := c.Context().(core.ConnHandler); ok {
		ch.OnTraffic(c)
	} else {
		_, _ = c.Discard(-1)
	}
	return gnet.None
}

func (h *handler) OnClose(c gnet.Conn, err error) gnet.Action {
	if ch, ok := c.Context().(core.ConnHandler); ok {
		c.SetContext(nil)
		ch.OnClose(c, err)
	}
	return gnet.None
}

// startupTick is how often OnTick runs before the Loop has its reactors.
const startupTick = 10 * time.Millisecond

func (h *handler) OnTick() (time.Duration, gnet.Action) {
	if p := h.t.h.Load(); p != nil {
		return (*p).OnTick(), gnet.None
	}
	return startupTick, gnet.None
}
