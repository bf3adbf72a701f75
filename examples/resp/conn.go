package main

import (
	"errors"
	"log"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
)

// One client connection: its callbacks, pipelining, backpressure, and how
// it ends. Every callback of a socket runs on the socket's reactor, one at
// a time, so a conn is only ever touched by one goroutine at a time and
// needs no lock.

const (
	// flushBytes is how many bytes of replies are built before they are
	// written: the replies to a read's worth of small requests go out in
	// one write, and a pipeline of big replies is checked for congestion
	// every so often rather than built whole.
	flushBytes = 64 << 10
	// lingerTimeout bounds how long a closing connection waits for its peer
	// to close its side too, and for its replies to make progress (see
	// conn.linger).
	lingerTimeout = 5 * time.Second
)

// writer is what serving needs of a socket: *core.Socket is one; the tests
// use their own.
type writer interface {
	Write(p []byte) (int, error)
	Congested() bool
}

// conn is the state of one client connection, kept with its socket
// (Socket.SetData).
type conn struct {
	store *store
	proc  *process // nil in the tests of protocol.go
	id    int64    // CLIENT ID
	name  []byte   // CLIENT SETNAME
	peer  peer     // CLIENT INFO's addresses and age

	parser parser
	// pending holds what was read and not served yet: the start of a
	// request that has not all arrived, and, while the connection is
	// paused, the requests read before the pause. The parser's bounds keep
	// it within about maxRequestBytes.
	pending []byte
	out     []byte // replies built and not written yet

	paused   bool // reading is disabled until the replies drain
	stop     bool // QUIT, a protocol error, or a failed write: serve nothing more
	draining bool // a Shutdown asked the connection to finish
	// finish is, while draining, how many bytes of what was read before
	// the Shutdown are still to be served: the requests they start are
	// answered, the later ones are not.
	finish    int
	lingering bool        // closing: what the peer still sends is dropped
	linger    *core.Timer // closes a lingering connection for good

	lower [16]byte // the command name in lower case
}

// onRead serves the requests that data completes. data is borrowed: what
// must outlive the call is copied into pending.
func onRead(s *core.Socket, data []byte) {
	c := s.Data().(*conn)
	if c.lingering {
		return
	}
	c.feed(s, data)
	c.settle(s)
}

// onDrain runs when the replies of a paused connection have drained: it
// serves the requests read before the pause, then reads again.
func onDrain(s *core.Socket) {
	c := s.Data().(*conn)
	if !c.paused || c.lingering {
		return
	}
	c.paused = false
	c.feed(s, nil)
	c.settle(s)
	if !c.paused && !c.lingering {
		_ = s.Enable(true, false) // fails only if the socket is closed
	}
}

// onShutdown is how Loop.Shutdown asks the connection to finish: the
// requests already read (completely or in part) are answered, then the
// connection closes. A connection with nothing under way closes at once.
func onShutdown(s *core.Socket) {
	c := s.Data().(*conn)
	if c.lingering {
		return
	}
	c.draining, c.finish = true, len(c.pending)
	if c.finish == 0 && !c.paused && s.Unsent() == 0 {
		_ = s.Close() // idle: nothing read, nothing owed
		return
	}
	c.settle(s) // lingers now if nothing read is left to answer
}

// onEvent runs once the connection has closed (or for an accept error of
// the server, with a nil socket). The ends of a connection are logged
// unless they are the usual ones.
func onEvent(s *core.Socket, ev error) {
	if s == nil {
		log.Printf("accept: %v", ev) // the server goes on accepting
		return
	}
	if c, _ := s.Data().(*conn); c != nil && c.linger != nil {
		c.linger.Stop()
	}
	// ENOTCONN: the client reset the connection just before the server
	// shut its write side (CloseWrite reports it so): a reset as well.
	if !errors.Is(ev, conditions.TCPEOF) && !errors.Is(ev, conditions.TCPReset) &&
		!errors.Is(ev, syscall.ENOTCONN) {
		log.Printf("client %v: %v", s.RemoteAddr(), ev)
	}
}

// feed serves the requests that data completes, after those pending, and
// keeps what it did not serve in pending.
func (c *conn) feed(w writer, data []byte) {
	in := data
	if len(c.pending) > 0 {
		c.pending = append(c.pending, data...)
		in = c.pending
	}
	n := c.serve(w, in)
	switch rest := in[n:]; {
	case c.stop:
		c.pending = nil
	case cap(c.pending) > 4*flushBytes && len(rest) <= flushBytes:
		c.pending = append([]byte(nil), rest...) // let a big request's buffer go
	default:
		c.pending = append(c.pending[:0], rest...) // copy moves overlapping bytes correctly
	}
}

// serve answers the complete requests at the start of in, in order, and
// returns how many bytes they took. It stops early when the replies are
// congested (the caller then pauses), when a request ends the connection,
// and, while draining, after the last request that was read before the
// Shutdown.
func (c *conn) serve(w writer, in []byte) int {
	pos, served := 0, uint64(0)
	for pos < len(in) && !c.stop && !(c.draining && c.finish <= 0) {
		args, n, err := c.parser.next(in[pos:])
		if err != nil {
			c.out = appendError(c.out, "ERR "+err.Error())
			c.stop = true
			break
		}
		if n == 0 {
			break // the rest has not arrived
		}
		pos += n
		c.finish -= n
		if len(args) > 0 {
			c.execute(args)
			served++
		}
		if len(c.out) >= flushBytes && (!c.flush(w) || w.Congested()) {
			break
		}
	}
	c.flush(w)
	if c.proc != nil && served > 0 {
		c.proc.served.Add(served) // once per read, not per command: one atomic add shared by the reactors
	}
	return pos
}

// flush writes the replies built so far. It reports false if the socket is
// closed (its OnEvent says why); then nothing more is served.
func (c *conn) flush(w writer) bool {
	if len(c.out) == 0 {
		return true
	}
	_, err := w.Write(c.out) // Write copies: out is reused at once
	if cap(c.out) > 4*flushBytes {
		c.out = nil // let a big reply's buffer go
	} else {
		c.out = c.out[:0]
	}
	if err != nil {
		c.stop = true
		return false
	}
	return true
}

// settle applies what serving decided: the connection lingers once it has
// nothing more to answer, or pauses while its replies are congested. A
// peer that pipelines requests faster than it reads the replies is held
// back this way, by TCP flow control, instead of by the server's memory.
func (c *conn) settle(s *core.Socket) {
	switch {
	case c.stop || c.draining && c.finish <= 0:
		c.closeGracefully(s)
	case s.Congested() && !c.paused:
		c.paused = true
		_ = s.Disable(true, false) // fails only if the socket is closed
	}
}

// closeGracefully closes the connection without losing a reply. Closing a
// socket whose peer has sent bytes it has not read makes the kernel reset
// the connection, and a reset destroys the replies still on their way: a
// client that pipelined requests past a QUIT, or past what a Shutdown
// answers, would lose replies it is owed. So the connection lingers, as
// HTTP servers do: it shuts its write side once the replies are out
// (CloseWrite sends FIN after them), reads and drops what the peer still
// sends, and closes when the peer closes its side too. A peer that does
// not is closed after lingerTimeout, and one that stops reading the
// replies is cut off once they have made no progress for as long (the
// write timeout).
func (c *conn) closeGracefully(s *core.Socket) {
	if c.lingering {
		return
	}
	c.lingering = true
	c.pending, c.out = nil, nil
	if err := s.CloseWrite(); err != nil {
		_ = s.Close() // no half-close on this platform: close after the replies
		return
	}
	// Read what the peer sent, to drop it. Reading may be off although
	// c.paused is not: onDrain clears it before serving what was kept,
	// and lands here when that was the last of what it owed.
	c.paused = false
	_ = s.Enable(true, false) // enabling what is enabled does nothing
	_ = s.SetTimeouts(0, lingerTimeout)
	c.linger = s.Loop().Delay(lingerTimeout, func() { _ = s.Close() })
}
