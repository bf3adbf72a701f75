package core

import (
	"errors"
	"io"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
)

// Half-close. CloseWrite sends FIN once every written byte is in the
// kernel, and reading goes on. With WithAllowHalfOpen, the peer's end of
// file does not close the socket: it stays open for writing until this
// side closes it. The transport's Conn keeps such a connection open
// (gnet closes it at end of file: the gnet transport detaches it).

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

// writeShut reports whether CloseWrite was called.
func (s *Socket) writeShut() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrShut
}

// peerEnded handles the peer's end of file (the Conn's OnEOF): a socket
// made with WithAllowHalfOpen, that has not closed nor sent FIN, stays
// open for writing and gets conditions.TCPEOF now; any other hands the
// Conn every byte it still queues (the Conn delivers them, then closes).
// It reports whether the socket stays open. Reactor only.
func (s *Socket) peerEnded(c transport.Conn) bool {
	if s.hdr != nil {
		return false // ended before its PROXY header (a balancer's health check): it closes quietly
	}
	s.endReading(c, io.EOF) // what is kept stays readable
	if s.cfg.halfOpen && !s.isClosed() && s.wr == wrOpen {
		s.peerEOF = true
		s.stopReadTimeout() // nothing more to read
		s.loop.deliver(s, s.cbs.Load().event, s.condition(conditions.TCPEOF, "read", io.EOF))
		return true
	}
	s.mu.Lock()
	take := s.out.Take(nil, s.out.Len())
	s.mu.Unlock()
	if len(take) > 0 {
		n := 0
		for _, b := range take {
			n += b.Len()
		}
		c.Write(take)
		s.handed += uint64(n)
		s.connUnsent += n
	}
	return false
}
