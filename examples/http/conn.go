package main

import (
	"errors"
	"log"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
)

// One client connection: its callbacks, keep-alive and pipelining,
// backpressure, and how it ends. Every callback of a socket runs on the
// socket's reactor, one at a time, so a conn is only ever touched by one
// goroutine at a time and needs no lock.

const (
	// flushBytes is how many bytes of responses are built before they are
	// written: the responses to a read's worth of pipelined requests go
	// out in one write, and congestion is checked every so often.
	flushBytes = 64 << 10
	// lingerTimeout bounds how long a closing connection waits for its peer
	// to close its side too, and for its responses to make progress (see
	// conn.closeGracefully).
	lingerTimeout = 5 * time.Second
	// idleTimeout closes a connection that sends nothing for this long.
	idleTimeout = time.Minute
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
	// pending holds what was read and not served yet: the start of a head
	// that has not all arrived (at most maxHeaderBytes), and, while the
	// connection is paused, the requests read before the pause.
	pending []byte
	out     []byte // responses built and not written yet
	clock   clock

	// A request whose body is being read: it is answered once the body
	// has all been read (and dropped: nothing here uses a body).
	req      request
	bodyLeft int64

	paused   bool // reading is disabled until the responses drain
	stop     bool // the last response is built: serve nothing more
	draining bool // a Shutdown asked the connection to finish
	// finish is, while draining, how many bytes of what was read before
	// the Shutdown are still to be served: the requests they start are
	// answered, the later ones are not.
	finish    int
	lingering bool        // closing: what the peer still sends is dropped
	linger    *core.Timer // closes a lingering connection for good
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

// onDrain runs when the responses of a paused connection have drained: it
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
// requests already read (completely or in part) are answered, the last
// with "Connection: close", then the connection closes. An idle
// connection closes at once.
func onShutdown(s *core.Socket) {
	c := s.Data().(*conn)
	if c.lingering {
		return
	}
	c.draining, c.finish = true, len(c.pending)
	if c.finish == 0 && c.bodyLeft == 0 && !c.paused && s.Unsent() == 0 {
		_ = s.Close() // idle: nothing read, nothing owed
		return
	}
	c.settle(s) // lingers now if nothing read is left to answer
}

// onEvent runs once the connection has closed (or for an accept error of
// the server, with a nil socket). The ends of a connection are logged
// unless they are the usual ones: the client closed it or reset it, or it
// was idle for too long.
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
	if !errors.Is(ev, conditions.TCPEOF) && !errors.Is(ev, conditions.TCPReset) && !errors.Is(ev, conditions.TCPTimeout) &&
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
		c.pending = append([]byte(nil), rest...) // let a big buffer go
	default:
		c.pending = append(c.pending[:0], rest...) // copy moves overlapping bytes correctly
	}
}

// serve answers the complete requests at the start of in, in order, and
// returns how many bytes they took. It stops early when the responses are
// congested (the caller then pauses), after a response that ends the
// connection, and, while draining, after the last request that was read
// before the Shutdown.
func (c *conn) serve(w writer, in []byte) int {
	pos := 0
	for !c.stop {
		if c.bodyLeft > 0 { // drop the body, then answer its request
			n := int(min(c.bodyLeft, int64(len(in)-pos)))
			pos += n
			c.finish -= n
			if c.bodyLeft -= int64(n); c.bodyLeft > 0 {
				break // the rest of the body has not arrived
			}
			c.respond()
		} else {
			if pos == len(in) || c.draining && c.finish <= 0 {
				break
			}
			req, n := parseRequest(in[pos:])
			if n == 0 {
				break // the rest of the head has not arrived
			}
			pos += n
			c.finish -= n
			if req.status == 0 {
				continue // empty lines, no request yet
			}
			c.req, c.bodyLeft = req, req.bodyLen // a malformed request has none: it is the last
			if c.bodyLeft > 0 {
				if req.expectContinue {
					c.out = append(c.out, continueResponse...)
				}
				continue
			}
			c.respond()
		}
		if len(c.out) >= flushBytes && (!c.flush(w) || w.Congested()) {
			break
		}
	}
	c.flush(w)
	return pos
}

// respond builds the response to c.req. After a response that closes the
// connection (the client asked for it, the request was malformed, or it is
// the last one a Shutdown lets the connection answer) nothing more is
// served.
func (c *conn) respond() {
	closing := !c.req.keepAlive || c.draining && c.finish <= 0
	c.out = appendResponse(c.out, &c.req, c.clock.now(), closing)
	c.stop = closing
}

// flush writes the responses built so far. It reports false if the socket
// is closed (its OnEvent says why); then nothing more is served.
func (c *conn) flush(w writer) bool {
	if len(c.out) == 0 {
		return true
	}
	_, err := w.Write(c.out) // Write copies: out is reused at once
	if cap(c.out) > 4*flushBytes {
		c.out = nil // let a big buffer go
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
// nothing more to answer, or pauses while its responses are congested. A
// client that pipelines requests faster than it reads the responses is
// held back this way, by TCP flow control, instead of by the server's
// memory.
func (c *conn) settle(s *core.Socket) {
	switch {
	case c.stop || c.draining && c.finish <= 0 && c.bodyLeft == 0:
		c.closeGracefully(s)
	case s.Congested() && !c.paused:
		c.paused = true
		_ = s.Disable(true, false) // fails only if the socket is closed
	}
}

// closeGracefully closes the connection without losing a response. Closing
// a socket whose peer has sent bytes it has not read makes the kernel reset
// the connection, and a reset destroys the responses still on their way: a
// client that pipelined requests past a "Connection: close", or past what
// a Shutdown answers, would lose responses it is owed. So the connection
// lingers, as HTTP servers do: it shuts its write side once the responses
// are out (CloseWrite sends FIN after them), reads and drops what the peer
// still sends, and closes when the peer closes its side too. A peer that
// does not is closed after lingerTimeout, and one that stops reading the
// responses is cut off once they have made no progress for as long (the
// write timeout).
func (c *conn) closeGracefully(s *core.Socket) {
	if c.lingering {
		return
	}
	c.lingering = true
	c.pending, c.out = nil, nil
	if err := s.CloseWrite(); err != nil {
		_ = s.Close() // no half-close on this platform: close after the responses
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
