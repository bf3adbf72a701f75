package adapters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	gerrors "github.com/panjf2000/gnet/v2/pkg/errors"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/netaddr"
)

// Plugin runs asyncnet on the event loops of an existing gnet application.
// It wraps the application's gnet.EventHandler; the application passes the
// Plugin to gnet.Run (or gnet.Rotate) in its place, and keeps everything
// else. Then:
//
//   - connections the application's engine accepts that a Take rule
//     matches become asyncnet sockets (callbacks, timeouts, streams); all
//     others reach the application's handler exactly as before;
//   - client.TCPConnect on Loop() enrolls outgoing connections into the
//     application's own event loops, from anywhere, OnTraffic included;
//   - asyncnet's timers and timeouts run on those loops, driven by the
//     engine's ticks, and the application's OnTick is still called at the
//     delay it asks for;
//   - when the engine stops, asyncnet's sockets get a
//     conditions.SocketClosed event and the Loop ends.
//
// Make one with Wrap. Its gnet.EventHandler methods are for gnet to call.
type Plugin struct {
	app   gnet.EventHandler
	rules []rule
	loop  *core.Loop

	hub        *hub
	eng        atomic.Pointer[gnet.Engine]
	booted     chan struct{} // closed in OnBoot
	alive      chan struct{} // closed at the first call from a goroutine of the engine's (see live)
	started    chan struct{} // closed when the Loop calls Start (it is running from then on)
	start1     sync.Once
	live1      sync.Once
	isLive     atomic.Bool
	stopped    chan struct{} // closed in OnShutdown
	detachDone chan struct{} // closed in OnShutdown once the detached connections are closed
	detach1    sync.Once
	stop       sync.Once
	probes     chan gnet.EventLoop

	mu      sync.Mutex // protects the fields below
	loops   map[gnet.EventLoop]*reactor
	pending map[gnet.Conn]struct{} // connections taken before the Loop was ready
	ended   []endedTake            // of those, the ones whose peer ended its side meanwhile
	ready   bool                   // the Loop runs on its reactors: taken connections are adopted at once

	lastTick atomic.Int64 // when gnet last called OnTick (UnixNano)
	appNext  time.Time    // when the application's OnTick is due; ticker goroutines only
}

// rule sends matching connections to asyncnet.
type rule struct {
	match  func(c gnet.Conn) bool
	onRead core.ReadFunc
	opts   []core.ServerOption
	acc    *core.Acceptor
}

// PluginOption configures a Plugin (see Wrap).
type PluginOption func(*pluginConfig) error

type pluginConfig struct {
	rules    []rule
	loopOpts []core.LoopOption // of HostedLoopOption values
}

// Take makes the connections for which match reports true (called in
// OnOpen, on the connection's event loop) asyncnet sockets, with onRead and
// the callbacks and settings of opts (those of servers: core.OnConnect,
// core.OnEvent, core.WithReadTimeout, core.WithDontDrainReadBuffer, ...).
// The first rule that matches wins.
func Take(match func(c gnet.Conn) bool, onRead core.ReadFunc, opts ...core.ServerOption) PluginOption {
	return func(pc *pluginConfig) error {
		if match == nil {
			return fmt.Errorf("adapters.Take: nil match")
		}
		if onRead == nil {
			return fmt.Errorf("adapters.Take: nil read callback")
		}
		pc.rules = append(pc.rules, rule{match: match, onRead: onRead, opts: slices.Clone(opts)})
		return nil
	}
}

// TakeAddr is Take for the connections accepted on one of the engine's
// listening addresses, as given to gnet.Run or gnet.Rotate ("tcp://:9001",
// "tcp://127.0.0.1:9001" or without the scheme): those whose local port is
// addr's and, if addr names an IP address other than the unspecified one,
// whose local address is that. The port must be the listener's real one
// (not 0).
func TakeAddr(addr string, onRead core.ReadFunc, opts ...core.ServerOption) PluginOption {
	return func(pc *pluginConfig) error {
		hostPort := addr
		if scheme, rest, ok := strings.Cut(addr, "://"); ok {
			if scheme != "tcp" && scheme != "tcp4" && scheme != "tcp6" {
				return fmt.Errorf("adapters.TakeAddr: addr %q: asyncnet takes TCP connections only", addr)
			}
			hostPort = rest
		}
		a, err := netaddr.Parse(hostPort, netaddr.Listen)
		if err != nil {
			return fmt.Errorf("adapters.TakeAddr: addr %w", err)
		}
		port := int(a.Port)
		if port == 0 {
			return fmt.Errorf("adapters.TakeAddr: addr %q: port 0 is no listener's; give the port it listens on", addr)
		}
		var ip net.IP
		if v, ok := a.IP(); ok && !v.IsUnspecified() {
			ip = net.IP(v.AsSlice())
		}
		match := func(c gnet.Conn) bool {
			la, ok := c.LocalAddr().(*net.TCPAddr)
			return ok && la.Port == port && (ip == nil || ip.Equal(la.IP))
		}
		return Take(match, onRead, opts...)(pc)
	}
}

// WithLoopOptions configures the Plugin's Loop (core.WithTickInterval,
// core.WithLogger, core.WithCatchAppErrors, ...): the options that do not
// choose the event loops, which are the application's (the compiler
// rejects core.WithReactors and core.WithTransport here).
func WithLoopOptions(opts ...core.HostedLoopOption) PluginOption {
	return func(pc *pluginConfig) error {
		for _, o := range opts {
			pc.loopOpts = append(pc.loopOpts, o)
		}
		return nil
	}
}

// Wrap returns a Plugin around app, the application's gnet.EventHandler.
// Its Loop starts when the engine boots. For outgoing connections from any
// goroutine (OnTraffic included) the application's engine should balance
// with gnet.LeastConnections or gnet.SourceAddrHash: finding the event
// loops uses Engine.Register, which gnet's default round robin does not
// make safe to call while connections are accepted.
func Wrap(app gnet.EventHandler, opts ...PluginOption) (*Plugin, error) {
	if app == nil {
		return nil, &core.ArgError{Call: "adapters.Wrap", Arg: "app", Reason: "nil handler"}
	}
	var pc pluginConfig
	for _, o := range opts {
		if o == nil {
			return nil, &core.ArgError{Call: "adapters.Wrap", Arg: "option", Reason: "nil PluginOption"}
		}
		if err := o(&pc); err != nil {
			return nil, &core.ArgError{Call: "adapters.Wrap", Arg: "option", Reason: err.Error()}
		}
	}
	p := &Plugin{
		app:        app,
		booted:     make(chan struct{}),
		alive:      make(chan struct{}),
		started:    make(chan struct{}),
		stopped:    make(chan struct{}),
		detachDone: make(chan struct{}),
		probes:     make(chan gnet.EventLoop, 1),
		hub:        newHub(),
		loops:      make(map[gnet.EventLoop]*reactor),
		pending:    make(map[gnet.Conn]struct{}),
	}
	p.loop = core.NewLoop(slices.Concat(pc.loopOpts, []core.LoopOption{core.WithTransport(p)})...)
	if err := p.loop.Err(); err != nil {
		return nil, err
	}
	for _, r := range pc.rules {
		acc, err := p.loop.NewAcceptor(r.onRead, r.opts...)
		if err != nil {
			return nil, err
		}
		r.acc = acc
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// Loop returns the Loop that runs on the application's event loops: pass
// it to client.TCPConnect, server.TCPServer, Delay, ... Its Run is
// optional: it calls its function once the engine has booted and returns
// when the engine stops (or after Exit, which closes asyncnet's sockets and
// leaves the application's alone).
func (p *Plugin) Loop() *core.Loop { return p.loop }

// Persistent makes the Loop live as long as the engine (core.Persistent).
func (p *Plugin) Persistent() bool { return true }

// Start is transport.Transport's Start: it waits for the engine to boot
// and finds its event loops. The Loop calls it.
func (p *Plugin) Start(cfg transport.Config, h transport.Handler) ([]transport.Reactor, error) {
	p.start1.Do(func() { close(p.started) })
	p.hub.logger.Store(cfg.Logger)
	if err := p.awaitLoops(cfg); err != nil {
		return nil, err
	}
	eng := *p.eng.Load()
	loops, err := discover(func(nc net.Conn) error {
		ctx := gnet.NewNetConnContext(gnet.NewContext(context.Background(), probeConn{}), nc)
		res, err := eng.Register(ctx)
		for errors.Is(err, gerrors.ErrEmptyEngine) { // the loops are being made
			select {
			case <-p.stopped:
				return ErrStopped
			case <-time.After(time.Millisecond):
			}
			res, err = eng.Register(ctx)
		}
		if err != nil {
			return err
		}
		return (<-res).Err
	}, p.probes, 256) // gnet's limit on event loops
	if err != nil {
		return nil, err
	}
	rs := make([]transport.Reactor, len(loops))
	p.mu.Lock()
	for i, el := range loops {
		r := p.hub.addReactor(el, i)
		p.loops[el] = r
		rs[i] = r
	}
	p.mu.Unlock()
	p.hub.h.Store(&h)
	go p.ticker()
	return rs, nil
}

// noTickerWarning is how long Start waits for the engine's first tick
// before it warns that the engine runs without one.
const noTickerWarning = 2 * time.Second

// awaitLoops returns once the engine's event loops exist. gnet calls OnBoot
// before it makes them, and gives no signal after that which is safe to act
// on except its callbacks: the first OnTick (or, without gnet.WithTicker,
// the first connection) comes from a goroutine started after the loops were
// made.
func (p *Plugin) awaitLoops(cfg transport.Config) error {
	select {
	case <-p.booted:
	case <-p.stopped:
		return ErrStopped
	}
	warn := time.NewTimer(noTickerWarning)
	defer warn.Stop()
	for {
		select {
		case <-p.alive:
			return nil
		case <-p.stopped:
			return ErrStopped
		case <-warn.C:
			cfg.Logger.Warn("asyncnet: the gnet engine has not ticked; run it with gnet.WithTicker(true), or asyncnet's Loop starts only at its first connection")
		}
	}
}

// live records that gnet called from one of the goroutines it starts after
// making its event loops.
func (p *Plugin) live() {
	if !p.isLive.Load() {
		p.live1.Do(func() {
			p.isLive.Store(true)
			close(p.alive)
		})
	}
}

// Stop is transport.Transport's Stop. After Exit it closes the
// connections asyncnet owns, on their event loops (the application's
// engine runs on); once the engine is stopping, gnet closes those it
// holds, and the ones detached from it are closed here.
func (p *Plugin) Stop() error {
	p.hub.gate.close()
	select {
	case <-p.stopped: // OnShutdown closes the detached connections; gnet closes its own
		select {
		case <-p.detachDone:
		case <-time.After(10 * time.Second):
			return errors.New("asyncnet: the engine did not close asyncnet's connections")
		}
		select {
		case <-p.hub.noneAttached():
		case <-time.After(10 * time.Second):
			return errors.New("asyncnet: the engine did not close asyncnet's connections")
		}
		p.hub.stop()
	default:
		p.closeOwned()
		p.hub.stop()
	}
	p.hub.closeOrphans()
	return nil
}

// closeOwned closes the connections asyncnet owns, and only those, each on
// its event loop, and waits until that is done.
func (p *Plugin) closeOwned() {
	var wg sync.WaitGroup
	for _, r := range p.hub.reactors() {
		wg.Add(1)
		if err := r.Execute(func() {
			defer wg.Done()
			r.abortAll()
		}); err != nil {
			wg.Done()
		}
	}
	wg.Wait()
}

// reactorOf returns the reactor of el, adding it to the Loop if the probes
// missed it. Event loop only.
func (p *Plugin) reactorOf(el gnet.EventLoop) *reactor {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.loops[el]; r != nil {
		return r
	}
	h := p.hub.h.Load()
	if h == nil {
		return nil
	}
	r := p.hub.addReactorFor(el, (*h).AddReactor)
	p.loops[el] = r
	return r
}

// OnBoot starts the Loop, then calls the application's OnBoot. The Loop
// is running when that is called (its Delay, TCPConnect, ... work), and
// gets its reactors once the engine's event loops run.
func (p *Plugin) OnBoot(eng gnet.Engine) gnet.Action {
	if !p.eng.CompareAndSwap(nil, &eng) {
		p.loop.Logger().Error("asyncnet: a Plugin serves one gnet engine, once; this engine is shut down")
		return gnet.Shutdown
	}
	close(p.booted)
	failed := make(chan struct{})
	go func() {
		// Start returns once the event loops are found, after OnBoot; it
		// fails only if the engine stops first.
		if err := p.loop.Start(func(*core.Loop) { p.adoptPending() }); err != nil {
			close(failed)
		}
	}()
	select {
	case <-p.started: // the Loop is running
	case <-failed:
	}
	return p.app.OnBoot(eng)
}

// OnShutdown ends the Loop (asyncnet's sockets, which gnet closes next, get
// their conditions), then calls the application's OnShutdown.
func (p *Plugin) OnShutdown(eng gnet.Engine) {
	p.stop.Do(func() { close(p.stopped) })
	if h := p.hub.h.Load(); h != nil {
		(*h).OnStop()
		p.hub.closeDetached() // on the event loops, which still run
	}
	p.detach1.Do(func() { close(p.detachDone) })
	p.app.OnShutdown(eng)
}

// OnOpen gives asyncnet the connections it enrolled or a Take rule
// matches, and the application all others.
func (p *Plugin) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	p.live()
	if action, ok := dispatchOpen(c); ok {
		return nil, action
	}
	switch c.Context().(type) {
	case probeConn:
		p.probes <- c.EventLoop()
		return nil, gnet.None
	}
	for i := range p.rules {
		if p.rules[i].match(c) {
			return nil, p.take(c, &p.rules[i])
		}
	}
	if p.hub.h.Load() != nil {
		p.reactorOf(c.EventLoop()) // an event loop the probes missed
	}
	return p.app.OnOpen(c)
}

// OnTraffic passes traffic to asyncnet or to the application.
func (p *Plugin) OnTraffic(c gnet.Conn) gnet.Action {
	if dispatchTraffic(c) {
		return gnet.None
	}
	switch v := c.Context().(type) {
	case probeConn:
		_, _ = c.Discard(-1)
		return gnet.None
	case pendingTake:
		return p.adoptLate(c, v)
	}
	return p.app.OnTraffic(c)
}

// OnClose passes a close to asyncnet or to the application.
func (p *Plugin) OnClose(c gnet.Conn, err error) gnet.Action {
	if dispatchClose(c, err) {
		return gnet.None
	}
	switch c.Context().(type) {
	case probeConn:
		return gnet.None
	case pendingTake:
		p.mu.Lock()
		delete(p.pending, c)
		p.mu.Unlock()
		if errors.Is(err, io.EOF) { // the peer ended its side: what it sent is still wanted
			p.keepEnded(c, c.Context().(pendingTake))
		}
		return gnet.None
	}
	return p.app.OnClose(c, err)
}

// OnTick drives asyncnet's timers and calls the application's OnTick when
// the delay it last asked for has passed; it returns the sooner of the two
// delays. (gnet calls it only if the engine runs with gnet.WithTicker(true);
// otherwise the Plugin ticks on a goroutine of its own.)
func (p *Plugin) OnTick() (time.Duration, gnet.Action) {
	p.live()
	now := time.Now()
	p.lastTick.Store(now.UnixNano())
	delay := startupTick
	if h := p.hub.h.Load(); h != nil {
		delay = p.hub.tick((*h).OnTick())
	}
	action := gnet.None
	if !now.Before(p.appNext) {
		var appDelay time.Duration
		appDelay, action = p.app.OnTick()
		p.appNext = now.Add(appDelay)
	}
	if wait := p.appNext.Sub(now); wait < delay {
		delay = max(wait, 0)
	}
	return delay, action
}

// ticker drives asyncnet's timers while gnet does not call OnTick (the
// engine runs without gnet.WithTicker), and ends when the engine stops.
func (p *Plugin) ticker() {
	h := p.hub.h.Load()
	delay := p.hub.tick((*h).OnTick())
	for {
		select {
		case <-p.stopped:
			return
		case <-time.After(delay):
		}
		if time.Since(time.Unix(0, p.lastTick.Load())) > 2*delay {
			delay = p.hub.tick((*h).OnTick())
		}
	}
}
