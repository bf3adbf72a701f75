package memtransport

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asyncnet/asyncnet/core/transport"
)

// ErrStopped is returned by a stopped Transport's reactors (Execute,
// Enroll), and by Start after Stop.
var ErrStopped = errors.New("memtransport: transport stopped")

// defaultTick is the tick interval when the Handler asks for none (<= 0).
const defaultTick = 10 * time.Millisecond

// New returns a transport.Transport that runs a Loop's reactors as plain
// goroutines: the connections of nw (Conns from its Dial and its
// listeners' Accept) are served with no goroutine of their own; any other
// net.Conn, such as a *net.TCPConn, through a reader and a writer
// goroutine. nw may be nil when only other connections are served. Pass
// it to core.WithTransport.
func New(nw *Network) transport.Transport {
	return &memTransport{nw: nw}
}

// memTransport is the Transport New returns.
type memTransport struct {
	nw *Network

	mu      sync.Mutex // protects started, stopped, h and rs
	started bool
	stopped bool
	h       transport.Handler
	rs      []*reactor

	stopTick chan struct{}  // closed by Stop: the ticking goroutine returns
	tickDone chan struct{}  // closed when it has
	bg       sync.WaitGroup // reader and writer goroutines of bridged connections
	stopOnce sync.Once
}

// Start starts cfg.Reactors reactor goroutines and the ticking goroutine.
func (t *memTransport) Start(cfg transport.Config, h transport.Handler) ([]transport.Reactor, error) {
	if cfg.Reactors <= 0 {
		return nil, fmt.Errorf("memtransport: Start: Reactors must be > 0, got %d", cfg.Reactors)
	}
	if h == nil {
		return nil, errors.New("memtransport: Start: nil Handler")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.stopped:
		return nil, ErrStopped
	case t.started:
		return nil, errors.New("memtransport: Start: called twice")
	}
	t.started, t.h = true, h
	out := make([]transport.Reactor, cfg.Reactors)
	for i := range out {
		r := newReactor(t, i)
		t.rs = append(t.rs, r)
		out[i] = r
		go r.run()
	}
	t.stopTick, t.tickDone = make(chan struct{}), make(chan struct{})
	go t.tick()
	return out, nil
}

// tick calls the Handler's OnTick, then again after the interval it
// returns, until Stop.
func (t *memTransport) tick() {
	defer close(t.tickDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d := t.h.OnTick()
		if d <= 0 {
			d = defaultTick
		}
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-t.stopTick:
			return
		}
	}
}

// Stop stops ticking, has every reactor run what is queued, close its
// connections (OnClose) and return, and waits for the goroutines of
// bridged connections. No callback runs after it returns. It must not be
// called on a reactor.
func (t *memTransport) Stop() error {
	t.stopOnce.Do(func() {
		t.mu.Lock()
		t.stopped = true
		rs := t.rs
		started := t.started
		t.mu.Unlock()
		if !started {
			return
		}
		close(t.stopTick)
		<-t.tickDone
		for _, r := range rs {
			r.stop()
		}
		for _, r := range rs {
			<-r.done
		}
		t.bg.Wait()
	})
	return nil
}

// hold and release keep the Loop running while a connection that closed
// (for the handler) still delivers its bytes.
func (t *memTransport) hold()    { t.h.Hold() }
func (t *memTransport) release() { t.h.Release() }
