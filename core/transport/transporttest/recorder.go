package transporttest

import (
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/asyncnet/asyncnet/core/transport"
)

// timeout bounds every wait of the suite; a passing run never waits for
// it (two busy cores on CI).
const timeout = 30 * time.Second

// event is one callback a recorder saw, in order.
type event string

const (
	evOpen    event = "open"
	evTraffic event = "traffic"
	evSent    event = "sent"
	evEOF     event = "eof"
	evClose   event = "close"
)

// rec is a ConnHandler that records what its connection's callbacks saw,
// checks that they run on the connection's reactor goroutine, one
// connection's events in order and none after OnClose, and lets a case
// change what each callback does.
type rec struct {
	h       *harness
	reactor int // the reactor it was enrolled on

	// What the callbacks do; set before Enroll, read on the reactor.
	refuse    bool                        // OnOpen returns false
	keepOpen  bool                        // OnEOF's answer
	onTraffic func(c transport.Conn) bool // consumes the bytes itself; true if it did
	onEOF     func(c transport.Conn)      // runs in OnEOF, before it returns
	onOpen    func(c transport.Conn)      // runs in OnOpen, before it returns
	onSent    func(c transport.Conn)      // runs in OnSent

	mu       sync.Mutex // protects the fields below
	conn     transport.Conn
	events   []event
	data     []byte // every byte OnTraffic consumed, in order
	unsent   int    // c.Unsent() in the last OnSent
	closeErr error
	closes   int
	frozen   bool          // Stop returned: any callback now is an error
	changed  chan struct{} // closed on the next change, if someone waits
}

// add records ev and wakes waiters. It fails the test for an event after
// OnClose, or after Stop.
func (r *rec) add(ev event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.frozen {
		r.h.t.Errorf("%s after Stop returned", ev)
	}
	if r.closes > 0 && ev != evClose {
		r.h.t.Errorf("%s after OnClose (events: %v)", ev, r.events)
	}
	r.events = append(r.events, ev)
	r.wakeLocked()
}

func (r *rec) wakeLocked() {
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// OnOpen records the connection.
func (r *rec) OnOpen(reactor int, c transport.Conn) bool {
	r.h.onReactor(reactor, "OnOpen")
	if reactor != r.reactor {
		r.h.t.Errorf("OnOpen with reactor %d, enrolled on %d", reactor, r.reactor)
	}
	r.mu.Lock()
	r.conn = c
	r.mu.Unlock()
	r.add(evOpen)
	if r.onOpen != nil {
		r.onOpen(c)
	}
	return !r.refuse
}

// OnTraffic consumes every buffered byte (or lets onTraffic do it).
func (r *rec) OnTraffic(c transport.Conn) {
	r.h.onReactor(r.reactor, "OnTraffic")
	r.add(evTraffic)
	if r.onTraffic != nil && r.onTraffic(c) {
		return
	}
	r.consume(c)
}

// consume takes every buffered byte with Peek and Discard.
func (r *rec) consume(c transport.Conn) {
	n := c.InboundBuffered()
	p, err := c.Peek(-1)
	if err != nil || len(p) != n {
		r.h.t.Errorf("Peek(-1) = %d bytes, %v; InboundBuffered = %d", len(p), err, n)
	}
	r.took(p)
	if d, err := c.Discard(n); d != n || err != nil {
		r.h.t.Errorf("Discard(%d) = %d, %v", n, d, err)
	}
}

// took records consumed bytes.
func (r *rec) took(p []byte) {
	r.mu.Lock()
	r.data = append(r.data, p...)
	r.wakeLocked()
	r.mu.Unlock()
}

// Write records bytes moved by WriteTo (rec is the io.Writer).
func (r *rec) Write(p []byte) (int, error) {
	r.took(p)
	return len(p), nil
}

// OnSent records Unsent.
func (r *rec) OnSent(c transport.Conn) {
	r.h.onReactor(r.reactor, "OnSent")
	r.add(evSent)
	r.mu.Lock()
	r.unsent = c.Unsent()
	r.wakeLocked()
	r.mu.Unlock()
	if r.onSent != nil {
		r.onSent(c)
	}
}

// OnEOF records the end and answers keepOpen.
func (r *rec) OnEOF(c transport.Conn) bool {
	r.h.onReactor(r.reactor, "OnEOF")
	r.add(evEOF)
	if r.onEOF != nil {
		r.onEOF(c)
	}
	return r.keepOpen
}

// OnClose records the close; a second one fails the test.
func (r *rec) OnClose(c transport.Conn, err error) {
	r.h.onReactor(r.reactor, "OnClose")
	r.add(evClose)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closes++
	r.wakeLocked()
	if r.closes > 1 {
		r.h.t.Errorf("OnClose %d times (err %v)", r.closes, err)
		return
	}
	r.closeErr = err
}

// waitFor waits until cond (called with r.mu held) holds, failing the
// test after timeout.
func (r *rec) waitFor(what string, cond func(r *rec) bool) {
	r.h.t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		if cond(r) {
			r.mu.Unlock()
			return
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			r.h.t.Fatalf("timed out waiting for %s (events %v, %d bytes, closes %d, err %v)",
				what, compact(r.events), len(r.data), r.closes, r.closeErr)
		}
	}
}

// closed waits for OnClose and returns its error.
func (r *rec) closed() error {
	r.h.t.Helper()
	r.waitFor("OnClose", func(r *rec) bool { return r.closes > 0 })
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closeErr
}

// do runs fn on the connection's reactor, with the connection, and waits
// for it; fn is skipped (and the test fails) if the connection closed.
func (r *rec) do(fn func(c transport.Conn)) {
	r.h.t.Helper()
	r.h.exec(r.reactor, func() {
		r.mu.Lock()
		c, closed := r.conn, r.closes > 0
		r.mu.Unlock()
		if closed {
			r.h.t.Errorf("the connection closed before the case used it (events %v)", compact(r.events))
			return
		}
		fn(c)
	})
}

// snapshot returns copies of what r recorded.
func (r *rec) snapshot() (events []event, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.events...), append([]byte(nil), r.data...)
}

// count returns how many times r saw ev.
func (r *rec) count(ev event) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e == ev {
			n++
		}
	}
	return n
}

// compact shortens runs of one event for messages: traffic×12.
func compact(evs []event) []string {
	var out []string
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && evs[j] == evs[i] {
			j++
		}
		s := string(evs[i])
		if j-i > 1 {
			s += "×" + strconv.Itoa(j-i)
		}
		out = append(out, s)
		i = j
	}
	return out
}

// gid returns the calling goroutine's id, from its stack header.
func gid() int64 {
	var b [64]byte
	s := b[:runtime.Stack(b[:], false)]
	s = s[len("goroutine "):]
	n := int64(0)
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int64(ch-'0')
	}
	return n
}

// loopHandler is the Handler the suite starts transports with: it counts
// ticks and holds.
type loopHandler struct {
	t        *testing.T
	interval time.Duration
	h        *harness

	mu       sync.Mutex
	ticks    int
	holds    int
	releases int
	tickGIDs map[int64]bool
	changed  chan struct{}
}

func (lh *loopHandler) OnTick() time.Duration {
	id := gid()
	lh.mu.Lock()
	defer lh.mu.Unlock()
	lh.ticks++
	lh.tickGIDs[id] = true
	if lh.changed != nil {
		close(lh.changed)
		lh.changed = nil
	}
	return lh.interval
}

func (lh *loopHandler) AddReactor(transport.Reactor) int {
	lh.t.Error("AddReactor: the suite's transports start every reactor in Start")
	return -1
}

func (lh *loopHandler) OnStop() { lh.t.Error("OnStop: the transport stopped on its own") }

func (lh *loopHandler) Hold() {
	lh.mu.Lock()
	lh.holds++
	lh.mu.Unlock()
}

func (lh *loopHandler) Release() {
	lh.mu.Lock()
	defer lh.mu.Unlock()
	lh.releases++
	if lh.releases > lh.holds {
		lh.t.Errorf("Release %d times, Hold %d times", lh.releases, lh.holds)
	}
}

// errIsEOForNil reports whether err is what OnClose gets once both sides
// ended: nil, or io.EOF (the SPI does not say which, see Run).
func errIsEOForNil(err error) bool { return err == nil || errors.Is(err, io.EOF) }
