package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// The churn and burst clients run on one thread with epoll, like the echo
// load, and for the same reason: a goroutine per client costs the load more
// CPU per connection than the leanest server spends on it. Every client is
// a small state machine: a non-blocking connect, then the request once the
// socket is writable, then the reply, then close (churn) or hold (burst).

// clientState is where a client's connection is.
type clientState uint8

const (
	idle       clientState = iota // no connection
	connecting                    // connect called, waiting for writability
	waiting                       // request sent, reading the reply
	held                          // burst: echoed, kept open
	closing                       // burst: shut down for writing, waiting for the server's FIN
)

// client is one client's current connection.
type client struct {
	fd       int
	state    clientState
	start    time.Time // the connect call
	deadline time.Time
	seq      uint64
	got      int
	buf      []byte // the reply so far; one byte longer than a reply, to see extra bytes
}

// sweepEvery is how often timed-out connections are looked for.
const sweepEvery = 100 * time.Millisecond

// engine drives clients from one thread with epoll. An event's Fd field
// holds the client's index.
type engine struct {
	ep      int
	family  int
	target  unix.Sockaddr
	sources int
	size    int
	rst     bool // close with a reset
	hold    bool // keep connections open once echoed (burst)
	timeout time.Duration
	t       *tally
	clients []client
	idle    []int  // clients to (re)start
	msg     []byte // the request being sent, patterned
	next    uint64 // the next connection's sequence number
	open    int    // clients with a connection
	held    int    // clients in state held
	last    time.Time
	events  []unix.EpollEvent
}

func newEngine(addr string, n, size, sources int, rst, hold bool, timeout time.Duration, t *tally) (*engine, error) {
	ap, err := netipAddrPort(addr)
	if err != nil {
		return nil, err
	}
	e := &engine{family: unix.AF_INET, sources: sources, size: size, rst: rst, hold: hold, timeout: timeout, t: t,
		clients: make([]client, n), msg: make([]byte, size), events: make([]unix.EpollEvent, 256)}
	if ip := ap.IP.To4(); ip != nil {
		sa := &unix.SockaddrInet4{Port: ap.Port}
		copy(sa.Addr[:], ip)
		e.target = sa
	} else {
		sa := &unix.SockaddrInet6{Port: ap.Port}
		copy(sa.Addr[:], ap.IP.To16())
		e.target, e.family = sa, unix.AF_INET6
	}
	pattern(e.msg)
	for i := range e.clients {
		e.clients[i] = client{fd: -1, buf: make([]byte, size+1)}
		e.idle = append(e.idle, i)
	}
	if e.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("load: epoll_create1: %w", err)
	}
	return e, nil
}

// close closes every connection still open, with a reset, and the epoll
// descriptor.
func (e *engine) close() {
	for i := range e.clients {
		if e.clients[i].fd >= 0 {
			e.drop(i, true)
		}
	}
	_ = unix.Close(e.ep)
}

// socket returns a non-blocking socket, bound to the next source address
// if the engine spreads over several. IP_BIND_ADDRESS_NO_PORT leaves the
// port to connect, which picks it for the whole address 4-tuple (a plain
// bind would take a port for every destination).
func (e *engine) socket(seq uint64) (int, error) {
	fd, err := unix.Socket(e.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if e.sources == 0 {
		return fd, nil
	}
	src := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, byte(2 + seq%uint64(e.sources))}}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("IP_BIND_ADDRESS_NO_PORT: %w", err)
	}
	if err := unix.Bind(fd, src); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("bind %v: %w", src.Addr, err)
	}
	return fd, nil
}

// start opens client i's next connection. A failure is counted and leaves
// the client idle, to be started again.
func (e *engine) start(i int) {
	c := &e.clients[i]
	c.seq, c.got = e.next, 0
	e.next++
	c.start = time.Now()
	c.deadline = c.start.Add(e.timeout)
	fd, err := e.socket(c.seq)
	if err == nil {
		if err = unix.Connect(fd, e.target); errors.Is(err, unix.EINPROGRESS) {
			err = nil
		} else if err != nil {
			err = fmt.Errorf("connect: %w", err)
		}
	}
	if err == nil {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(i)}
		if err = unix.EpollCtl(e.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			err = fmt.Errorf("epoll_ctl: %w", err)
		}
	}
	if err != nil {
		if fd >= 0 {
			_ = unix.Close(fd)
		}
		e.t.fail(kindOf(err), err)
		e.idle = append(e.idle, i)
		return
	}
	c.fd, c.state = fd, connecting
	e.open++
}

// drop closes client i's connection, with a reset if rst, and leaves the
// client idle. Closing the descriptor takes it out of the epoll set.
func (e *engine) drop(i int, rst bool) {
	c := &e.clients[i]
	if rst {
		_ = unix.SetsockoptLinger(c.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}
	_ = unix.Close(c.fd)
	if c.state == held {
		e.held--
	}
	c.fd, c.state = -1, idle
	e.open--
	e.idle = append(e.idle, i)
}

// fail counts client i's connection as failed and drops it.
func (e *engine) fail(i int, k errKind, err error) {
	e.t.fail(k, err)
	e.drop(i, true)
}

// handle processes the events of client i.
func (e *engine) handle(i int, events uint32) {
	c := &e.clients[i]
	const readable = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLERR | unix.EPOLLHUP
	switch c.state {
	case connecting:
		if events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			soerr, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
			if err == nil && soerr != 0 {
				err = unix.Errno(soerr)
			} else if err == nil {
				err = errors.New("hang-up")
			}
			e.fail(i, kindOf(err), fmt.Errorf("connect: %w", err))
			return
		}
		if events&unix.EPOLLOUT == 0 {
			return
		}
		fill(e.msg, c.seq)
		if n, err := unix.Write(c.fd, e.msg); err != nil || n != len(e.msg) {
			if err == nil {
				err = fmt.Errorf("short write of %d of %d bytes", n, len(e.msg))
			}
			e.fail(i, kindOf(err), fmt.Errorf("write: %w", err))
			return
		}
		c.state = waiting
		if events&readable != 0 {
			e.readReply(i)
		}
	case waiting:
		if events&readable != 0 {
			e.readReply(i)
		}
	case closing:
		if events&readable != 0 {
			e.readEOF(i)
		}
	}
}

// readReply reads what has come of client i's reply and, once it is whole
// and right, completes the connection.
func (e *engine) readReply(i int) {
	c := &e.clients[i]
	for c.got < e.size {
		n, err := unix.Read(c.fd, c.buf[c.got:])
		switch {
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			e.fail(i, kindOf(err), fmt.Errorf("read: %w", err))
			return
		case n == 0:
			e.fail(i, errShort, fmt.Errorf("the server closed the connection after %d of %d reply bytes", c.got, e.size))
			return
		}
		c.got += n
	}
	if c.got > e.size {
		e.fail(i, errBad, fmt.Errorf("the reply to a %d-byte request has more bytes", e.size))
		return
	}
	fill(e.msg, c.seq)
	if !bytes.Equal(c.buf[:e.size], e.msg) {
		err := check(c.buf[:e.size], c.seq)
		if err == nil {
			err = errors.New("echo corrupt: a middle byte differs")
		}
		e.fail(i, errBad, err)
		return
	}
	e.last = time.Now()
	e.t.done(c.start, e.last)
	if e.hold {
		c.state = held
		e.held++
		return
	}
	e.drop(i, e.rst)
}

// readEOF waits for the server's end of file on client i's connection,
// which the client has shut down for writing, and then closes it.
func (e *engine) readEOF(i int) {
	c := &e.clients[i]
	for {
		n, err := unix.Read(c.fd, c.buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			e.fail(i, kindOf(err), fmt.Errorf("read, closing: %w", err))
		case n > 0:
			e.fail(i, errBad, fmt.Errorf("%d unexpected bytes on a held connection", n))
		default:
			e.last = time.Now()
			e.drop(i, false)
		}
		return
	}
}

// wait waits at most d for events and handles them.
func (e *engine) wait(d time.Duration) error {
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	n, err := unix.EpollWait(e.ep, e.events, ms)
	if errors.Is(err, unix.EINTR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load: epoll_wait: %w", err)
	}
	for _, ev := range e.events[:n] {
		if e.clients[ev.Fd].fd >= 0 {
			e.handle(int(ev.Fd), ev.Events)
		}
	}
	return nil
}

// sweep fails the connections past their deadline.
func (e *engine) sweep(now time.Time) {
	for i := range e.clients {
		c := &e.clients[i]
		if c.fd >= 0 && c.state != held && now.After(c.deadline) {
			e.fail(i, errTimeout, fmt.Errorf("no reply (or no FIN, closing) within %v", e.timeout))
		}
	}
}

// churn runs cfg's clients until t's window ends (or ctx is canceled),
// then lets the connections still open finish.
func churn(ctx context.Context, cfg ChurnConfig, t *tally) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e, err := newEngine(cfg.Addr, cfg.Clients, cfg.Size, cfg.Sources, cfg.Close == CloseRST, false, cfg.Timeout, t)
	if err != nil {
		return err
	}
	defer e.close()
	stopping := false
	nextSweep := time.Now().Add(sweepEvery)
	for {
		now := time.Now()
		stopping = stopping || ctx.Err() != nil || !now.Before(t.until)
		if !stopping {
			todo := e.idle
			e.idle = nil
			for _, i := range todo {
				e.start(i)
			}
		}
		if stopping && e.open == 0 {
			return nil
		}
		if !now.Before(nextSweep) {
			e.sweep(now)
			nextSweep = now.Add(sweepEvery)
		}
		d := nextSweep.Sub(now)
		if !stopping {
			d = min(d, t.until.Sub(now))
		}
		if len(e.idle) > 0 && !stopping {
			d = min(d, time.Millisecond) // connections that failed at once: start them again soon
		}
		if err := e.wait(max(d, 0)); err != nil {
			return err
		}
	}
}

// burstBatch is how many connections a burst starts between two looks at
// its events.
const burstBatch = 128

// burst opens cfg.Conns connections, holds them once each has echoed,
// calls cfg.Held, then shuts them all down and waits for the server to
// close them.
func burst(ctx context.Context, cfg BurstConfig, t *tally) (BurstResult, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e, err := newEngine(cfg.Addr, cfg.Conns, cfg.Size, cfg.Sources, false, true, cfg.Timeout, t)
	if err != nil {
		return BurstResult{}, err
	}
	defer e.close()
	// Phase 1: open and echo; a failed connection is not tried again.
	todo := e.idle
	e.idle = nil
	began := time.Now()
	e.last = began
	nextSweep := began.Add(sweepEvery)
	for len(todo) > 0 || e.open > e.held {
		if err := ctx.Err(); err != nil {
			return BurstResult{}, err
		}
		for _, i := range todo[:min(burstBatch, len(todo))] {
			e.start(i)
		}
		todo = todo[min(burstBatch, len(todo)):]
		d := time.Duration(0)
		if len(todo) == 0 {
			d = time.Until(nextSweep)
		}
		if err := e.wait(max(d, 0)); err != nil {
			return BurstResult{}, err
		}
		if now := time.Now(); !now.Before(nextSweep) {
			e.sweep(now)
			nextSweep = now.Add(sweepEvery)
		}
	}
	r := BurstResult{Open: e.last.Sub(began)}
	if cfg.Held != nil {
		cfg.Held()
	}
	// Phase 2: shut every connection down and wait for the server's FIN.
	began = time.Now()
	e.last = began
	for i := range e.clients {
		c := &e.clients[i]
		if c.state != held {
			continue
		}
		if err := unix.Shutdown(c.fd, unix.SHUT_WR); err != nil {
			e.fail(i, kindOf(err), fmt.Errorf("shutdown: %w", err))
			continue
		}
		c.state, c.deadline = closing, began.Add(e.timeout)
		e.held--
		e.readEOF(i) // the FIN may have come already: its edge would not come again
	}
	for e.open > 0 {
		if err := ctx.Err(); err != nil {
			return BurstResult{}, err
		}
		if err := e.wait(sweepEvery); err != nil {
			return BurstResult{}, err
		}
		e.sweep(time.Now())
	}
	r.Close = e.last.Sub(began)
	return r, nil
}
