package core

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"

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
}

// socketEvents is a Socket as the transport's ConnHandler.
type socketEvents Socket

// OnOpen adopts c as the socket's connection.
func (e *socketEvents) OnOpen(idx int, c Conn) bool {
	s := (*Socket)(e)
	if idx < 0 || idx >= len(s.loop.reactors) {
		return false
	}
	r := s.loop.reactors[idx]
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
	s.mu.Lock()
	if s.state == stClosed || !s.loop.running() {
		s.mu.Unlock()
		return false
	}
	s.r = r
	s.opened = true
	s.laddr, s.raddr = c.LocalAddr(), c.RemoteAddr()
	if s.raddr != nil {
		s.peer = s.raddr.String()
	}
	closing := s.state == stClosing
	if !closing {
		s.state = stOpen
	}
	s.scheduled = true // processed below
	s.mu.Unlock()

	s.conn = c
	r.conns.Add(1)
	s.loop.stats.connected(s.incoming)
	if cb := s.cbs.Load().connect; cb != nil && !closing {
		s.callConnect(cb)
	}
	s.process() // what was written before (and in the connect callback)
	return true
}

// readable hands the buffered bytes to the read callback, MaxReadChunk at a
// time, until none are left or the socket closes.
func (s *Socket) readable(c Conn) {
	for {
		n := c.InboundBuffered()
		if n == 0 {
			return
		}
		if s.closed.Load() || !s.loop.running() {
			_, _ = c.Discard(n)
			return
		}
		cb := s.cbs.Load().read
		if s.dontDrain {
			s.callRead(cb, nil) // a notification: a stream reads the bytes
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
}

// process carries out what was asked of s since it was last processed:
// flushing written bytes, closing.
func (s *Socket) process() {
	s.mu.Lock()
	s.scheduled = false
	buf := s.pending
	s.pending = nil
	state, forced := s.state, s.forced
	s.mu.Unlock()

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
	if buf != nil {
		s.flush(c, buf)
		if s.conn == nil {
			return // the write failed and closed the connection
		}
	}
	if state == stClosing && !s.closing {
		s.closing = true
		if s.settle(c) == 0 {
			_ = s.r.tr.Close(c)
		}
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
// are due, and watches s while a backlog remains. It returns the backlog.
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
				s.callWrite(cb)
			}
		}
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
	c := s.conn
	if c == nil {
		return false
	}
	out := s.settle(c)
	if s.conn == nil {
		return false
	}
	if out > 0 {
		return true
	}
	if s.closing {
		_ = s.r.tr.Close(c)
	}
	return false
}

// closedBy finishes s after the transport closed its connection.
func (s *Socket) closedBy(c Conn, err error) {
	if s.retainedLen > 0 && errors.Is(err, io.EOF) && s.loop.running() {
		s.takeOver(c) // the peer ended its side with bytes of ours unsent
	}
	for _, b := range s.retained {
		bufPool.Put(b)
	}
	s.retained, s.retainedLen, s.marks = nil, 0, nil
	s.conn = nil
	s.r.conns.Add(-1)
	s.loop.stats.disconnected(s.incoming)

	user := s.markClosed()
	ev := s.cond
	if ev == nil && err != nil {
		ev = s.conditionFor(opOf(err), err)
	}
	if ev != nil && !user && s.loop.running() {
		s.callEvent(ev)
	}
	s.finish()
}

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
	peer := s.peer
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
	defer s.loop.recoverCallback(s, &returned)
	cb(s, data)
	returned = true
}

func (s *Socket) callConnect(cb ConnectFunc) {
	returned := false
	defer s.loop.recoverCallback(s, &returned)
	cb(s)
	returned = true
}

func (s *Socket) callWrite(cb WriteFunc) {
	returned := false
	defer s.loop.recoverCallback(s, &returned)
	cb(s)
	returned = true
}

// takeOver keeps the connection alive past the transport's close so that
// the bytes it did not send are delivered: gnet closes the descriptor when
// the peer ends its side, after one try to flush. It runs in OnClose, while
// the descriptor is still open.
func (s *Socket) takeOver(c Conn) {
	s.mu.Lock()
	base, ok := s.kbase, s.kbaseOK
	s.mu.Unlock()
	if !ok {
		s.loop.log.Warn("asyncnet: peer closed with bytes unsent; this platform cannot finish them", "peer", s.peer, "bytes", c.OutboundBuffered())
		return
	}
	fd, err := c.Dup()
	if err != nil {
		s.loop.log.Warn("asyncnet: cannot keep the connection to finish unsent bytes", "err", err)
		return
	}
	tail := &tailFlush{s: s, fd: fd, base: base, handed: s.handed, chunks: s.retained, closed: make(chan bool, 1)}
	s.retained, s.retainedLen = nil, 0
	l := s.loop
	l.hold()
	l.bg.Add(1)
	go tail.run()
	// The transport's last flush and close happen when this event returns;
	// only then is the kernel's count final.
	if err := s.r.tr.Execute(func() { tail.closed <- true }); err != nil {
		tail.closed <- false
	}
}

// tailFlush writes what the transport left unsent, from its own goroutine.
type tailFlush struct {
	s      *Socket
	fd     int
	base   uint64 // kernel count when the transport got the socket
	handed uint64 // bytes handed to the transport
	chunks []*bytebufferpool.ByteBuffer
	nc     net.Conn
	closed chan bool // true once the transport has closed its descriptor; false if it stopped first
}

func (t *tailFlush) run() {
	defer t.drop()
	select {
	case ok := <-t.closed:
		if !ok {
			return
		}
	case <-t.s.loop.ctx.Done(): // Exit drops what is unsent
		return
	}
	accepted, err := kernelAccepted(t.fd)
	if err != nil {
		t.s.loop.log.Warn("asyncnet: cannot count the bytes the kernel took; unsent bytes dropped", "err", err)
		return
	}
	sent := accepted - t.base
	if sent >= t.handed {
		return
	}
	unsent := t.handed - sent
	bufs := tailOf(t.chunks, unsent)
	if bufs == nil {
		t.s.loop.log.Error("asyncnet: unsent bytes are no longer held; dropped", "unsent", unsent)
		return
	}
	f := os.NewFile(uintptr(t.fd), "asyncnet-tail")
	nc, err := net.FileConn(f)
	_ = f.Close()
	t.fd = -1
	if err != nil {
		return
	}
	t.nc = nc
	t.s.loop.track(nc) // Exit drops the rest
	defer t.s.loop.untrack(nc)
	_, _ = bufs.WriteTo(nc)
}

// drop releases everything the flush holds.
func (t *tailFlush) drop() {
	if t.fd >= 0 {
		_ = closeFD(t.fd)
		t.fd = -1
	}
	if t.nc != nil {
		_ = t.nc.Close()
		t.nc = nil
	}
	for _, b := range t.chunks {
		bufPool.Put(b)
	}
	t.chunks = nil
	if t.s != nil {
		l := t.s.loop
		t.s = nil
		l.bg.Done()
		l.release()
	}
}

// closeFD closes a descriptor from Conn.Dup.
func closeFD(fd int) error { return os.NewFile(uintptr(fd), "").Close() }

// tailOf returns the last n bytes of chunks, or nil if they hold fewer.
func tailOf(chunks []*bytebufferpool.ByteBuffer, n uint64) net.Buffers {
	var out net.Buffers
	for i := len(chunks) - 1; i >= 0 && n > 0; i-- {
		b := chunks[i].B
		if uint64(len(b)) >= n {
			b = b[uint64(len(b))-n:]
		}
		out = append(net.Buffers{b}, out...)
		n -= uint64(len(b))
	}
	if n > 0 {
		return nil
	}
	return out
}
