package core

import (
	"errors"
	"io"
	"os"
	"runtime/debug"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// This file is the reactor's half of a Socket: what happens on the
// goroutine of the reactor that owns the connection. The transport's Conn
// does the rest: it writes what it is handed, pauses, half-closes, closes
// after a flush.

// reactorState holds the Socket fields that only its reactor touches.
type reactorState struct {
	conn       transport.Conn // nil until opened, and again once closed
	handed     uint64         // bytes handed to the Conn
	connUnsent int            // the Conn's Unsent, as of the last look
	sent       uint64         // bytes the kernel took
	marks      *writeMarks    // nil until the socket has a write callback to call
	cond       error          // the condition to deliver when a close this socket started completes
	tmo        *timeouts      // nil until the socket first has a timeout
	hdr        *proxyWait     // non-nil while the PROXY protocol header is awaited (proxy.go)
	inStat     int64          // what s adds to its reactor's BytesBufferedIn
	seenIn     int32          // bytes the transport still held after the last OnTraffic (Counters.BytesRead)
	regIdx     int32          // index in r.socks

	wr           wrPhase // the writing side of the connection
	evDone       bool    // the event callback got its one closing condition
	askedToEnd   bool    // asked to finish by a Shutdown
	refillQueued bool    // a refill waits behind the reactor's other events
	peerEOF      bool    // the peer ended its side and the socket stays open (WithAllowHalfOpen)
	rdPaused     bool    // reading disabled, as applied
	wrPaused     bool    // writing disabled, as applied
}

// writeMarks are the points of the written bytes after which the write
// callback fires: made only for sockets that have one.
type writeMarks struct {
	marked uint64   // written bytes covered by a mark
	at     []uint64 // values of sent after which the write callback fires
}

// wrPhase is where the writing side of a socket's connection is, on its
// reactor. It only moves forward: wrOpen, then wrFinSent (CloseWrite
// applied: the Conn sends FIN), then wrClosing (Close applied: the Conn
// closes once every written byte is handed to it), then wrCloseSent
// (Conn.Close called); a phase may be skipped.
type wrPhase uint8

const (
	wrOpen      wrPhase = iota // writing goes on
	wrFinSent                  // Conn.CloseWrite called
	wrClosing                  // Close asked: Conn.Close once the queue is handed over
	wrCloseSent                // Conn.Close called
)

// socketEvents is a Socket as the transport's ConnHandler.
type socketEvents Socket

// OnOpen adopts c as the socket's connection.
func (e *socketEvents) OnOpen(idx int, c transport.Conn) bool {
	s := (*Socket)(e)
	rs := s.loop.rs()
	if idx < 0 || idx >= len(rs) {
		return false
	}
	r := rs[idx]
	r.enter()
	defer r.exit()
	return s.open(r, c)
}

// OnTraffic delivers the buffered bytes.
func (e *socketEvents) OnTraffic(c transport.Conn) {
	s := (*Socket)(e)
	s.r.enter()
	defer s.r.exit()
	if n := c.InboundBuffered(); n > int(s.seenIn) { // new bytes: those beyond what the last event left
		bump(&s.r.count.bytesRead, uint64(n-int(s.seenIn)))
	}
	s.readable(c)
	if s.conn != nil {
		s.seenIn = int32(c.InboundBuffered()) // at most the transport's read buffer
	}
}

// OnSent accounts for bytes the kernel took, and hands the Conn more.
func (e *socketEvents) OnSent(c transport.Conn) {
	s := (*Socket)(e)
	s.r.enter()
	defer s.r.exit()
	if s.conn == nil {
		return
	}
	s.observe(c)
	if s.conn != nil {
		s.refill(c)
	}
	if s.conn != nil {
		s.endWrites(c)
	}
}

// OnEOF handles the peer's end of file (halfclose.go).
func (e *socketEvents) OnEOF(c transport.Conn) bool {
	s := (*Socket)(e)
	s.r.enter()
	defer s.r.exit()
	return s.peerEnded(c)
}

// OnClose finishes the socket.
func (e *socketEvents) OnClose(c transport.Conn, err error) {
	s := (*Socket)(e)
	r := s.r
	r.enter()
	defer r.exit()
	s.closedBy(c, err)
}

func (s *Socket) open(r *reactor, c transport.Conn) bool {
	s.mu.Lock()
	if s.state >= stClosed || !s.loop.running() {
		s.mu.Unlock()
		return false
	}
	s.r = r
	if n := s.unsent.Load(); n != 0 { // written before connecting: now the reactor's to count
		s.loop.bytesOut.Add(-n)
		r.bytesOut.Add(n)
	}
	s.laddr, s.raddr = c.LocalAddr(), c.RemoteAddr()
	closing := s.state >= stClosing
	if !closing {
		s.setStateLocked(stOpen)
	}
	s.scheduled = true // processed below
	s.mu.Unlock()

	s.conn = c
	r.conns.Add(1)
	r.register(s)
	if !s.incoming {
		s.loop.unpend(s)
	}
	if s.cfg.proxy && s.incoming && !closing {
		s.awaitProxyHeader() // counted, and the connect callback run, once the header is in
	} else {
		r.count.opened(s.incoming)
		if cb := s.cbs.Load().connect; cb != nil && !closing {
			s.callSocket(cb)
		}
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
func (s *Socket) readable(c transport.Conn) {
	s.readArrived()
	if s.isClosed() || !s.loop.running() {
		_, _ = c.Discard(-1)
		return
	}
	if s.hdr != nil && !s.readProxyHeader(c) {
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
		if s.readOffA.Load() || s.isClosed() { // the callback disabled reading, or closed
			s.readable(c)
			return
		}
	}
}

// process carries out what was asked of s since it was last processed:
// flow-control changes, handing written bytes to the Conn, closing.
func (s *Socket) process() {
	s.mu.Lock()
	s.scheduled = false
	var fl flow
	if s.ctl {
		s.ctl = false
		fl = flow{set: true, read: s.readTimeout, write: s.writeTimeout, readOff: s.readOff, writeOff: s.writeOff}
	}
	state := s.state
	if s.failed != nil && s.cond == nil {
		s.cond = s.failed
	}
	if s.cbs.Load().write != nil {
		if s.marks == nil {
			s.marks = new(writeMarks)
		}
		if m := s.marks; s.written > m.marked {
			m.marked = s.written
			m.at = append(m.at, s.written)
		}
	}
	s.mu.Unlock()

	c := s.conn
	if c == nil {
		return
	}
	if state == stAborting {
		_ = c.Abort(true) // the peer gets a reset; OnClose runs before it returns
		return
	}
	if fl.set {
		s.applyFlow(c, fl)
		if s.conn == nil {
			return
		}
	}
	s.refill(c)
	if s.conn == nil {
		return
	}
	if state == stClosing && s.wr < wrClosing {
		s.wr = wrClosing
	}
	s.endWrites(c)
}

// maxRefills bounds the rounds of one refill, so that one socket's bulk
// write does not hold its reactor for long; OnSent hands the rest.
const maxRefills = 4

// refill hands queued bytes to the Conn while it holds fewer than the hand
// limit: round after round while the kernel takes all of each (a fast
// peer), stopping once the Conn keeps some (the kernel is full: the Conn
// writes the rest when it can, and OnSent comes for more). After
// maxRefills rounds it lets the reactor serve its other connections and
// goes on after them. Reactor only.
func (s *Socket) refill(c transport.Conn) {
	for round := 0; ; round++ {
		if round == maxRefills {
			s.refillLater()
			break
		}
		room := min(c.Room(), s.cfg.handLimit-c.Unsent())
		take := s.takeOut(room)
		if len(take) == 0 {
			break
		}
		n := 0
		for _, b := range take {
			n += b.Len()
		}
		c.Write(take) // the Conn owns the blocks now; an error closes it (OnClose) before Write returns
		s.r.unscratch(take)
		if s.conn == nil {
			return
		}
		s.handed += uint64(n)
		s.connUnsent += n
		s.observe(c)
		if s.conn == nil || c.Unsent() > 0 {
			break
		}
	}
	if s.conn != nil {
		s.watchWrites()
	}
}

// refillLater runs refill again after the events the reactor has waiting,
// once. Reactor only.
func (s *Socket) refillLater() {
	if s.refillQueued {
		return
	}
	s.refillQueued = true
	r := s.r
	if err := r.tr.Execute(func() {
		r.enter()
		defer r.exit()
		s.refillQueued = false
		if c := s.conn; c != nil {
			s.refill(c)
			if s.conn != nil {
				s.endWrites(c)
			}
		}
	}); err != nil {
		s.refillQueued = false
	}
}

// takeOut takes queued blocks, up to about max bytes, if writing may go
// on. Reactor only; the blocks are the caller's.
func (s *Socket) takeOut(max int) []*buf.Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	if max <= 0 || s.state == stAborting || s.writeOff && s.state != stClosing || s.out.Len() == 0 {
		return nil
	}
	return s.out.Take(s.r.scratch(), max)
}

// observe counts the bytes the Conn no longer holds as taken by the
// kernel. Reactor only.
func (s *Socket) observe(c transport.Conn) {
	if u := c.Unsent(); u < s.connUnsent {
		d := s.connUnsent - u
		s.connUnsent = u
		s.sentMore(d)
	}
}

// sentMore records that the kernel took n more bytes: the write callbacks
// that are due run, congestion may end. Reactor only.
func (s *Socket) sentMore(n int) {
	s.sent += uint64(n)
	bump(&s.r.count.bytesWritten, uint64(n))
	s.unsent.Add(-int64(n))
	s.r.bytesOut.Add(-int64(n))
	s.writeProgressed()
	due := 0
	if m := s.marks; m != nil {
		for due < len(m.at) && m.at[due] <= s.sent {
			due++
		}
		m.at = compact(m.at, due)
	}
	for ; due > 0 && s.conn != nil; due-- {
		if cb := s.cbs.Load().write; cb != nil {
			s.callSocket(cb)
		}
	}
	if s.conn != nil && s.congestedA.Load() {
		s.checkDrain()
	}
}

// endWrites closes the Conn, or its writing side, once every written byte
// has been handed to it: the Conn finishes the rest. Reactor only.
func (s *Socket) endWrites(c transport.Conn) {
	switch {
	case s.wr == wrCloseSent:
		return
	case s.wr < wrClosing && (s.wr == wrFinSent || !s.writeShut()):
		return // nothing asked, or FIN sent already
	}
	if queued, _ := s.queued(); queued > 0 {
		return
	}
	if s.wr == wrClosing {
		s.wr = wrCloseSent
		_ = c.Close()
		return
	}
	s.wr = wrFinSent
	if err := c.CloseWrite(); err != nil {
		s.closeWith(conditions.TCPError, "closewrite", err)
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
// they may be handed over now. Reactor only.
func (s *Socket) queued() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Len(), !s.writeOff || s.state == stClosing
}

// closedBy finishes s after the Conn closed.
func (s *Socket) closedBy(c transport.Conn, err error) {
	if s.hdr != nil {
		s.dropProxyWait() // closed before its header: the application never had it (a second call does no harm)
	}
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
	s.stopTimeouts()
	s.endReading(nil, readDone(nil, ev, s)) // if not recorded yet
	s.reportIn(0)
	s.r.conns.Add(-1)
	s.r.unregister(s)

	user := s.markClosed()
	if s.cond != nil {
		ev = s.cond
	}
	if s.hdr == nil { // else never the application's, never counted
		s.r.count.closedAs(s.incoming, causeOf(user, ev))
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
