package core

import (
	"fmt"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
)

// Timeouts. Both are lazy nodes of the reactor's timing wheel: the read
// timeout fires at its deadline counted from when it was armed and, if
// bytes arrived since (reads only record the tick), moves on to the new
// deadline; the write timeout, armed while bytes are unsent, does the same
// with the last progress (the kernel took bytes, or the peer acknowledged
// some). A busy socket costs no timer work.

// SetTimeouts sets the socket's read and write timeouts, replacing those it
// had; 0 clears one. The read timeout closes the socket when no bytes
// arrive for read while reading is enabled; the write timeout when written
// bytes stay unsent for write without any progress. Either delivers
// conditions.TCPTimeout to the event callback, once. The precision is one
// tick (WithTickInterval), except that a write timeout may fire up to one
// timeout late when the last progress was the peer acknowledging bytes
// (a slow reader draining the kernel's buffers): acknowledgements are
// looked at only when the timeout is due, and count as progress made
// then. It is never early. It is the equivalent of cl-async's
// set-socket-timeouts. Safe to call from any goroutine.
func (s *Socket) SetTimeouts(read, write time.Duration) error {
	const call = "Socket.SetTimeouts"
	if read < 0 {
		return &ArgError{Call: call, Arg: "read", Reason: fmt.Sprintf("negative duration %v", read)}
	}
	if write < 0 {
		return &ArgError{Call: call, Arg: "write", Reason: fmt.Sprintf("negative duration %v", write)}
	}
	return s.control("Socket.SetTimeouts", "settimeouts", func() { s.readTimeout, s.writeTimeout = read, write })
}

// timeouts is the reactor's state of a socket's read and write timeouts.
// Most sockets never have one, so it is allocated when one is first set.
type timeouts struct {
	rt        timerNode // the read timeout
	rtDur     time.Duration
	rtTicks   int64     // read timeout in ticks; 0 means none
	lastRead  int64     // tick when bytes last arrived
	wt        timerNode // the write timeout
	wtDur     time.Duration
	wtTicks   int64  // write timeout in ticks; 0 means none
	progress  int64  // tick of the last write progress
	lastAcked uint64 // the peer's acknowledged count at the last look
}

// timeoutsFor returns s's timeout state, allocating it if s gets a
// timeout now (read or write > 0); nil if it has none and gets none.
func (s *Socket) timeoutsFor(read, write time.Duration) *timeouts {
	if s.tmo == nil && (read > 0 || write > 0) {
		s.tmo = &timeouts{}
		s.tmo.rt.owner = (*readTimer)(s)
		s.tmo.wt.owner = (*writeTimer)(s)
	}
	return s.tmo
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
	case t.rtTicks == 0 || s.rdPaused || s.peerEOF:
		r.wheel.remove(&t.rt)
	case rtChanged || resumed || !t.rt.armed:
		r.refresh()
		t.lastRead = r.now
		r.addTimer(&t.rt, r.now+t.rtTicks+1)
	}
	if fl.write != t.wtDur {
		t.wtDur, t.wtTicks = fl.write, 0
		r.wheel.remove(&t.wt)
		if fl.write > 0 {
			t.wtTicks = s.loop.ticks(fl.write)
			r.refresh()
			t.progress = r.now
		}
	}
	if s.wrPaused {
		r.wheel.remove(&t.wt)
	} else {
		s.watchWrites()
	}
}

// readArrived records that bytes arrived, for the read timeout. Reactor
// only.
func (s *Socket) readArrived() {
	if s.tmo != nil && s.tmo.rtTicks > 0 {
		s.tmo.lastRead = s.loop.tickNow() // the reactor's r.now may be old: it ticks only when due
	}
}

// writeProgressed records write progress, for the write timeout. Reactor
// only.
func (s *Socket) writeProgressed() {
	if s.tmo != nil && s.tmo.wtTicks > 0 {
		s.tmo.progress = s.loop.tickNow()
	}
}

// watchWrites arms the write timeout while bytes are unsent. Reactor only.
func (s *Socket) watchWrites() {
	t := s.tmo
	if t == nil || t.wtTicks == 0 || t.wt.armed || s.wrPaused || s.unsent.Load() == 0 {
		return
	}
	s.r.refresh()
	if s.r.now-t.progress > t.wtTicks { // a backlog begins: progress counts from now
		t.progress = s.r.now
	}
	s.r.addTimer(&t.wt, t.progress+t.wtTicks+1)
}

// stopReadTimeout disarms the read timeout of a socket that will read
// nothing more. Reactor only.
func (s *Socket) stopReadTimeout() {
	if s.tmo != nil {
		s.r.wheel.remove(&s.tmo.rt)
	}
}

// stopTimeouts disarms both timeouts of a socket that closed. Reactor
// only.
func (s *Socket) stopTimeouts() {
	if s.tmo != nil {
		s.r.wheel.remove(&s.tmo.rt)
		s.r.wheel.remove(&s.tmo.wt)
	}
}

// errNoWriteProgress is the cause of a write timeout.
func errNoWriteProgress(d time.Duration) error { return fmt.Errorf("no write progress for %v", d) }

// readTimer is a Socket as the owner of its read-timeout timer node.
type readTimer Socket

// expire checks the read timeout and moves it on if bytes arrived since
// it was armed.
func (t *readTimer) expire(*timerNode) {
	s := (*Socket)(t)
	tm := s.tmo // not nil: it owns the node
	if s.conn == nil || tm.rtTicks == 0 || s.rdPaused || s.peerEOF {
		return
	}
	deadline := tm.lastRead + tm.rtTicks + 1
	if deadline > s.r.now {
		s.r.addTimer(&tm.rt, deadline)
		return
	}
	s.timeout("read", fmt.Errorf("no data for %v", tm.rtDur))
}

// writeTimer is a Socket as the owner of its write-timeout timer node.
type writeTimer Socket

// expire checks the write timeout: progress is the kernel taking bytes
// (sentMore) or the peer acknowledging them, for with a slow reader the
// kernel's buffers can take long to drain while the backlog stays the
// same, and that is progress.
func (t *writeTimer) expire(*timerNode) {
	s := (*Socket)(t)
	tm := s.tmo
	c := s.conn
	if c == nil || tm.wtTicks == 0 || s.wrPaused || s.unsent.Load() == 0 {
		return
	}
	if acked, ok := c.Acked(); ok && acked != tm.lastAcked {
		tm.lastAcked = acked
		tm.progress = s.r.now
	}
	deadline := tm.progress + tm.wtTicks + 1
	if deadline > s.r.now {
		s.r.addTimer(&tm.wt, deadline)
		return
	}
	s.timeout("write", errNoWriteProgress(tm.wtDur))
}

// timeout closes the socket with conditions.TCPTimeout.
func (s *Socket) timeout(op string, err error) {
	s.closeWith(conditions.TCPTimeout, op, err)
}
