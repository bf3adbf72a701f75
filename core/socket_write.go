package core

import (
	"fmt"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// Writing: Write queues a copy of the bytes under the socket's mutex,
// within WithMaxWriteBuffer, and marks the socket for its reactor, which
// hands them to the transport (socket_reactor.go: refill).

// handLimitFor returns how many written bytes a socket with write cap
// maxWrite lets its transport hold at a time. The transport copies what
// the kernel does not take at once, and the socket keeps its own copy of
// those bytes until the kernel has them (to finish them if the peer ends
// its side first), so this much is held twice: a sixteenth of the cap,
// between one block and 4 MiB. The rest waits in the socket's queue, once.
func handLimitFor(maxWrite int) int {
	return min(max(maxWrite/16, buf.BlockSize), 4<<20)
}

// Write writes p to the socket and returns len(p). p is copied, so it may be
// reused at once. Bytes written before the socket is connected are sent,
// in order, once it is (after the connect callback). It never blocks: when
// the peer reads slower than the program writes, the bytes wait in memory,
// Congested turns true past the high watermark, and a Write that would take
// the unsent bytes past WithMaxWriteBuffer is refused: it writes nothing and
// returns an error matching ErrWriteBufferFull, and, unless the socket was
// made with WithWriteOverflow(OverflowRefuse), the socket is force-closed
// and its event callback gets the same condition, so that the peer never
// receives a stream with a hole in it. Write does not enable a socket whose
// writing is disabled (its bytes wait for Enable); WriteSocketData does. It
// is the equivalent of cl-async's write-socket-data. Safe to call from any
// goroutine.
func (s *Socket) Write(p []byte) (int, error) {
	if s == nil || s.loop == nil {
		return 0, zeroSocket("Socket.Write")
	}
	s.mu.Lock()
	if s.state >= stClosing || !s.loop.running() {
		err := s.closedErrLocked("write")
		s.mu.Unlock()
		return 0, err
	}
	if s.wrShut {
		err := &conditions.Error{Kind: conditions.SocketClosed, Op: "write", Addr: s.peerLocked(), Socket: s, Err: errWriteClosed}
		s.mu.Unlock()
		return 0, err
	}
	if len(p) == 0 {
		s.mu.Unlock()
		return 0, nil
	}
	unsent := s.unsent.Load() + int64(len(p))
	if unsent > int64(s.cfg.maxWrite) {
		return 0, s.refuseLocked(unsent) // unlocks
	}
	_, _ = s.out.Write(p)
	s.written += uint64(len(p))
	s.addUnsentLocked(int64(len(p)))
	if !s.congested && unsent >= int64(s.cfg.high) {
		s.congested = true
		s.congestedA.Store(true)
	}
	r := s.scheduleLocked()
	s.mu.Unlock()
	if r != nil {
		r.mark(s)
	}
	return len(p), nil
}

// refuseLocked refuses a write that would leave unsent bytes unsent past
// the cap, closing the socket unless its policy is OverflowRefuse, and
// returns the error. Call with s.mu held; it unlocks it.
func (s *Socket) refuseLocked(unsent int64) error {
	s.loop.stats.refusedWrites.Add(1)
	cause := fmt.Errorf("%w: %d bytes would be unsent, limit %d", ErrWriteBufferFull, unsent, s.cfg.maxWrite)
	if s.cfg.overflow == OverflowRefuse {
		err := &conditions.Error{Kind: conditions.EventError, Op: "write", Addr: s.peerLocked(), Socket: s, Err: cause}
		s.mu.Unlock()
		return err
	}
	ev := &conditions.Error{Kind: conditions.TCPError, Op: "write", Addr: s.peerLocked(), Socket: s, Err: cause}
	s.failed = ev
	s.closeLocked(true, false) // unlocks
	return ev
}

// addUnsentLocked adds d to the socket's unsent bytes and to the Loop's
// count of them (its reactor's share once connected). Call with s.mu held.
func (s *Socket) addUnsentLocked(d int64) {
	s.unsent.Add(d)
	if s.r != nil {
		s.r.bytesOut.Add(d)
	} else {
		s.loop.bytesOut.Add(d)
	}
}

// dropOutLocked forgets the written bytes not yet handed to the transport,
// for a socket that will send nothing more. (Those in flight are the
// reactor's: they are dropped when the connection closes.) Call with s.mu
// held.
func (s *Socket) dropOutLocked() {
	n := s.out.Len()
	s.out.Reset()
	s.addUnsentLocked(-int64(n))
}

// WriteSocketData writes p like Write, after replacing the socket's
// callbacks with those given as options (OnRead, OnWrite, OnEvent, OnDrain),
// for this write and every later one. As in cl-async, it enables writing if
// Disable had disabled it, and reading too when it sets a read callback.
// It is the equivalent of cl-async's write-socket-data with :read-cb,
// :write-cb or :event-cb. Safe to call from any goroutine.
func (s *Socket) WriteSocketData(p []byte, opts ...WriteOption) error {
	const call = "Socket.WriteSocketData"
	if s == nil || s.loop == nil {
		return zeroSocket(call)
	}
	st, err := ResolveWrite(call, opts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.state >= stClosing {
		err := s.closedErrLocked("write")
		s.mu.Unlock()
		return err
	}
	if st.OnRead != nil || st.OnWrite != nil || st.OnEvent != nil || st.OnDrain != nil {
		cb := *s.cbs.Load()
		if st.OnRead != nil {
			cb.read = st.OnRead
		}
		if st.OnWrite != nil {
			cb.write = st.OnWrite
		}
		if st.OnEvent != nil {
			cb.event = st.OnEvent
		}
		if st.OnDrain != nil {
			cb.drain = st.OnDrain
		}
		s.cbs.Store(&cb)
	}
	var r *reactor
	if s.writeOff && len(p) > 0 || s.readOff && st.OnRead != nil {
		s.writeOff = s.writeOff && len(p) == 0
		s.setReadOffLocked(s.readOff && st.OnRead == nil)
		s.ctl = true
		r = s.scheduleLocked()
	}
	s.mu.Unlock()
	if r != nil {
		r.mark(s)
	}
	if len(p) == 0 {
		return nil
	}
	_, err = s.Write(p)
	return err
}
