package memtransport

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Conn is one end of a Network's connection, the in-memory equivalent of
// *net.TCPConn: Read and Write block (a Write waits while the peer's
// window is full), deadlines work as in package net, CloseWrite and
// CloseRead half-close, and SetLinger(0) makes Close reset the connection.
// Errors are *net.OpError values wrapping what the kernel would say
// (syscall.ECONNRESET, syscall.EPIPE, net.ErrClosed,
// os.ErrDeadlineExceeded). Its methods are safe to call from any
// goroutine, until it is handed to a Transport's reactor (Enroll): from
// then on the transport owns it.
type Conn struct {
	lk           *link
	i            int // this end's index in lk
	laddr, raddr *net.TCPAddr
	rd, wd       deadline
}

func newEndpoint(lk *link, i int, laddr, raddr *net.TCPAddr) *Conn {
	return &Conn{lk: lk, i: i, laddr: laddr, raddr: raddr, rd: makeDeadline(), wd: makeDeadline()}
}

// Read reads what the peer sent, waiting until some bytes are there; it
// returns io.EOF once the peer has ended its side and every byte before
// the end is read. p is filled, not kept. Safe to call from any goroutine.
func (c *Conn) Read(p []byte) (int, error) {
	lk := c.lk
	for {
		if c.rd.passed() {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		lk.mu.Lock()
		e, in := &lk.end[c.i], &lk.flow[1-c.i]
		switch {
		case e.closed:
			lk.mu.Unlock()
			return 0, c.opErr("read", net.ErrClosed)
		case len(p) == 0:
			lk.mu.Unlock()
			return 0, nil
		case in.q.Len() > 0:
			n := lk.readLocked(c.i, p)
			lk.mu.Unlock()
			return n, nil
		case in.fin || in.drop && !in.rst:
			lk.mu.Unlock()
			return 0, io.EOF
		case in.rst:
			lk.mu.Unlock()
			return 0, c.opErr("read", os.NewSyscallError("read", syscall.ECONNRESET))
		}
		wait := lk.waitLocked(c.i)
		lk.mu.Unlock()
		select {
		case <-wait:
		case <-c.rd.wait():
		}
	}
}

// Write writes p, waiting while the peer's window is full. A Write that
// times out has written the bytes it reports. p is copied. Safe to call
// from any goroutine.
func (c *Conn) Write(p []byte) (int, error) {
	lk := c.lk
	n := 0
	for {
		if c.wd.passed() {
			return n, c.opErr("write", os.ErrDeadlineExceeded)
		}
		lk.mu.Lock()
		e := &lk.end[c.i]
		switch {
		case e.closed:
			lk.mu.Unlock()
			return n, c.opErr("write", net.ErrClosed)
		case e.reset:
			lk.mu.Unlock()
			return n, c.opErr("write", os.NewSyscallError("write", syscall.ECONNRESET))
		case e.shut:
			lk.mu.Unlock()
			return n, c.opErr("write", os.NewSyscallError("write", syscall.EPIPE))
		}
		n += lk.sendLocked(c.i, p[n:])
		if n == len(p) {
			lk.mu.Unlock()
			return n, nil
		}
		wait := lk.waitLocked(c.i)
		lk.mu.Unlock()
		select {
		case <-wait:
		case <-c.wd.wait():
		}
	}
}

// Close closes the connection: FIN after what was written, or a reset if
// bytes the peer sent are unread or SetLinger(0) was called. Blocked Read
// and Write calls return an error matching net.ErrClosed. Safe to call from
// any goroutine.
func (c *Conn) Close() error {
	lk := c.lk
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.end[c.i].closed {
		return c.opErr("close", net.ErrClosed)
	}
	lk.closeLocked(c.i, true, true)
	return nil
}

// abort closes the connection at once, with a reset if reset is true.
func (c *Conn) abort(reset bool) {
	lk := c.lk
	lk.mu.Lock()
	lk.closeLocked(c.i, !reset, false)
	lk.mu.Unlock()
}

// CloseWrite ends the writing side (FIN): the peer reads end of file after
// what was written; reading goes on. Safe to call from any goroutine.
func (c *Conn) CloseWrite() error {
	lk := c.lk
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.end[c.i].closed {
		return c.opErr("close", net.ErrClosed)
	}
	lk.shutLocked(c.i)
	return nil
}

// CloseRead ends the reading side: Read returns end of file, and what the
// peer sends from now on is dropped. Safe to call from any goroutine.
func (c *Conn) CloseRead() error {
	lk := c.lk
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.end[c.i].closed {
		return c.opErr("close", net.ErrClosed)
	}
	lk.stopReadingLocked(c.i)
	return nil
}

// SetLinger sets what Close does, as (*net.TCPConn).SetLinger: sec == 0
// makes it reset the connection (the peer gets syscall.ECONNRESET) rather
// than end it with FIN; any other value restores the default. Safe to call
// from any goroutine.
func (c *Conn) SetLinger(sec int) error {
	lk := c.lk
	lk.mu.Lock()
	defer lk.mu.Unlock()
	lk.end[c.i].linger0 = sec == 0
	return nil
}

// LocalAddr returns the local address, a *net.TCPAddr. Safe to call from
// any goroutine.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address, a *net.TCPAddr. Safe to call
// from any goroutine.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline sets the read and write deadlines. Safe to call from any
// goroutine.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline sets the read deadline: a Read waiting then returns an
// error matching os.ErrDeadlineExceeded. Safe to call from any goroutine.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline sets the write deadline: a Write waiting then returns
// an error matching os.ErrDeadlineExceeded. Safe to call from any
// goroutine.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: err}
}
