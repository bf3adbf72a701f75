package core

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/valyala/bytebufferpool"

	"github.com/asyncnet/asyncnet/conditions"
)

// This file is the reactor's half of a Socket: what happens on the
// goroutine of the reactor that owns the connection.

// reactorState holds the Socket fields that only its reactor touches.
type reactorState struct {
	conn        Conn                         // nil until opened, and again once closed
	closing     bool                         // a graceful close has started: close once the kernel has everything
	handed      uint64                       // bytes given to conn.Write so far
	retained    []*bytebufferpool.ByteBuffer // the last chunks handed over; they cover what conn still buffers
	retainedLen int
	marks       []uint64 // values of handed after which the write callback fires
	watched     bool     // in r.watch
	cond        error    // the condition to deliver when a close this socket started completes
	evDone      bool     // the event callback got its one condition

	// Flow control, as last applied from the fields under mu.
	rdPaused bool      // reading disabled: bytes stay in the transport's buffer
	wrPaused bool      // writing disabled: bytes stay in pending
	tmo      *timeouts // nil until the socket first has a timeout
	lastOut  int       // the backlog at the last look
	heldOut  int       // bytes kept in pending while writing is disabled
	inStat   int64     // what s adds to its reactor's BytesBufferedIn
	outStat  int64     // and to BytesBufferedOut

	// Parking (see park.go).
	park       *parking // non-nil while the descriptor is out of the transport
	keptIn     bool     // inbuf may hold bytes to deliver before the transport's
	wantPark   bool     // park once the transport holds no written bytes
	parkingNow bool     // the transport's close under way is a park, not a close
}

// timeouts is the reactor's state of a socket's read and write timeouts.
// Most sockets never have one, so it is allocated when one is first set.
type timeouts struct {
	rt        timerNode // the read timeout
	rtDur     time.Duration
	rtTicks   int64 // read timeout in ticks; 0 means none
	lastRead  int64 // tick when bytes last arrived
	wtDur     time.Duration
	wtTicks   int64  // write timeout in ticks; 0 means none
	progress  int64  // tick when the backlog last shrank (or began), or the peer acknowledged bytes
	lastAcked uint64 // bytes the peer had acknowledged at the last look
}

// readTicks returns the read timeout in ticks; 0 means none.
func (s *Socket) readTicks() int64 {
	if s.tmo == nil {
		return 0
	}
	return s.tmo.rtTicks
}

// writeTicks returns the write timeout in ticks; 0 means none.
func (s *Socket) writeTicks() int64 {
	if s.tmo == nil {
		return 0
	}
	return s.tmo.wtTicks
}

// timeoutsFor returns s's timeout state, allocating it if s gets a
// timeout now (read or write > 0); nil if it has none and gets none.
func (s *Socket) timeoutsFor(read, write time.Duration) *timeouts {
	if s.tmo == nil && (read > 0 || write > 0) {
		s.tmo = &timeouts{}
		s.tmo.rt.owner = (*readTimer)(s)
	}
	return s.tmo
}

// socketEvents is a Socket as the transport's ConnHandler.
type socketEvents Socket

// OnOpen adopts c as the socket's connection.
func (e *socketEvents) OnOpen(idx int, c Conn) bool {
	s := (*Socket)(e)
	rs := s.loop.rs()
	if idx < 0 || idx >= len(rs) {
		return false
	}
	r := rs[idx]
	r.enter()
	ok := s.open(r, c)
	r.exit()
	return ok
}

// OnTraffic delivers the buffered bytes.
func (e *socketEvents) OnTraffic(c Conn) {
	s := (*Socket)(e)
	s.r.enter()
	s.readable(c)
	s.r.exit()
}

// OnClose finishes the socket.
func (e *socketEvents) OnClose(c Conn, err error) {
	s := (*Socket)(e)
	r := s.r
	r.enter()
	s.closedBy(c, err)
	r.exit()
}

func (s *Socket) open(r *reactor, c Conn) bool {
	if s.park != nil {
		return s.loop.running() && s.reopen(c)
	}
	s.mu.Lock()
	if s.state == stClosed || !s.loop.running() {
		s.mu.Unlock()
		return false
	}
	s.r = r
	s.opened = true
	s.laddr, s.raddr = c.LocalAddr(), c.RemoteAddr()
	closing := s.state == stClosing
	if !closing {
		s.state = stOpen
	}
	s.scheduled = true // processed below
	// A connection the transport accepted itself (Acceptor) has no
	// baseline yet.
	if !s.kbaseOK {
		n, err := kernelAccepted(c.Fd())
		s.kbase, s.kbaseOK = n, err == nil
	}
	s.mu.Unlock()

	s.conn = c
	r.conns.Add(1)
	s.loop.stats.connected(s.incoming)
	if cb := s.cbs.Load().connect; cb != nil && !closing {
		s.callSocket(cb)
	}
	s.process() // what was written before (and in the connect callback)
	return true
}

// readable hands the buffered bytes to the read callback, MaxReadChunk at a
// time, until none are left or the socket closes. While reading is
// disabled, or the socket does not drain, the bytes are kept (see Read),
// within the bound of WithMaxReadBuffer.
func (s *Socket) readable(c Conn) {
	if s.readTicks() > 0 {
		s.tmo.lastRead = s.loop.tickNow() // the reactor's r.now may be old: it ticks only when due
	}
	if s.closed.Load() || !s.loop.running() {
		_, _ = c.Discard(-1)
		s.reportIn(0)
		return
	}
	cb := s.cbs.Load().read
	if s.dontDrain || s.rdPaused {
		if s.copyInNow() {
			s.keep(c)
		}
		n := s.kept(c)
		if n > s.cfg.maxRead {
			s.overflow(c, n)
			return
		}
		s.reportIn(n)
		if !s.rdPaused {
			s.callRead(cb, nil) // a notification: the bytes are read with Read
			if s.conn != nil {
				s.reportIn(s.kept(c))
			}
		}
		return
	}
	for {
		if s.keptIn { // bytes kept during a pause come first
			if chunk := s.takeKept(MaxReadChunk); chunk != nil {
				s.callRead(cb, chunk)
				if s.conn == nil {
					return
				}
				continue
			}
			s.keptIn = false
		}
		n := c.InboundBuffered()
		if n == 0 {
			s.reportIn(0)
			return
		}
		n = min(n, MaxReadChunk)
		data, err := c.Peek(n)
		if err != nil {
			return
		}
		s.callRead(cb, data)
		if s.conn == nil {
			return
		}
		_, _ = c.Discard(n)
		if s.rdPaused || s.closed.Load() { // the callback disabled reading, or closed
			s.readable(c)
			return
		}
	}
}

// takeKept takes up to n kept bytes out of inbuf, or returns nil. Reactor
// only (the slice stays valid: inbuf only grows past it).
func (s *Socket) takeKept(n int) []byte {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if len(s.inbuf) == 0 {
		return nil
	}
	k := min(n, len(s.inbuf))
	chunk := s.inbuf[:k:k]
	s.consumeInbufLocked(k)
	return chunk
}

func (s *Socket) copyInNow() bool {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.copyIn
}

// process carries out what was asked of s since it was last processed:
// flow-control changes, flushing written bytes, closing.
func (s *Socket) process() {
	s.mu.Lock()
	s.scheduled = false
	var fl flow
	if s.ctl {
		s.ctl = false
		fl = flow{set: true, read: s.readTimeout, write: s.writeTimeout, readOff: s.readOff, writeOff: s.writeOff}
	}
	state, forced := s.state, s.forced
	var buf *bytebufferpool.ByteBuffer
	held := 0
	if s.writeOff && state != stClosing {
		if s.pending != nil {
			held = len(s.pending.B) // kept until writing is enabled
		}
	} else {
		buf = s.pending
		s.pending = nil
	}
	s.mu.Unlock()

	if s.park != nil {
		var b []byte
		if buf != nil {
			b = buf.B
		}
		s.heldOut = held
		s.processParked(b, state, forced, fl)
		if buf != nil {
			bufPool.Put(buf)
		}
		return
	}
	c := s.conn
	if c == nil {
		if buf != nil {
			bufPool.Put(buf)
		}
		return
	}
	if forced {
		if buf != nil {
			bufPool.Put(buf)
		}
		_ = c.SetLinger(0) // the close resets the connection: unsent bytes are dropped
		_ = s.r.tr.Close(c)
		return
	}
	s.heldOut = held
	if fl.set {
		s.applyFlow(c, fl)
		if s.conn == nil {
			if buf != nil {
				bufPool.Put(buf)
			}
			return
		}
	}
	if buf != nil {
		s.flush(c, buf)
		if s.conn == nil {
			return // the write failed and closed the connection
		}
	} else {
		s.settle(c)
	}
	if state == stClosing && !s.closing {
		s.closing = true
		if s.settle(c) == 0 {
			_ = s.r.tr.Close(c)
		}
		return
	}
	if s.wantPark {
		s.tryPark(c)
	}
}

// flush hands buf to the connection.
func (s *Socket) flush(c Conn, buf *bytebufferpool.ByteBuffer) {
	n := len(buf.B)
	_, _ = c.Write(buf.B) // on error the transport has closed c and called OnClose
	if s.conn == nil {
		bufPool.Put(buf)
		return
	}
	s.handed += uint64(n)
	if s.cbs.Load().write != nil {
		s.marks = append(s.marks, s.handed)
	}
	if len(s.retained) == 0 && c.OutboundBuffered() == 0 {
		bufPool.Put(buf) // all in the kernel: the common case
	} else {
		// Keep buf while the connection may still hold some of it: if the
		// peer ends its side first, those bytes are finished from here.
		s.retained = append(s.retained, buf)
		s.retainedLen += n
	}
	s.settle(c)
}

// settle brings the write bookkeeping in line with what c still buffers:
// it frees the chunks the kernel has taken, fires the write callbacks that
// are due, tracks progress and congestion, and watches s while a backlog
// remains. It returns the backlog.
func (s *Socket) settle(c Conn) int {
	out := c.OutboundBuffered()
	done := 0
	for done < len(s.retained) && s.retainedLen-len(s.retained[done].B) >= out {
		s.retainedLen -= len(s.retained[done].B)
		bufPool.Put(s.retained[done])
		done++
	}
	s.retained = compact(s.retained, done)
	if len(s.marks) > 0 {
		sent := s.handed - uint64(out)
		due := 0
		for due < len(s.marks) && s.marks[due] <= sent {
			due++
		}
		s.marks = compact(s.marks, due)
		for ; due > 0 && s.conn != nil; due-- {
			if cb := s.cbs.Load().write; cb != nil {
				s.callSocket(cb)
			}
		}
	}
	if s.conn == nil {
		return 0
	}
	if s.writeTicks() > 0 && (out < s.lastOut || out > 0 && s.lastOut == 0) {
		s.tmo.progress = s.loop.tickNow() // a backlog begins, or shrinks
	}
	s.lastOut = out
	s.backlog.Store(int64(out))
	s.reportOut(out + s.heldOut)
	if s.congestedA.Load() {
		s.checkDrain(out)
	}
	if out > 0 && s.conn != nil {
		s.r.addWatch(s)
	}
	return out
}

// compact drops the first n elements of xs, keeping its storage.
func compact[T any](xs []T, n int) []T {
	if n == 0 {
		return xs
	}
	m := copy(xs, xs[n:])
	clear(xs[m:])
	return xs[:m]
}

// poll is called on each tick while s is watched; it reports whether s
// still needs watching.
func (s *Socket) poll() bool {
	if s.park != nil {
		return s.pollParked()
	}
	c := s.conn
	if c == nil {
		return false
	}
	out := s.settle(c)
	if s.conn == nil {
		return false
	}
	if out > 0 {
		if s.writeTicks() > 0 && !s.wrPaused && s.stalled(c.Fd()) {
			s.timeout("write", errNoWriteProgress(s.tmo.wtDur))
			return false
		}
		return true
	}
	if s.closing {
		_ = s.r.tr.Close(c)
		return false
	}
	if s.wantPark {
		s.tryPark(c)
	}
	return false
}

// stalled reports whether the write timeout (which s has) has run out: no
// progress for its length. Progress is the transport's backlog shrinking (see settle) or
// the peer acknowledging bytes: with a slow reader the kernel's buffers can
// take long to drain while the backlog stays the same, and that is progress.
func (s *Socket) stalled(fd int) bool {
	t := s.tmo
	if acked, ok := ackedBytes(fd); ok && acked != t.lastAcked {
		t.lastAcked = acked
		t.progress = s.r.now // stalled runs in a tick: r.now is current
	}
	return s.r.now-t.progress > t.wtTicks
}

// closedBy finishes s after the transport closed its connection.
func (s *Socket) closedBy(c Conn, err error) {
	if s.parkingNow {
		s.conn = nil // the socket lives on, parked
		return
	}
	if s.retainedLen > 0 && errors.Is(err, io.EOF) && s.loop.running() {
		s.takeOver(c) // the peer ended its side with bytes of ours unsent
	}
	for _, b := range s.retained {
		bufPool.Put(b)
	}
	s.retained, s.retainedLen, s.marks = nil, 0, nil
	var ev error
	switch {
	case err != nil:
		ev = s.conditionFor(opOf(err), err)
	case s.loop.state.Load() == loopStopping: // the application's engine closed it
		ev = s.condition(conditions.SocketClosed, "close", errTransportStopped)
	}
	s.endReading(c, readDone(err, ev, s))
	s.conn = nil
	s.finishClose(ev)
}

// readDone is what Read returns once the kept bytes are read: io.EOF after
// the peer's end of file, else the condition that closed the socket.
func readDone(err, ev error, s *Socket) error {
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case s.cond != nil:
		return s.cond
	case ev != nil:
		return ev
	}
	return s.condition(conditions.SocketClosed, "read", nil)
}

// finishClose ends a socket whose connection is gone: its event callback
// gets s.cond, or else ev, unless the application closed it. Reactor only.
func (s *Socket) finishClose(ev error) {
	if s.tmo != nil {
		s.r.wheel.remove(&s.tmo.rt)
	}
	s.endReading(nil, readDone(nil, ev, s)) // if not recorded yet
	s.reportIn(0)
	s.reportOut(0)
	s.backlog.Store(0)
	s.r.conns.Add(-1)
	s.loop.stats.disconnected(s.incoming)

	user := s.markClosed()
	if s.cond != nil {
		ev = s.cond
	}
	if ev != nil && !user && s.loop.delivering() {
		s.callEvent(ev)
	}
	s.finish()
}

// errTransportStopped is the cause of the SocketClosed event of a socket
// closed because its transport stopped (an application's gnet engine).
var errTransportStopped = errors.New("the event loop stopped")

// opOf returns the operation a transport error came from.
func opOf(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) && se.Syscall != "" {
		if se.Syscall == "writev" {
			return "write"
		}
		return se.Syscall
	}
	return "read"
}

// conditionFor returns err as a condition of s: an *conditions.Error gets s
// as its socket, any other error is classified.
func (s *Socket) conditionFor(op string, err error) error {
	s.mu.Lock()
	peer := s.peerLocked()
	s.mu.Unlock()
	ce := *conditions.Classify(op, peer, err) // a copy: the error may be shared
	ce.Socket = s
	if ce.Addr == "" {
		ce.Addr = peer
	}
	return &ce
}

// callEvent delivers ev, the socket's one closing condition.
func (s *Socket) callEvent(ev error) {
	if s.evDone {
		return
	}
	s.evDone = true
	if cb := s.cbs.Load().event; cb != nil {
		s.loop.callEvent(s, cb, ev)
	}
}

// appError delivers a recovered panic of one of s's other callbacks to its
// event callback; the socket stays open (WithCatchAppErrors).
func (s *Socket) appError(perr *PanicError) {
	cb := s.cbs.Load().event
	if cb == nil {
		s.loop.log.Error("asyncnet: callback panicked", "panic", perr.Value, "stack", string(perr.Stack))
		return
	}
	s.loop.callEvent(s, cb, s.condition(conditions.EventError, "callback", perr))
}

// callEvent runs an event callback; a panic in it is logged (with
// WithCatchAppErrors) or stops the Loop, never delivered again.
func (l *Loop) callEvent(s *Socket, cb EventFunc, ev error) {
	returned := false
	defer func() {
		v := recover()
		switch {
		case v == nil && !returned:
			l.fail(ErrGoexit)
		case v == nil:
		case l.set.catchApp:
			l.log.Error("asyncnet: event callback panicked", "panic", v, "stack", string(debug.Stack()))
		default:
			l.fail(&PanicError{Value: v, Stack: debug.Stack()})
		}
	}()
	cb(s, ev)
	returned = true
}

func (s *Socket) callRead(cb ReadFunc, data []byte) {
	returned := false
	if s.dontDrain {
		s.openWindow()
		defer s.closeWindow()
	}
	defer s.loop.recoverCallback(s, &returned)
	cb(s, data)
	returned = true
}

// callSocket runs a connect, write or drain callback (all func(*Socket))
// the way callRead runs a read callback.
func (s *Socket) callSocket(cb func(*Socket)) {
	returned := false
	if s.dontDrain {
		s.openWindow()
		defer s.closeWindow()
	}
	defer s.loop.recoverCallback(s, &returned)
	cb(s)
	returned = true
}
