package adapters

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/asyncnet/asyncnet/core/transport"
)

// The doorman accepts and connects for the engine of asyncnet's own: one
// goroutine, started with the first server or connect, blocked in
// epoll_wait on a poller of its own that holds the listeners and the
// connects in progress. It is gnet's main reactor, for listeners and
// connects that come and go while the engine runs:
//
//   - The kernel wakes it directly. A goroutine parked in Go's poller
//     instead (net.Listener.Accept, net.Dialer) waits for a thread to poll
//     the poller, and with as many event loops as Ps every P is often held
//     by an event loop blocked in its own epoll_wait: the poller is then
//     polled only when Go's monitor thread takes a P back (20 µs to 10 ms
//     later). A thread that returns from a system call takes its P back at
//     once.
//   - A listener's readiness comes with the length of its accept queue
//     (TCP_INFO), so one wake-up accepts every connection waiting; each is
//     accepted by Go's net.Listener, whose net.TCPConn gnet needs.
//   - A connect is non-blocking: the socket is registered for writability
//     and waits in the poller, with its timeout in the doorman's own timer
//     heap, so a burst of connects holds no goroutine each.
//   - Each connection is placed on an event loop synchronously (gnet's
//     Client.EnrollContext): no goroutine per connection, and the doorman
//     goes on once the loop has opened it.
type doorman struct {
	place func(nc net.Conn, ch transport.ConnHandler) error // hands a connection to an event loop; waits for its OnOpen
	log   func() *slog.Logger

	mu       sync.Mutex // protects the fields below
	reqs     []func()   // work for the doorman's goroutine
	woken    bool       // the goroutine will look at reqs without another wake-up
	stopping bool
	done     chan struct{} // closed when the goroutine returns; nil until it starts
	epfd     int
	evfd     int

	// The doorman's goroutine only.
	items  map[uint32]any // *listening or *dialing, by the ID their epoll events carry
	nextID uint32         // 0 is evfd's
	timers timerHeap
	events []unix.EpollEvent
	spare  []func()
}

const (
	// maxAcceptBatch bounds the connections accepted from one listener per
	// wake-up, so that other listeners and connects get their turn.
	maxAcceptBatch = 128
	// acceptGuard bounds how long Accept may wait when the connections the
	// accept queue held were taken by someone else (another process
	// sharing the listener): the doorman must never wait in Go's poller.
	acceptGuard = 100 * time.Millisecond
)

// start starts the doorman's goroutine, once.
func (dm *doorman) start() error {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	switch {
	case dm.stopping:
		return ErrStopped
	case dm.done != nil:
		return nil
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return os.NewSyscallError("eventfd", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &unix.EpollEvent{Events: unix.EPOLLIN}); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(evfd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	dm.epfd, dm.evfd = epfd, evfd
	dm.items = make(map[uint32]any)
	dm.events = make([]unix.EpollEvent, 128)
	dm.done = make(chan struct{})
	go dm.run()
	return nil
}

// stop ends every listener and connect the doorman holds (connects get
// ErrStopped) and waits for its goroutine. The event loops must still run:
// a connection being placed waits for one.
func (dm *doorman) stop() {
	dm.mu.Lock()
	dm.stopping = true
	done := dm.done
	dm.mu.Unlock()
	if done == nil {
		return
	}
	dm.wake()
	<-done
	_ = unix.Close(dm.epfd)
	_ = unix.Close(dm.evfd)
}

// post queues fn for the doorman's goroutine; false if it is stopping.
func (dm *doorman) post(fn func()) bool {
	dm.mu.Lock()
	if dm.stopping {
		dm.mu.Unlock()
		return false
	}
	dm.reqs = append(dm.reqs, fn)
	wake := !dm.woken
	dm.woken = true
	dm.mu.Unlock()
	if wake {
		dm.wake()
	}
	return true
}

func (dm *doorman) wake() {
	one := [8]byte{1}
	for {
		_, err := unix.Write(dm.evfd, one[:])
		if err != unix.EINTR {
			return // EAGAIN: the counter is full, a wake-up is due anyway
		}
	}
}

// run is the doorman's goroutine.
func (dm *doorman) run() {
	defer close(dm.done)
	for {
		n, err := unix.EpollWait(dm.epfd, dm.events, dm.timers.waitMillis(time.Now()))
		if err != nil && err != unix.EINTR {
			dm.log().Warn("asyncnet: epoll_wait failed", "err", err)
			time.Sleep(10 * time.Millisecond)
		}
		for _, ev := range dm.events[:max(n, 0)] {
			id := uint32(ev.Fd)
			if id == 0 {
				var b [8]byte
				_, _ = unix.Read(dm.evfd, b[:])
				continue
			}
			switch it := dm.items[id].(type) {
			case *listening:
				dm.acceptFrom(it)
			case *dialing:
				dm.writable(it)
			}
		}
		dm.timers.fire(time.Now())
		if dm.runRequests() {
			dm.shutdown()
			return
		}
	}
}

// runRequests runs what other goroutines queued; it reports whether the
// doorman is stopping.
func (dm *doorman) runRequests() bool {
	dm.mu.Lock()
	reqs, stopping := dm.reqs, dm.stopping
	dm.reqs, dm.woken = dm.spare, false
	dm.mu.Unlock()
	for _, fn := range reqs {
		fn()
	}
	clear(reqs)
	dm.spare = reqs[:0]
	return stopping
}

// shutdown ends what is left, on the doorman's goroutine as it stops.
func (dm *doorman) shutdown() {
	for _, it := range dm.items {
		switch it := it.(type) {
		case *listening:
			if it.closed.CompareAndSwap(false, true) {
				_ = it.ln.Close()
			}
			dm.unlisten(it)
		case *dialing:
			dm.end(it, ErrStopped)
		}
	}
}

// register adds it to the poller for events, with a new ID.
func (dm *doorman) newID(it any) uint32 {
	for {
		dm.nextID++
		if _, taken := dm.items[dm.nextID]; dm.nextID != 0 && !taken {
			dm.items[dm.nextID] = it
			return dm.nextID
		}
	}
}

// --- Accepting ---

// listening is a listener the doorman serves; it is the io.Closer Accept
// returns.
type listening struct {
	dm    *doorman
	ln    net.Listener
	dl    interface{ SetDeadline(time.Time) error }
	rc    syscall.RawConn
	h     transport.AcceptHandler
	tcp   bool // TCP_INFO gives the length of its accept queue
	timer timer

	mu     sync.Mutex // orders Close with the doorman's changes to the poller
	closed atomic.Bool

	// The doorman's goroutine only.
	id      uint32
	stopped bool
}

// accept serves ln (see transport.Acceptor).
func (dm *doorman) accept(ln net.Listener, h transport.AcceptHandler) (io.Closer, error) {
	type listener interface {
		syscall.Conn
		SetDeadline(time.Time) error
	}
	sl, ok := ln.(listener)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	rc, err := sl.SyscallConn()
	if err != nil {
		return nil, err
	}
	if err := dm.start(); err != nil {
		return nil, err
	}
	_, tcp := ln.(*net.TCPListener)
	x := &listening{dm: dm, ln: ln, dl: sl, rc: rc, h: h, tcp: tcp}
	x.timer.fn = func() { dm.arm(x) }
	if !dm.post(func() { dm.listen(x) }) {
		return nil, ErrStopped
	}
	return x, nil
}

// Close stops serving the listener and closes it. It takes the listener out
// of the poller first, so that nothing (a descriptor number reused, a
// duplicate that keeps the listener alive) reaches the doorman for it.
func (x *listening) Close() error {
	x.mu.Lock()
	if x.closed.Swap(true) {
		x.mu.Unlock()
		return nil
	}
	x.epollCtl(unix.EPOLL_CTL_DEL)
	x.mu.Unlock()
	err := x.ln.Close()
	x.dm.post(func() { x.dm.unlisten(x) }) // when stopping, shutdown does it
	return err
}

// epollCtl adds the listener to the poller or deletes it. Under x.mu.
func (x *listening) epollCtl(op int) error {
	var err error
	cerr := x.rc.Control(func(fd uintptr) {
		err = unix.EpollCtl(x.dm.epfd, op, int(fd), &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(x.id)})
	})
	if cerr != nil {
		return cerr
	}
	return os.NewSyscallError("epoll_ctl", err)
}

// listen starts serving x.
func (dm *doorman) listen(x *listening) {
	x.id = dm.newID(x)
	dm.arm(x)
}

// arm adds x to the poller, unless it has closed; it reports a failure as
// an accept error.
func (dm *doorman) arm(x *listening) {
	x.mu.Lock()
	var err error
	if !x.closed.Load() {
		err = x.epollCtl(unix.EPOLL_CTL_ADD)
	}
	x.mu.Unlock()
	switch {
	case x.closed.Load():
		dm.unlisten(x)
	case err != nil:
		dm.acceptFailed(x, err)
	}
}

// acceptFrom accepts, for a listener the poller reports readable, the
// connections its accept queue holds (one if it cannot tell), and places
// each on an event loop.
func (dm *doorman) acceptFrom(x *listening) {
	n := 1
	if x.tcp {
		if q, ok := acceptQueue(x.rc); ok {
			n = min(q, maxAcceptBatch)
		}
	}
	if n == 0 || x.stopped {
		return // someone else took them; the poller says when more come
	}
	dm.acceptN(x, n, acceptGuard)
}

// acceptN accepts up to n connections from x, waiting at most guard for
// one, and places each on an event loop. It reports whether it accepted n.
func (dm *doorman) acceptN(x *listening, n int, guard time.Duration) bool {
	_ = x.dl.SetDeadline(time.Now().Add(guard))
	for range n {
		nc, err := x.ln.Accept()
		if err != nil {
			switch {
			case x.closed.Load():
				dm.unlisten(x)
			case errors.Is(err, os.ErrDeadlineExceeded):
				// taken by someone else after all
			default:
				dm.acceptFailed(x, err)
			}
			return false
		}
		ch := x.h.Accepted()
		if ch == nil { // refused: the server is closing
			_ = nc.Close()
			continue
		}
		x.h.Placed(ch, dm.place(nc, ch))
	}
	return true
}

// Drain accepts the connections queued on the listener, then closes it
// (see transport.Drainer).
func (x *listening) Drain() {
	if x.closed.Load() {
		return
	}
	if !x.dm.post(func() { x.dm.drain(x) }) {
		_ = x.Close() // the doorman is stopping: nothing is accepted any more
	}
}

// drainGuard bounds the wait for a connection while draining a listener
// that cannot say how many it holds (not TCP).
const drainGuard = time.Millisecond

// drain accepts what x's accept queue holds, until it is empty, then
// closes x.
func (dm *doorman) drain(x *listening) {
	if x.stopped || x.closed.Load() {
		return
	}
	dm.timers.remove(&x.timer) // an accept error's back-off: drain now
	for {
		if !x.tcp {
			for dm.acceptN(x, maxAcceptBatch, drainGuard) {
			}
			break
		}
		q, ok := acceptQueue(x.rc)
		if !ok || q == 0 || !dm.acceptN(x, q, acceptGuard) {
			break
		}
	}
	if x.stopped { // an accept error stopped it
		return
	}
	x.mu.Lock()
	x.closed.Store(true)
	_ = x.epollCtl(unix.EPOLL_CTL_DEL) // fails if an accept error's back-off took it out
	x.mu.Unlock()
	if err := x.ln.Close(); err != nil {
		dm.log().Warn("asyncnet: closing a drained listener", "addr", x.ln.Addr(), "err", err)
	}
	dm.unlisten(x)
}

// acceptFailed reports err and pauses the listener for the back-off the
// handler asks for, or stops serving it.
func (dm *doorman) acceptFailed(x *listening, err error) {
	d := x.h.AcceptError(err)
	if d < 0 || x.closed.Load() {
		dm.unlisten(x)
		return
	}
	x.mu.Lock()
	if !x.closed.Load() {
		_ = x.epollCtl(unix.EPOLL_CTL_DEL) // level-triggered: it would report the same connections at once
	}
	x.mu.Unlock()
	dm.timers.set(&x.timer, time.Now().Add(d))
}

// unlisten stops serving x, once: the handler's Stopped is its last call.
func (dm *doorman) unlisten(x *listening) {
	if x.stopped {
		return
	}
	x.stopped = true
	if x.id != 0 {
		delete(dm.items, x.id)
	}
	dm.timers.remove(&x.timer)
	x.h.Stopped()
}

// acceptQueue returns how many connections wait in the accept queue of a
// listening TCP socket.
func acceptQueue(rc syscall.RawConn) (int, bool) {
	var info *unix.TCPInfo
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); cerr != nil || err != nil {
		return 0, false
	}
	return int(info.Unacked), true // for a listener: the children ready for accept()
}
