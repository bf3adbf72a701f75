package adapters

import (
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/deftransport"
)

func init() {
	deftransport.Set(func() transport.Transport { return NewTransport() })
}

// NewTransport returns a transport.Transport that runs a Loop's reactors
// as the event loops of a new gnet engine (a gnet.Client, which has no
// listener of its own: servers accept on their own goroutine and hand
// each connection to the least loaded event loop). It is the default
// transport of every Loop; pass it to core.WithTransport only to add gnet
// options, such as gnet.WithLockOSThread or gnet.WithSocketSendBuffer.
// Options that the Loop sets (event loops, ticker, logger) are overridden.
func NewTransport(opts ...gnet.Option) transport.Transport {
	t := &engine{extra: opts, hub: newHub()}
	t.dm.place, t.dm.log = t.place, t.hub.log
	return t
}

// engine is the default transport: one gnet.Client engine per Loop.
type engine struct {
	extra []gnet.Option
	hub   *hub
	cli   *gnet.Client
	probe chan gnet.EventLoop
	once  sync.Once
	dm    doorman // accepts and connects (on Linux)
}

// Accept serves ln on the doorman (on Linux; see transport.Acceptor).
func (t *engine) Accept(ln net.Listener, h transport.AcceptHandler) (io.Closer, error) {
	return t.dm.accept(ln, h)
}

// Dial connects on the doorman (on Linux; see transport.Dialer).
func (t *engine) Dial(d transport.Dial, ch transport.ConnHandler, done func(error)) (func(), error) {
	return t.dm.dial(d, ch, done)
}

// Start starts the gnet engine and finds its event loops.
func (t *engine) Start(cfg transport.Config, h transport.Handler) ([]transport.Reactor, error) {
	if cfg.Reactors <= 0 {
		return nil, fmt.Errorf("asyncnet: %d reactors", cfg.Reactors)
	}
	t.hub.logger.Store(cfg.Logger)
	opts := append(slices.Clone(t.extra),
		gnet.WithNumEventLoop(cfg.Reactors),
		gnet.WithTicker(true),
		gnet.WithLogger(slogLogger{cfg.Logger}),
		// The Loop sets TCP_NODELAY and keepalive (Go's net does, as it
		// accepts and dials); gnet would set them again as it takes
		// each connection (Place).
		gnet.WithTCPNoDelay(gnet.TCPDelay),
		gnet.WithTCPKeepAlive(0),
	)
	t.probe = make(chan gnet.EventLoop, 1)
	cli, err := startClient(&engineHandler{t: t}, opts)
	if err != nil {
		return nil, err
	}
	t.cli = cli
	loops, err := discover(func(nc net.Conn) error {
		_, err := cli.EnrollContext(nc, probeConn{}) // returns after OnOpen
		return err
	}, t.probe, cfg.Reactors)
	if err == nil && len(loops) < cfg.Reactors {
		err = fmt.Errorf("asyncnet: probes found %d of %d event loops", len(loops), cfg.Reactors)
	}
	if err != nil {
		_ = cli.Stop()
		return nil, err
	}
	rs := make([]transport.Reactor, len(loops))
	for i, el := range loops {
		rs[i] = t.hub.addReactor(el, i)
	}
	t.hub.h.Store(&h)
	return rs, nil
}

// Stop stops the engine: gnet closes every connection it holds (OnClose)
// before its loops exit; then the connections detached from gnet are
// closed, and what tails still had to send is dropped.
func (t *engine) Stop() error {
	var err error
	t.once.Do(func() {
		t.dm.stop() // while the event loops run: it may be placing a connection
		t.hub.gate.close()
		err = t.cli.Stop() // its loops have exited when it returns
		t.hub.stop()
		for _, r := range t.hub.reactors() {
			r.closeAll() // no reactor runs any more
		}
		t.hub.closeOrphans()
	})
	return err
}

// engineHandler is the gnet.EventHandler of the engine.
type engineHandler struct {
	gnet.BuiltinEventEngine
	t *engine
}

func (h *engineHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if cn := ownedConn(c); cn != nil && cn.r == nil { // placed: gnet picked the loop
		if cn.r = h.t.hub.reactorOf(c.EventLoop()); cn.r == nil {
			c.SetContext(nil)
			h.t.hub.log().Error("asyncnet: gnet opened a connection on an event loop asyncnet does not know")
			return nil, gnet.Close
		}
	}
	if action, ok := dispatchOpen(c); ok {
		return nil, action
	}
	if _, ok := c.Context().(probeConn); ok {
		h.t.probe <- c.EventLoop()
		return nil, gnet.None
	}
	return nil, gnet.Close
}

func (h *engineHandler) OnTraffic(c gnet.Conn) gnet.Action {
	if !dispatchTraffic(c) {
		_, _ = c.Discard(-1)
	}
	return gnet.None
}

func (h *engineHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	dispatchClose(c, err)
	return gnet.None
}

// startupTick is how often OnTick runs before the Loop has its reactors.
const startupTick = 10 * time.Millisecond

func (h *engineHandler) OnTick() (time.Duration, gnet.Action) {
	next := startupTick
	if p := h.t.hub.h.Load(); p != nil {
		next = (*p).OnTick()
	}
	return h.t.hub.tick(next), gnet.None
}
