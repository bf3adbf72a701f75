package core

import (
	"fmt"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
)

// Flow control: timeouts, pausing and resuming, backpressure. The public
// methods record the request under the socket's mutex; its reactor applies
// it (applyFlow) the next time it processes the socket.

// SetTimeouts sets the socket's read and write timeouts, replacing those it
// had; 0 clears one. The read timeout closes the socket when no bytes
// arrive for read while reading is enabled; the write timeout when written
// bytes stay unsent for write without any progress. Either delivers
// conditions.TCPTimeout to the event callback, once. The precision is one
// tick (WithTickInterval). It is the equivalent of cl-async's
// set-socket-timeouts. Safe to call from any goroutine.
func (s *Socket) SetTimeouts(read, write time.Duration) error {
	const call = "Socket.SetTimeouts"
	if read < 0 {
		return &ArgError{Call: call, Arg: "read", Reason: fmt.Sprintf("negative duration %v", read)}
	}
	if write < 0 {
		return &ArgError{Call: call, Arg: "write", Reason: fmt.Sprintf("negative duration %v", write)}
	}
	return s.control("settimeouts", func() { s.readTimeout, s.writeTimeout = read, write })
}

// Disable stops reading, writing or both (cl-async's disable-socket).
//
// With reading disabled no read callback runs and the read timeout is
// suspended; bytes that arrive meanwhile are kept, in order, and delivered
// after Enable. gnet cannot stop reading a connection, so they are kept
// within WithMaxReadBuffer: past it the socket closes with a condition
// matching ErrReadBufferFull. With writing disabled, written bytes are kept
// (within WithMaxWriteBuffer) and sent after Enable; a graceful Close sends
// them regardless. Safe to call from any goroutine.
func (s *Socket) Disable(read, write bool) error {
	return s.control("disable", func() {
		s.readOff = s.readOff || read
		s.writeOff = s.writeOff || write
	})
}

// Enable resumes reading, writing or both after Disable (cl-async's
// enable-socket): the kept bytes are delivered, or sent, in order, and the
// read timeout starts again. Enabling what is enabled does nothing. Safe to
// call from any goroutine.
func (s *Socket) Enable(read, write bool) error {
	return s.control("enable", func() {
		s.readOff = s.readOff && !read
		s.writeOff = s.writeOff && !write
	})
}

// Congested reports whether the socket's unsent bytes (written but not yet
// taken by the kernel) have reached its high watermark and not yet fallen
// back to its low one (see WithWriteWatermarks). A producer should stop
// writing while it is true and resume in the OnDrain callback. Safe to call
// from any goroutine.
func (s *Socket) Congested() bool { return s.congestedA.Load() }

// Unsent returns how many written bytes the socket holds that the kernel
// has not taken yet. Safe to call from any goroutine.
func (s *Socket) Unsent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingLenLocked() + int(s.backlog.Load())
}

// control applies set under the socket's mutex and has the reactor apply
// the result.
func (s *Socket) control(op string, set func()) error {
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

func (s *Socket) pendingLenLocked() int {
	if s.pending == nil {
		return 0
	}
	return len(s.pending.B)
}

// flow is a snapshot of the flow-control requests.
type flow struct {
	set         bool
	read, write time.Duration
	readOff     bool
	writeOff    bool
}

// applyFlow makes the flow-control requests effective. Reactor only.
func (s *Socket) applyFlow(c Conn, fl flow) {
	resumed := s.rdPaused && !fl.readOff
	s.rdPaused, s.wrPaused = fl.readOff, fl.writeOff
	if t := s.timeoutsFor(fl.read, fl.write); t != nil {
		s.applyTimeouts(t, fl, resumed)
	}
	if resumed {
		s.readable(c) // what arrived while reading was disabled
	}
	if s.rdPaused && canPark && !s.closing {
		s.wantPark = true // process parks it
	}
}

// applyTimeouts makes the requested timeouts effective. Reactor only.
func (s *Socket) applyTimeouts(t *timeouts, fl flow, resumed bool) {
	r := s.r
	rtChanged := fl.read != t.rtDur
	t.rtDur, t.rtTicks = fl.read, 0
	if fl.read > 0 {
		t.rtTicks = s.loop.ticks(fl.read)
	}
	switch {
	case t.rtTicks == 0 || s.rdPaused:
		r.wheel.remove(&t.rt)
	case rtChanged || resumed || !t.rt.armed:
		r.refresh()
		t.lastRead = r.now
		r.addTimer(&t.rt, r.now+t.rtTicks+1)
	}
	if fl.write != t.wtDur {
		t.wtDur, t.wtTicks = fl.write, 0
		if fl.write > 0 {
			t.wtTicks = s.loop.ticks(fl.write)
			r.refresh()
			t.progress = r.now
		}
	}
}

// errNoWriteProgress is the cause of a write timeout.
func errNoWriteProgress(d time.Duration) error { return fmt.Errorf("no write progress for %v", d) }

// readTimer is a Socket as the owner of its read-timeout timer node.
type readTimer Socket

// expire checks the read timeout: the node fires at the deadline counted
// from the time it was armed, and is moved on if bytes arrived since
// (reads only record the tick, so a busy socket costs no timer work).
func (t *readTimer) expire(*timerNode) {
	s := (*Socket)(t)
	tm := s.tmo // not nil: it owns the node
	if s.conn == nil || tm.rtTicks == 0 || s.rdPaused {
		return
	}
	deadline := tm.lastRead + tm.rtTicks + 1
	if deadline > s.r.now {
		s.r.addTimer(&tm.rt, deadline)
		return
	}
	s.timeout("read", fmt.Errorf("no data for %v", tm.rtDur))
}

// timeout closes the socket with conditions.TCPTimeout.
func (s *Socket) timeout(op string, err error) {
	s.closeWith(conditions.TCPTimeout, op, err)
}

// overflow closes the socket: more than WithMaxReadBuffer bytes are unread.
func (s *Socket) overflow(c Conn, n int) {
	s.closeWith(conditions.TCPError, "read", fmt.Errorf("%w: %d bytes unread, limit %d", ErrReadBufferFull, n, s.cfg.maxRead))
}

// closeWith closes the connection at once; its event callback gets a
// condition of kind k. Reactor only.
func (s *Socket) closeWith(k *conditions.Kind, op string, err error) {
	c := s.conn
	if c == nil {
		return
	}
	s.cond = s.condition(k, op, err)
	_ = s.r.tr.Close(c)
}

// checkDrain ends congestion once the unsent bytes are down to the low
// watermark, and runs the drain callback. Reactor only.
func (s *Socket) checkDrain(out int) {
	s.mu.Lock()
	drained := s.congested && out+s.pendingLenLocked() <= s.cfg.low
	if drained {
		s.congested = false
		s.congestedA.Store(false)
	}
	s.mu.Unlock()
	if cb := s.cbs.Load().drain; drained && cb != nil {
		s.callSocket(cb)
	}
}

// reportIn and reportOut keep the reactor's byte counters (Stats) equal to
// the sum over its sockets. Reactor only.
func (s *Socket) reportIn(n int) {
	if d := int64(n) - s.inStat; d != 0 {
		s.r.bytesIn.Add(d)
		s.inStat = int64(n)
	}
}

func (s *Socket) reportOut(n int) {
	if d := int64(n) - s.outStat; d != 0 {
		s.r.bytesOut.Add(d)
		s.outStat = int64(n)
	}
}
