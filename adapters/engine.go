package adapters

import (
	"slices"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
)

func init() {
	core.SetDefaultTransport(func() core.Transport { return NewTransport() })
}

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
	gate  gate
	once  sync.Once
}

// Start starts the gnet engine and finds its event loops.
func (t *engine) Start(cfg core.TransportConfig, h core.Handler) ([]core.Reactor, error) {
	if cfg.NumReactors <= 0 {
		return nil, fmt.Errorf("asyncnet: %d reactors", cfg.NumReactors)
	}
	opts := append(slices.Clone(t.extra),
		gnet.WithNumEventLoop(cfg.NumReactors),
		gnet.WithTicker(true),
		gnet.WithLogger(slogLogger{cfg.Logger}),
	)
	t.probe = make(chan gnet.EventLoop, cfg.NumReactors)
	cli, err := startClient(&engineHandler{t: t}, opts)
	if err != nil {
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
		rs[i] = &reactor{gate: &t.gate, el: el, idx: i}
	}
	t.h.Store(&h)
	return rs, nil
}

// Stop waits for the enrollments under way, then stops the engine: gnet
// closes every connection (OnClose) before its loops exit.
func (t *engine) Stop() error {
	var err error
	t.once.Do(func() {
		t.gate.close()
		err = t.cli.Stop()
	})
	return err
}

// engineHandler is the gnet.EventHandler of the engine.
type engineHandler struct {
	gnet.BuiltinEventEngine
	t *engine
}

func (h *engineHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	switch v := c.Context().(type) {
	case *enrollment:
		return nil, openOwned(c, v)
	case probeConn:
		h.t.probe <- c.EventLoop()
		return nil, gnet.None
	}
	return nil, gnet.Close
}

func (h *engineHandler) OnTraffic(c gnet.Conn) gnet.Action {
	if ch := owned(c); ch != nil {
		ch.OnTraffic(c)
	} else {
		_, _ = c.Discard(-1)
	}
	return gnet.None
}

func (h *engineHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	closeOwned(c, err)
	return gnet.None
}

// startupTick is how often OnTick runs before the Loop has its reactors.
const startupTick = 10 * time.Millisecond

func (h *engineHandler) OnTick() (time.Duration, gnet.Action) {
	if p := h.t.h.Load(); p != nil {
		return (*p).OnTick(), gnet.None
	}
	return startupTick, gnet.None
}
