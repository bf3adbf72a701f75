package core

import (
	"fmt"
	"github.com/asyncnet/asyncnet/core/transport"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
)

// Flow control: timeouts, pausing and resuming, backpressure. The public
// methods record the request under the socket's mutex; its reactor applies
// it (applyFlow) the next time it processes the socket.

// Disable stops reading, writing or both (cl-async's disable-socket).
//
// With reading disabled no read callback runs and the read timeout is
// suspended. What the peer sends meanwhile is kept, in order, and
// delivered after Enable:
//
//   - On Linux and the other Unix systems the socket takes its descriptor
//     out of gnet, so nobody reads it: the kernel's receive buffer fills
//     and TCP flow control holds the peer back; asyncnet holds only what
//     gnet had read before the pause. (Elsewhere than on Linux, a socket
//     whose own written bytes gnet still holds waits until they have gone
//     out before it does so, keeping what arrives meanwhile.)
//   - On Windows, and in those waits, the bytes are kept in memory, within
//     WithMaxReadBuffer: past it the socket closes with a condition
//     matching ErrReadBufferFull.
//   - If the peer ends its side while reading is disabled, its bytes and
//     then its end of file are delivered after Enable, as if the pause had
//     not been: the socket stays open meanwhile, since the peer may still
//     be reading what this side sends. If the peer resets the connection
//     (or the connection fails otherwise), the socket notices within a
//     quarter of a second, drops what it kept unread and closes with the
//     condition (conditions.TCPReset).
//   - A peer that is simply gone (its host down, its process killed
//     behind a full window) is noticed by TCP keepalive, or by a write
//     timeout when this side has bytes to send. An application that pauses
//     many sockets should bound the pause itself (a Delay that closes a
//     socket paused too long) and set WithWriteTimeout on the sockets it
//     pauses for.
//
// With writing disabled, written bytes are kept (they count against
// WithMaxWriteBuffer) and sent after Enable; a graceful Close, and
// WriteSocketData, send them regardless. Safe to call from any goroutine.
func (s *Socket) Disable(read, write bool) error {
	return s.control("Socket.Disable", "disable", func() {
		s.setReadOffLocked(s.readOff || read)
		s.writeOff = s.writeOff || write
	})
}

// Enable resumes reading, writing or both after Disable (cl-async's
// enable-socket): the kept bytes are delivered, or sent, in order, and the
// read timeout starts again. Enabling what is enabled does nothing. Safe to
// call from any goroutine.
func (s *Socket) Enable(read, write bool) error {
	return s.control("Socket.Enable", "enable", func() {
		s.setReadOffLocked(s.readOff && !read)
		s.writeOff = s.writeOff && !write
	})
}

// PauseReading stops reading (Disable(true, false)): no read callback runs
// until ResumeReading, the read timeout is suspended, and TCP flow control
// holds the peer back; see Disable for what happens meanwhile. Safe to
// call from any goroutine.
func (s *Socket) PauseReading() error { return s.Disable(true, false) }

// ResumeReading reads again after PauseReading (Enable(true, false)): the
// bytes that came meanwhile are delivered first, in order. Safe to call
// from any goroutine.
func (s *Socket) ResumeReading() error { return s.Enable(true, false) }

// PauseWriting holds written bytes in the socket (Disable(false, true))
// until ResumeWriting; they count against WithMaxWriteBuffer, and a
// graceful Close sends them regardless. Safe to call from any goroutine.
func (s *Socket) PauseWriting() error { return s.Disable(false, true) }

// ResumeWriting sends what PauseWriting held, in order (Enable(false,
// true)). Safe to call from any goroutine.
func (s *Socket) ResumeWriting() error { return s.Enable(false, true) }

// Congested reports whether the socket's unsent bytes (written but not yet
// taken by the kernel) have reached its high watermark and not yet fallen
// back to its low one (see WithWriteWatermarks). A producer should stop
// writing while it is true and resume in the OnDrain callback. Safe to call
// from any goroutine.
func (s *Socket) Congested() bool { return s != nil && s.congestedA.Load() }

// Unsent returns how many written bytes the kernel has not taken yet,
// wherever they wait (the socket's queue, or the transport's buffer, or on
// their way between the two). It is the figure WithMaxWriteBuffer caps,
// Congested watches, Stats sums and the write timeout watches shrink. Safe
// to call from any goroutine.
func (s *Socket) Unsent() int {
	if s == nil || s.loop == nil {
		return 0
	}
	return int(s.unsent.Load())
}

// Available returns how many bytes Write accepts now without going past
// WithMaxWriteBuffer: a producer that writes at most this much is never
// refused. Safe to call from any goroutine.
func (s *Socket) Available() int {
	if s == nil || s.loop == nil {
		return 0
	}
	return max(0, s.cfg.maxWrite-int(s.unsent.Load()))
}

// setReadOffLocked records whether reading is disabled. Call with s.mu
// held.
func (s *Socket) setReadOffLocked(off bool) {
	s.readOff = off
	s.readOffA.Store(off)
}

// control applies set under the socket's mutex and has the reactor apply
// the result.
func (s *Socket) control(call, op string, set func()) error {
	if s == nil || s.loop == nil {
		return zeroSocket(call)
	}
	s.mu.Lock()
	if s.state >= stClosing {
		err := s.closedErrLocked(op)
		s.mu.Unlock()
		return err
	}
	set()
	s.ctl = true
	r := s.scheduleLocked()
	s.mu.Unlock()
	if r != nil {
		r.mark(s)
	}
	return nil
}

// flow is a snapshot of the flow-control requests.
type flow struct {
	set         bool
	read, write time.Duration
	readOff     bool
	writeOff    bool
}

// applyFlow makes the flow-control requests effective. Reactor only.
func (s *Socket) applyFlow(c transport.Conn, fl flow) {
	resumed := s.rdPaused && !fl.readOff
	paused := !s.rdPaused && fl.readOff
	s.rdPaused, s.wrPaused = fl.readOff, fl.writeOff
	if t := s.timeoutsFor(fl.read, fl.write); t != nil {
		s.applyTimeouts(t, fl, resumed)
	}
	switch {
	case s.peerEOF: // nothing more to read
	case paused:
		_ = c.Pause()
	case resumed:
		_ = c.Resume()
		s.readable(c) // what arrived while reading was disabled
	}
}

// overflow closes the socket: more than WithMaxReadBuffer bytes are unread.
func (s *Socket) overflow(n int) {
	s.closeWith(conditions.TCPError, "read", fmt.Errorf("%w: %d bytes unread, limit %d", ErrReadBufferFull, n, s.cfg.maxRead))
}

// closeWith closes the connection at once, dropping what is unsent; its
// event callback gets a condition of kind k. Reactor only.
func (s *Socket) closeWith(k *conditions.Kind, op string, err error) {
	c := s.conn
	if c == nil {
		return
	}
	s.cond = s.condition(k, op, err)
	_ = c.Abort(false)
}

// checkDrain ends congestion once the unsent bytes are down to the low
// watermark, and runs the drain callback. Reactor only.
func (s *Socket) checkDrain() {
	s.mu.Lock()
	drained := s.congested && s.unsent.Load() <= int64(s.cfg.low)
	if drained {
		s.congested = false
		s.congestedA.Store(false)
	}
	s.mu.Unlock()
	if cb := s.cbs.Load().drain; drained && cb != nil {
		// After the work under way: a producer writing from OnDrain
		// makes its next round a round of the reactor's (exit), which
		// bounds how long they hold it.
		s.r.post(func() {
			if s.conn != nil {
				s.callSocket(cb)
			}
		})
	}
}

// reportIn keeps the reactor's count of kept bytes (Stats) equal to the sum
// over its sockets. Reactor only.
func (s *Socket) reportIn(n int) {
	if d := int64(n) - s.inStat; d != 0 {
		s.r.bytesIn.Add(d)
		s.inStat = int64(n)
	}
}
