package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core/transport"
)

// ErrStopped is returned by a transport's reactors once it is stopping.
var ErrStopped = errors.New("asyncnet: transport stopped")

// hub is what the reactors of one transport (an engine of its own, or an
// application's, through a Plugin) share.
type hub struct {
	h        atomic.Pointer[transport.Handler] // the Loop, once it has started
	logger   atomic.Pointer[slog.Logger]
	rs       atomic.Pointer[[]*reactor] // copy on write
	addMu    sync.Mutex                 // serializes changes of rs
	gate     gate
	bg       sync.WaitGroup // goroutines of resumes and tails
	stopping chan struct{}  // closed by stop: tails drop what is left
	stopOnce sync.Once
	orphanMu sync.Mutex // protects orphans
	orphans  []*conn    // connections whose resume the stop cut short

	attachMu sync.Mutex    // protects attached and noneAttached
	attached int           // connections of asyncnet's that gnet holds
	none     chan struct{} // closed when attached falls to 0, if someone waits
}

func newHub() *hub {
	hb := &hub{stopping: make(chan struct{})}
	hb.rs.Store(&[]*reactor{})
	return hb
}

func (hb *hub) log() *slog.Logger {
	if l := hb.logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// reactors returns the reactors (a snapshot).
func (hb *hub) reactors() []*reactor { return *hb.rs.Load() }

// addReactor adds a reactor for el with index idx.
func (hb *hub) addReactor(el gnet.EventLoop, idx int) *reactor {
	return hb.addReactorFor(el, func(transport.Reactor) int { return idx })
}

// addReactorFor adds a reactor for el whose index index gives.
func (hb *hub) addReactorFor(el gnet.EventLoop, index func(transport.Reactor) int) *reactor {
	r := &reactor{hub: hb, el: el}
	r.pollFn = r.poll
	r.idx = index(r)
	hb.addMu.Lock()
	defer hb.addMu.Unlock()
	old := hb.reactors()
	rs := append(old[:len(old):len(old)], r)
	hb.rs.Store(&rs)
	return r
}

// holdLoop and releaseLoop keep the Loop running while a tail works.
func (hb *hub) holdLoop() {
	if h := hb.h.Load(); h != nil {
		(*h).Hold()
	}
}

func (hb *hub) releaseLoop() {
	if h := hb.h.Load(); h != nil {
		(*h).Release()
	}
}

// stop makes the tails drop what is left and waits for the goroutines of
// resumes and tails. The reactors must have stopped, or be stopping.
func (hb *hub) stop() {
	hb.stopOnce.Do(func() { close(hb.stopping) })
	hb.bg.Wait()
}

// onStop calls fn when stopping closes, unless the returned function is
// called first.
func onStop(stopping <-chan struct{}, fn func()) (cancel func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-stopping:
			fn()
		case <-done:
		}
	}()
	return func() { close(done) }
}

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

// reactor is one gnet event loop, as a transport.Reactor.
type reactor struct {
	hub *hub
	el  gnet.EventLoop
	idx int

	// Only touched on the reactor goroutine.
	open       []*conn // every connection of this reactor (attached or detached)
	watch      []*conn // connections with bytes in flight, or a close waiting for them
	spareW     []*conn
	detached   []*conn // descriptors out of gnet, checked for errors
	detFDs     []int
	iov        [][]byte // scratch for conn.writev; nil while one uses it
	lastCheck  time.Time
	progressed bool // the kernel took bytes since the poll began

	needPoll   atomic.Bool // watch or detached is not empty
	flowing    atomic.Bool // the last poll moved bytes: poll again soon
	pollQueued atomic.Bool
	pollFn     func()
}

// runnable adapts a func to gnet.Runnable without allocating.
type runnable func()

func (f runnable) Run(context.Context) error { f(); return nil }

// Execute runs fn on the reactor after the current event.
func (r *reactor) Execute(fn func()) error {
	return r.el.Execute(context.Background(), runnable(fn))
}

// Enroll hands the connected nc to the reactor for ch.
func (r *reactor) Enroll(nc net.Conn, ch transport.ConnHandler) error {
	return r.enrollConn(nc, newConn(r, ch))
}

var (
	// errNoPeer is returned by Enroll for a connection with no peer
	// address: one that has ended both ways already.
	errNoPeer = fmt.Errorf("asyncnet: enroll: %w (the connection has ended)", syscall.ENOTCONN)
	// errNotEnrolled is returned by Enroll when gnet's worker gave up
	// without a result.
	errNotEnrolled = errors.New("asyncnet: enroll: gnet did not take the connection")
)

// enrollConn hands nc to gnet for cn; gnet's OnOpen (opened) adopts it.
// Not on a reactor: it waits for one.
func (r *reactor) enrollConn(nc net.Conn, cn *conn) error {
	if nc.RemoteAddr() == nil { // gnet's worker would panic on it
		_ = nc.Close()
		return errNoPeer
	}
	if !r.hub.gate.enter() {
		_ = nc.Close()
		return ErrStopped
	}
	defer r.hub.gate.leave()
	res, err := r.el.Enroll(gnet.NewContext(context.Background(), cn), nc)
	if err != nil {
		_ = nc.Close() // gnet closes nc itself once its worker has started
		return err
	}
	got, ok := <-res
	if !ok || got.Err == nil && got.Conn == nil {
		return errNotEnrolled // the worker gave up (gnet logs why) and closed the channel
	}
	return got.Err
}

// closeGnet closes gc at once (gnet flushes once, then closes it); its
// OnClose runs before it returns. Reactor only.
func (r *reactor) closeGnet(gc gnet.Conn) { _ = r.el.Close(gc) }

// addOpen and removeOpen keep r.open. Reactor only.
func (r *reactor) addOpen(cn *conn) {
	cn.openIdx = len(r.open)
	r.open = append(r.open, cn)
}

func (r *reactor) removeOpen(cn *conn) {
	r.open = removeAt(r.open, cn, &cn.openIdx, func(c *conn) *int { return &c.openIdx })
}

// addDetached and removeDetached keep r.detached. Reactor only.
func (r *reactor) addDetached(cn *conn) {
	cn.detIdx = len(r.detached)
	r.detached = append(r.detached, cn)
	r.needPoll.Store(true)
}

func (r *reactor) removeDetached(cn *conn) {
	r.detached = removeAt(r.detached, cn, &cn.detIdx, func(c *conn) *int { return &c.detIdx })
}

// removeAt removes cn, at *idx, from list by moving the last element into
// its place; idxOf gives an element's index field. It does nothing if cn
// is not there.
func removeAt(list []*conn, cn *conn, idx *int, idxOf func(*conn) *int) []*conn {
	i, last := *idx, len(list)-1
	if i < 0 || i > last || list[i] != cn {
		return list
	}
	if i != last {
		list[i] = list[last]
		*idxOf(list[i]) = i
	}
	list[last] = nil
	*idx = -1
	return list[:last]
}

// orphan records cn, whose resume could not reach its reactor because the
// transport is stopping: Stop ends it.
func (hb *hub) orphan(cn *conn) {
	hb.orphanMu.Lock()
	hb.orphans = append(hb.orphans, cn)
	hb.orphanMu.Unlock()
}

// closeOrphans ends the connections orphan recorded. Only after the
// reactors have stopped.
func (hb *hub) closeOrphans() {
	hb.orphanMu.Lock()
	cs := hb.orphans
	hb.orphans = nil
	hb.orphanMu.Unlock()
	for _, cn := range cs {
		cn.closed(ErrStopped)
	}
}

// attach and detachOne count the connections of asyncnet's that gnet
// holds.
func (hb *hub) attach() {
	hb.attachMu.Lock()
	hb.attached++
	hb.attachMu.Unlock()
}

func (hb *hub) detachOne() {
	hb.attachMu.Lock()
	defer hb.attachMu.Unlock()
	if hb.attached--; hb.attached == 0 && hb.none != nil {
		close(hb.none)
		hb.none = nil
	}
}

// noneAttached returns a channel closed once gnet holds no connection of
// asyncnet's.
func (hb *hub) noneAttached() <-chan struct{} {
	hb.attachMu.Lock()
	defer hb.attachMu.Unlock()
	ch := make(chan struct{})
	if hb.attached == 0 {
		close(ch)
	} else {
		hb.none = ch
	}
	return ch
}
