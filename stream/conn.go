package stream

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// ErrInReactor is returned by a blocking method of Conn called on one of
// the Loop's reactors (inside a callback), where waiting would stall every
// socket of that reactor, or deadlock. It is core.ErrInReactor.
var ErrInReactor = core.ErrInReactor

// ErrDrains is returned by NetConn for a socket that hands its bytes to its
// read callback: a Conn needs them kept (core.WithDontDrainReadBuffer). It
// is a bad argument: it matches core.ErrInvalidArgument.
var ErrDrains error = &core.ArgError{Call: "stream.NetConn", Arg: "s",
	Reason: "socket drains its reads; make it with core.WithDontDrainReadBuffer"}

// Conn is a net.Conn over a Socket, for code written for goroutines and
// blocking I/O (bufio, net/http, crypto/tls): Read blocks until bytes, end
// of file or the read deadline; Write blocks while the socket is congested
// (backpressure) or until the write deadline; deadlines run on the Loop's
// timers. Like a *net.TCPConn it can be half-closed (CloseWrite,
// CloseRead), and the peer's end of file ends reading only: client.Dial
// and server.Listen make their sockets with core.WithAllowHalfOpen. The
// socket is still served by its reactor: a Conn costs no goroutine of its
// own. Its methods are safe to call from any goroutine
// except the Loop's reactors, where the blocking ones return ErrInReactor
// instead of waiting.
type Conn struct {
	s *core.Socket
	l *core.Loop

	readable chan struct{} // bytes, end of file or a close since the last wait
	writable chan struct{} // the socket drained, or closed
	closed   chan struct{} // closed by Close
	once     sync.Once
	pmu      sync.Mutex  // protects paused
	paused   bool        // reading disabled because the reader fell behind
	rdShut   atomic.Bool // CloseRead: Read reports end of file, arriving bytes are dropped
	rd, wd   deadline
}

// Flow control of a Conn's reads: past high unread bytes the socket stops
// reading (TCP holds the peer back) until the reader is down to low.
const (
	connReadHigh = 1 << 20
	connReadLow  = 256 << 10
	connChunk    = 256 << 10 // the most one Write hands the socket at a time
)

// NetConn returns a Conn over s, which must keep what it receives
// (core.WithDontDrainReadBuffer); see client.Dial and server.Listen for
// the usual way to get one. The Conn takes over the socket's read, drain
// and event callbacks. For the half-close of a *net.TCPConn (the peer's
// end of file ends reading only, and the Conn can still write), make s
// with core.WithAllowHalfOpen too, as Dial and Listen do; without it the
// peer's end of file closes the socket once what was written has gone.
func NetConn(s *core.Socket) (*Conn, error) { return NewConn(s, nil) }

// NewConn is NetConn, calling onEvent (if not nil) with each condition of
// the socket besides what the Conn does with it: client.Dial and
// server.Listen pass the OnEvent callback given in their options.
func NewConn(s *core.Socket, onEvent core.EventFunc) (*Conn, error) {
	if s == nil || s.Loop() == nil {
		return nil, &core.ArgError{Call: "stream.NetConn", Arg: "s", Reason: "nil or zero Socket"}
	}
	if !s.KeepsReads() {
		return nil, ErrDrains
	}
	c := &Conn{
		s:        s,
		l:        s.Loop(),
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
	c.rd.init()
	c.wd.init()
	err := s.WriteSocketData(nil,
		core.OnRead(func(*core.Socket, []byte) { c.onReadable() }),
		core.OnDrain(func(*core.Socket) { signal(c.writable) }),
		core.OnEvent(func(s *core.Socket, ev error) {
			signal(c.readable)
			signal(c.writable)
			if onEvent != nil {
				onEvent(s, ev)
			}
		}))
	if err != nil && !s.Closed() {
		return nil, err
	}
	return c, nil
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// onReadable runs on the reactor when bytes arrive.
func (c *Conn) onReadable() {
	if c.rdShut.Load() {
		c.discard()
		return
	}
	c.pace()
	signal(c.readable)
}

// pace pauses the socket while the reader is behind (more than
// connReadHigh bytes unread: TCP holds the peer back) and resumes it once
// the reader is down to connReadLow. The reactor calls it when bytes
// arrive and the reader after each read; under pmu, each looks at what is
// buffered now, so whichever comes last leaves the pause right (a reader
// that emptied the buffer just before the reactor paused still resumes
// it).
func (c *Conn) pace() {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	switch n := c.s.Buffered(); {
	case !c.paused && n > connReadHigh && !c.rdShut.Load():
		c.paused = true
		_ = c.s.Disable(true, false)
	case c.paused && (n < connReadLow || c.rdShut.Load()):
		c.paused = false
		_ = c.s.Enable(true, false)
	}
}

// Read reads up to len(p) bytes, blocking until some are there, the peer
// has closed (io.EOF), the read deadline passes (an error matching
// os.ErrDeadlineExceeded) or the Conn is closed.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		select {
		case <-c.closed:
			return 0, c.opError("read", net.ErrClosed)
		default:
		}
		if c.rdShut.Load() {
			return 0, io.EOF
		}
		n, err := c.s.Read(p)
		c.pace()
		if n > 0 {
			return n, nil
		}
		if !errors.Is(err, core.ErrWouldBlock) {
			if errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			return 0, c.opError("read", err)
		}
		if err := c.wait(&c.rd, c.readable, "read"); err != nil {
			return 0, err
		}
	}
}

// Write writes p, blocking while the socket is congested, until all of p is
// written, the write deadline passes or the Conn is closed; it returns how
// many bytes it wrote.
func (c *Conn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		select {
		case <-c.closed:
			return written, c.opError("write", net.ErrClosed)
		case <-c.wd.passed():
			return written, c.opError("write", os.ErrDeadlineExceeded)
		default:
		}
		room := c.s.Available()
		if (c.s.Congested() || room == 0) && !c.s.Closed() {
			if err := c.wait(&c.wd, c.writable, "write"); err != nil {
				return written, err
			}
			continue
		}
		n, err := c.s.Write(p[:min(len(p), connChunk, max(room, 1))])
		written += n
		p = p[n:]
		if err != nil && !errors.Is(err, core.ErrWriteBufferFull) {
			return written, c.opError("write", err)
		}
	}
	return written, nil
}

// wait blocks until ready is signalled, the deadline passes or the Conn
// closes.
func (c *Conn) wait(d *deadline, ready chan struct{}, op string) error {
	select {
	case <-ready:
		return nil
	case <-d.passed():
		return c.opError(op, os.ErrDeadlineExceeded)
	case <-c.closed:
		return c.opError(op, net.ErrClosed)
	default:
	}
	if c.l.InReactor() {
		return c.opError(op, ErrInReactor)
	}
	select {
	case <-ready:
	case <-c.s.Done(): // closed without an event (Exit): the next look says so
	case <-d.passed():
		return c.opError(op, os.ErrDeadlineExceeded)
	case <-c.closed:
		return c.opError(op, net.ErrClosed)
	}
	return nil
}

// Close closes the Conn and its socket gracefully (what was written is
// delivered); blocked Reads and Writes return. Closing again does nothing.
func (c *Conn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.rd.stop()
		c.wd.stop()
		_ = c.s.Close()
	})
	return nil
}

// CloseWrite shuts down the writing side of the connection, as
// (*net.TCPConn).CloseWrite does: what was written is delivered, then the
// peer gets end of file; reading goes on. Later Writes fail.
func (c *Conn) CloseWrite() error {
	if err := c.s.CloseWrite(); err != nil {
		return c.opError("close", err)
	}
	return nil
}

// CloseRead shuts down the reading side of the connection, as
// (*net.TCPConn).CloseRead does: Read returns io.EOF from now on, and what
// the peer sends is dropped (so it is never held back); writing goes on.
func (c *Conn) CloseRead() error {
	select {
	case <-c.closed:
		return c.opError("close", net.ErrClosed)
	default:
	}
	if c.rdShut.CompareAndSwap(false, true) {
		signal(c.readable) // a blocked Read returns io.EOF
		c.pace()           // let the bytes come, to be dropped
		c.discard()
	}
	return nil
}

// discard drops the bytes the socket keeps (after CloseRead).
func (c *Conn) discard() {
	var scratch [4 << 10]byte
	for {
		if n, _ := c.s.Read(scratch[:]); n == 0 {
			return
		}
	}
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.s.LocalAddr() }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.s.RemoteAddr() }

// SetDeadline sets the read and write deadlines; the zero time clears them.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(c.l, t)
	c.wd.set(c.l, t)
	return nil
}

// SetReadDeadline sets when blocked and future Reads give up; the zero time
// clears it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(c.l, t)
	return nil
}

// SetWriteDeadline sets when blocked and future Writes give up; the zero
// time clears it.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(c.l, t)
	return nil
}

// Socket returns the socket under the Conn.
func (c *Conn) Socket() *core.Socket { return c.s }

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.s.LocalAddr(), Addr: c.s.RemoteAddr(), Err: err}
}

// deadline is a read or write deadline: a channel closed when it passes,
// by a Loop timer.
type deadline struct {
	mu    sync.Mutex
	ch    chan struct{} // closed when the deadline passes
	done  bool          // ch is closed
	timer *core.Timer
}

func (d *deadline) init() { d.ch = make(chan struct{}) }

// set moves the deadline to t (the zero time: none).
func (d *deadline) set(l *core.Loop, t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.done { // a passed deadline moved: operations may wait again
		d.ch, d.done = make(chan struct{}), false
	}
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.ch)
		d.done = true
		return
	}
	ch := d.ch
	d.timer = l.Delay(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.ch == ch && !d.done {
			close(ch)
			d.done = true
		}
	})
}

func (d *deadline) passed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}
