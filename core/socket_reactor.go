package core

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// This file is the reactor's half of a Socket: what happens on the
// goroutine of the reactor that owns the connection.

// reactorState holds the Socket fields that only its reactor touches.
type reactorState struct {
	conn     Conn         // nil until opened, and again once closed
	closing  bool         // a graceful close has started: close once the kernel has everything
	inflight buf.Queue    // bytes handed to the transport (or to a parked descriptor) that the kernel may not have yet
	handed   uint64       // bytes handed to the transport since it got the descriptor (for takeOver)
	marked   uint64       // written bytes covered by a write-callback mark
	marks    []uint64     // values of sent after which the write callback fires
	sent     uint64       // bytes the kernel has taken (of those written)
	spare    []*buf.Block // scratch for process
	iov      [][]byte     // scratch for writev
	watched  bool         // in r.watch
	cond     error        // the condition to deliver when a close this socket started completes
	evDone   bool         // the event callback got its one condition
	regIdx   int          // index in r.socks
	shutSent bool         // asked to finish by a Shutdown
	wrDone   bool         // FIN sent (CloseWrite)
	peerEOF  bool         // the peer ended its side (a half-open socket)

	// Flow control, as last applied from the fields under mu.
	rdPaused bool      // reading disabled: bytes are kept
	wrPaused bool      // writing disabled: bytes stay in out
	tmo      *timeouts // nil until the socket first has a timeout
	inStat   int64     // what s adds to its reactor's BytesBufferedIn

	// Parking (see park.go).
	park       *parking // non-nil while the descriptor is out of the transport
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
	if n := s.unsent.Load(); n != 0 { // written before connecting: now the reactor's to count
		s.loop.bytesOut.Add(-n)
		r.bytesOut.Add(n)
	}
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
	r.register(s)
	if !s.incoming {
		s.loop.unpend(s)
	}
	s.loop.stats.connected(s.incoming)
	if cb := s.cbs.Load().connect; cb != nil && !closing {
		s.callSocket(cb)
	}
	if s.cfg.shutting.Load() || s.loop.shutting.Load() {
		s.finishUp() // opened while a Shutdown was under way
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
		return
	}
	cb := s.cbs.Load().read
	if s.dontDrain || s.readOffA.Load() {
		if !s.readOffA.Load() {
			s.callRead(cb, nil) // a notification: the bytes are read with Read; closing its window keeps the rest
			if s.conn == nil {
				return
			}
		}
		n := s.keep(c)
		s.reportIn(n)
		if n > s.cfg.maxRead {
			s.overflow(n)
		}
		return
	}
	for {
		if b := s.takeKept(); b != nil { // bytes kept during a pause come first
			s.callRead(cb, b.Bytes())
			buf.Put(b)
			s.reportIn(s.Buffered())
		} else {
			n := c.InboundBuffered()
			if n == 0 {
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
		}
		if s.conn == nil {
			return
		}
		if s.readOffA.Load() || s.closed.Load() { // the callback disabled reading, or closed
			s.readable(c)
			return
		}
	}
}

// process carries out what was asked of s since it was last processed:
// flow-control changes, handing written bytes to the transport, closing.
func (s *Socket) process() {
	s.mu.Lock()
	s.scheduled = false
	var fl flow
	if s.ctl {
		s.ctl = false
		fl = flow{set: true, read: s.readTimeout, write: s.writeTimeout, readOff: s.readOff, writeOff: s.writeOff}
	}
	state, forced := s.state, s.forced
	if s.failed != nil && s.cond == nil {
		s.cond = s.failed
	}
	if s.written > s.marked && s.cbs.Load().write != nil {
		s.marked = s.written
		s.marks = append(s.marks, s.written)
	}
	s.mu.Unlock()

	if s.park != nil {
		s.processParked(state, forced, fl)
		return
	}
	c := s.conn
	if c == nil {
		return
	}
	if forced {
		_ = c.SetLinger(0) // the close resets the connection: unsent bytes are dropped
		_ = s.r.tr.Close(c)
		return
	}
	if fl.set {
		s.applyFlow(c, fl)
		if s.conn == nil {
			return
		}
	}
	if s.refill(c) == 0 {
		s.settle(c)
	}
	if s.conn == nil {
		return // a write failed and closed the connection
	}
	if state == stClosing {
		s.closing = true
	}
	if s.closing {
		s.closeWhenSent(c)
		return
	}
	if s.shutWriteWhenSent(c.Fd()) {
		return
	}
	if s.wantPark {
		s.tryPark(c)
	}
}

// maxRefills bounds the rounds of one refill, so that one socket's bulk
// write does not hold its reactor for long; the ticks go on with the rest.
const maxRefills = 4

// refill hands queued bytes to the transport while it holds fewer than the
// hand limit: round after round while the kernel takes all of each (a fast
// peer), stopping once the transport keeps some (the kernel is full: the
// transport writes the rest when it can, and the ticks hand it more). It
// returns how many rounds it made. Reactor only.
func (s *Socket) refill(c Conn) int {
	rounds := 0
	for rounds < maxRefills && s.conn != nil {
		take := s.takeOut()
		if len(take) == 0 {
			break
		}
		s.send(c, take)
		rounds++
		if s.conn == nil || c.OutboundBuffered() > 0 {
			break
		}
	}
	return rounds
}

// takeOut takes queued blocks out of the queue, as many as the transport
// has room for under the hand limit, if writing may go on. Reactor only;
// the blocks are the caller's until it pushes them in flight.
func (s *Socket) takeOut() []*buf.Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forced || s.writeOff && s.state != stClosing {
		return nil
	}
	room := s.cfg.handLimit - s.inflight.Len()
	if room <= 0 || s.out.Len() == 0 {
		return nil
	}
	take := s.out.Take(s.spare[:0], room)
	s.spare = take[:0]
	return take
}

// send hands bs, taken from the queue, to the transport (which writes what
// the kernel takes and keeps the rest), then settles. Reactor only.
func (s *Socket) send(c Conn, bs []*buf.Block) {
	s.iov = buf.Views(s.iov[:0], bs)
	n := s.inflight.Push(bs)
	clear(bs)
	_, _ = c.Writev(s.iov) // on error the transport has closed c and called OnClose
	clear(s.iov)
	if s.conn == nil {
		return
	}
	s.handed += uint64(n)
	s.settle(c)
}

// settle brings the write bookkeeping in line with what the transport
// still holds: the bytes it no longer holds are in the kernel. It fires the
// write callbacks that are due, tracks progress and congestion, asks for
// more bytes while the transport has room, and watches s while anything is
// unsent. It returns the transport's backlog. Reactor only.
func (s *Socket) settle(c Conn) int {
	out := c.OutboundBuffered()
	if d := s.inflight.Len() - out; d > 0 {
		s.sentMore(d)
		if s.conn == nil {
			return 0
		}
	}
	if s.congestedA.Load() {
		s.checkDrain()
		if s.conn == nil {
			return 0
		}
	}
	if s.unsent.Load() > 0 {
		s.r.addWatch(s)
	}
	return out
}

// sentMore records that the kernel took n more of the bytes in flight.
// Reactor only.
func (s *Socket) sentMore(n int) {
	s.inflight.Discard(n)
	s.sent += uint64(n)
	s.r.progressed = true
	s.unsent.Add(-int64(n))
	s.r.bytesOut.Add(-int64(n))
	if s.writeTicks() > 0 {
		s.tmo.progress = s.loop.tickNow()
	}
	due := 0
	for due < len(s.marks) && s.marks[due] <= s.sent {
		due++
	}
	if due == 0 {
		return
	}
	s.marks = compact(s.marks, due)
	for ; due > 0 && s.conn != nil; due-- {
		if cb := s.cbs.Load().write; cb != nil {
			s.callSocket(cb)
		}
	}
}

// closeWhenSent finishes a graceful close once every written byte is in
// the kernel: then the transport's close sends FIN. Reactor only.
func (s *Socket) closeWhenSent(c Conn) {
	if s.unsent.Load() == 0 && c.OutboundBuffered() == 0 {
		_ = s.r.tr.Close(c)
	}
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

// queued returns how many written bytes wait in the queue, and whether
// they may be sent now. Reactor only.
func (s *Socket) queued() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Len(), !s.writeOff || s.state == stClosing
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
	backlog := s.settle(c)
	if s.conn == nil {
		return false
	}
	queued, canSend := s.queued()
	if backlog > 0 || queued > 0 && canSend {
		if s.writeTicks() > 0 && !s.wrPaused && s.stalled(c.Fd()) {
			s.timeout("write", errNoWriteProgress(s.tmo.wtDur))
			return false
		}
		if queued > 0 && canSend {
			s.refill(c) // the transport may have room: hand it more
			if s.conn == nil {
				return false
			}
		}
		return true
	}
	if s.closing {
		s.closeWhenSent(c)
		return false
	}
	if s.shutWriteWhenSent(c.Fd()) {
		return false
	}
	if s.wantPark {
		s.tryPark(c)
	}
	return false
}

// stalled reports whether the write timeout (which s has) has run out: no
// progress for its length. Progress is the kernel taking bytes (see
// sentMore) or the peer acknowledging them: with a slow reader the kernel's
// buffers can take long to drain while the transport's backlog stays the
// same, and that is progress.
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
	if errors.Is(err, io.EOF) && s.loop.running() {
		if s.cfg.halfOpen && !s.wrDone && !s.closed.Load() && s.keepHalfOpen(c) {
			return // open for writing on its own descriptor
		}
		if s.unsent.Load() > 0 {
			s.takeOver(c) // the peer ended its side with bytes of ours unsent
		}
	}
	s.inflight.Reset()
	s.marks = nil
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
	s.inflight.Reset()
	s.r.conns.Add(-1)
	s.r.unregister(s)
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
	s.loop.deliver(s, s.cbs.Load().event, ev)
}

// appError delivers a recovered panic of one of s's other callbacks to its
// event callback; the socket stays open (WithCatchAppErrors).
func (s *Socket) appError(perr *PanicError) {
	cb := s.cbs.Load().event
	if cb == nil && s.loop.set.defaultEvent == nil {
		s.loop.log.Error("asyncnet: callback panicked", "panic", perr.Value, "stack", string(perr.Stack))
		return
	}
	s.loop.deliver(s, cb, s.condition(conditions.EventError, "callback", perr))
}

// deliver runs cb, the event callback of s (nil for a server's accept
// error), with ev; without one, the Loop's default event handler gets it,
// and without that, the Loop's logger, unless it is an end of file.
func (l *Loop) deliver(s *Socket, cb EventFunc, ev error) {
	switch {
	case cb != nil:
		l.callEvent(s, cb, ev)
	case l.set.defaultEvent != nil:
		l.callEvent(s, l.set.defaultEvent, ev)
	case !errors.Is(ev, conditions.TCPEOF):
		l.log.Warn("asyncnet: socket event with no event callback (set core.OnEvent or core.WithDefaultEventHandler)", "event", ev)
	}
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
