package core

import (
	"errors"
	"fmt"
	"io"

	"github.com/asyncnet/asyncnet/conditions"
)

// Half-close. CloseWrite sends FIN once every written byte is in the
// kernel, and reading goes on. With WithAllowHalfOpen, the peer's end of
// file does not close the socket: gnet closes its descriptor on end of
// file, so the socket keeps a duplicate of it, as a parked socket does
// (park.go), and writes to it directly until this side closes.

// errWriteClosed is the cause of a write after CloseWrite.
var errWriteClosed = errors.New("the write side is closed (CloseWrite)")

// CloseWrite shuts down the writing side of the connection, as
// (*net.TCPConn).CloseWrite does: the bytes already written are delivered,
// then the peer gets end of file, and reading goes on. Writes after it
// fail with an error matching conditions.SocketClosed. Once the peer has
// ended its side too, the socket closes; the event callback then gets
// conditions.TCPEOF (unless WithAllowHalfOpen delivered it already).
// Calling it again does nothing. Safe to call from any goroutine.
func (s *Socket) CloseWrite() error {
	if s == nil || s.loop == nil {
		return zeroSocket("Socket.CloseWrite")
	}
	if !canShutdownWrite {
		return fmt.Errorf("asyncnet: Socket.CloseWrite: %w", errNoHalfClose)
	}
	s.mu.Lock()
	if s.state >= stClosing {
		err := s.closedErrLocked("closewrite")
		s.mu.Unlock()
		return err
	}
	if s.wrShut {
		s.mu.Unlock()
		return nil
	}
	s.wrShut = true
	r := s.scheduleLocked()
	s.mu.Unlock()
	if r != nil {
		r.mark(s)
	}
	return nil
}

// writeShut reports whether CloseWrite was called. Reactor only.
func (s *Socket) writeShut() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrShut
}

// shutWriteWhenSent sends FIN on fd once nothing is unsent, if CloseWrite
// asked for it; then, if the peer has ended its side too, the socket is
// done. It reports whether it closed the socket. Reactor only.
func (s *Socket) shutWriteWhenSent(fd int) bool {
	if s.wrDone || s.unsent.Load() != 0 || !s.writeShut() {
		return false
	}
	if err := shutdownWrite(fd); err != nil {
		s.cond = s.conditionFor("closewrite", err)
		s.abortConn()
		return true
	}
	s.wrDone = true
	if s.peerEOF { // both directions are done
		s.abortConn()
		return true
	}
	return false
}

// abortConn closes the socket's connection, wherever its descriptor is.
// Reactor only.
func (s *Socket) abortConn() {
	switch {
	case s.park != nil:
		s.closeParked(nil, false)
	case s.conn != nil:
		_ = s.r.tr.Close(s.conn)
	}
}

// keepHalfOpen is called when the peer ended its side (gnet is closing c)
// on a socket made with WithAllowHalfOpen: it keeps the socket open for
// writing on a duplicate of the descriptor, and delivers conditions.TCPEOF.
// It reports false if it cannot (the caller then closes the socket as
// usual). Runs in OnClose, while the descriptor is still open.
func (s *Socket) keepHalfOpen(c Conn) bool {
	if d := s.inflight.Len() - c.OutboundBuffered(); d > 0 {
		s.inflight.Discard(d) // in the kernel already
		s.sent += uint64(d)
		s.unsent.Add(-int64(d))
		s.r.bytesOut.Add(-int64(d))
	}
	var before uint64
	if s.inflight.Len() > 0 { // gnet's last flush will write some: count what
		n, err := kernelAccepted(c.Fd())
		if err != nil {
			return false
		}
		before = n
	}
	fd, err := c.Dup()
	if err != nil {
		s.loop.log.Warn("asyncnet: cannot keep a half-open connection open", "err", err)
		return false
	}
	s.endReading(c, io.EOF)
	s.peerEOF = true
	p := &parking{s: s, fd: fd, settling: s.inflight.Len() > 0}
	s.park = p
	s.rdPaused = true // nothing more to read
	s.loop.trackParked(p)
	s.r.addParked(s)
	s.conn = nil
	s.handed = 0
	if p.settling {
		backlog := s.inflight.Len()
		r := s.r
		// gnet's last flush and close happen when this event returns; the
		// task runs after them.
		if err := r.tr.Execute(func() {
			r.enter()
			s.settled(p, before, backlog)
			r.exit()
		}); err != nil {
			p.settling = false
		}
	}
	s.loop.deliver(s, s.cbs.Load().event, s.condition(conditions.TCPEOF, "read", io.EOF))
	if s.park == p && !p.settling {
		s.process() // what the event callback asked for
	}
	return true
}

// settled counts the bytes gnet's last flush wrote of those in flight, and
// goes on writing the rest. Reactor only.
func (s *Socket) settled(p *parking, before uint64, backlog int) {
	if s.park != p {
		return
	}
	p.settling = false
	after, err := kernelAccepted(p.fd)
	if err != nil {
		s.closeParked(s.conditionFor("write", fmt.Errorf("asyncnet: cannot count the bytes the kernel took: %w", err)), true)
		return
	}
	if wrote := int(min(after-before, uint64(backlog))); wrote > 0 {
		s.sentMore(wrote)
	}
	if s.park == p {
		s.process()
	}
}
