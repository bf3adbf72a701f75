package core

import (
	"errors"
	"io"
	"sync"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// Reading kept bytes. A socket keeps the bytes it receives, rather than
// handing them to its read callback, when it does not drain
// (WithDontDrainReadBuffer: streams read them) or while reading is
// disabled. Only the socket's reactor may touch the transport's buffer, so:
//
//   - around each callback of a socket that does not drain, the reactor
//     opens a window: while it is open the reactor is inside the callback,
//     not in the transport, and whoever holds rmu may read the transport's
//     buffer in place; the reactor closes it before returning;
//   - what is still unread when the callback returns moves into the
//     socket's own queue (blocks from a pool: one copy, exactly as much as
//     is kept), where any goroutine can read it at once. The transport's
//     buffer is empty outside callbacks, so it never grows past one read.

// inState holds the kept bytes that Read may take from any goroutine.
type inState struct {
	rmu    sync.Mutex // protects the fields below
	window Conn       // non-nil while a callback of the socket runs: its buffer may be read
	in     buf.Queue  // kept bytes taken out of the transport, ahead of its buffer
	rdone  error      // why no more bytes come: io.EOF, or the close; nil while open
}

// ErrWouldBlock is returned by Socket.Read (and the streams of package
// stream) when no byte is kept yet and the socket is open: read again after
// the next read callback.
var ErrWouldBlock = errors.New("asyncnet: read would block")

// Read reads bytes the socket has kept unread: those of a socket made with
// WithDontDrainReadBuffer, or that arrived while reading was disabled. It
// never blocks: with nothing kept it returns (0, ErrWouldBlock) while the
// socket is open, and io.EOF once the peer has closed and everything kept
// has been read (the kept bytes stay readable after the close, also in the
// event callback that reports it). After a close for another reason it
// returns that condition. Safe to call from any goroutine: the bytes are
// copied into p from the socket's own buffer, or, inside one of the
// socket's callbacks, from the transport's buffer in place.
func (s *Socket) Read(p []byte) (int, error) {
	if s == nil || s.loop == nil {
		return 0, zeroSocket("Socket.Read")
	}
	if len(p) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	n := s.in.Read(p)
	if c := s.window; n < len(p) && c != nil {
		if k := min(len(p)-n, c.InboundBuffered()); k > 0 {
			data, _ := c.Peek(k)
			n += copy(p[n:], data)
			_, _ = c.Discard(k)
		}
	}
	switch {
	case n > 0:
		return n, nil
	case s.rdone != nil:
		return 0, s.rdone
	default:
		return 0, ErrWouldBlock
	}
}

// Buffered returns how many bytes the socket keeps unread (see Read). Safe
// to call from any goroutine.
func (s *Socket) Buffered() int {
	if s == nil || s.loop == nil {
		return 0
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	n := s.in.Len()
	if s.window != nil {
		n += s.window.InboundBuffered()
	}
	return n
}

// WriteTo writes the bytes the socket keeps unread to w (to another
// Socket, say) and returns how many it wrote. It never blocks on the
// socket. Safe to call from any goroutine (see Read).
func (s *Socket) WriteTo(w io.Writer) (int64, error) {
	if s == nil || s.loop == nil {
		return 0, zeroSocket("Socket.WriteTo")
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	var total int64
	for s.in.Len() > 0 {
		n, err := w.Write(s.in.Blocks()[0].Bytes())
		total += int64(n)
		s.in.Discard(n)
		if err != nil {
			return total, err
		}
	}
	if c := s.window; c != nil && c.InboundBuffered() > 0 {
		data, _ := c.Peek(-1)
		n, err := w.Write(data)
		total += int64(n)
		_, _ = c.Discard(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// takeKept takes the first block of kept bytes out of the queue, or
// returns nil. Reactor only; the caller puts the block back in the pool.
func (s *Socket) takeKept() *buf.Block {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.in.Pop()
}

// keep moves the transport's buffered bytes into the socket's queue and
// returns how many bytes are kept in all. Reactor only.
func (s *Socket) keep(c Conn) int {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if c.InboundBuffered() > 0 {
		_, _ = c.WriteTo(&s.in) // consumes the transport's buffer
	}
	return s.in.Len()
}

// openWindow and closeWindow bracket a callback of a socket that does not
// drain (see the top of this file). Reactor only.
func (s *Socket) openWindow() {
	s.rmu.Lock()
	s.window = s.conn
	s.rmu.Unlock()
}

// closeWindow also moves what is still unread into the queue, in the same
// critical section: a reader never sees the bytes in neither place.
func (s *Socket) closeWindow() {
	s.rmu.Lock()
	if c := s.window; c != nil && c == s.conn && c.InboundBuffered() > 0 {
		_, _ = c.WriteTo(&s.in)
	}
	s.window = nil
	s.rmu.Unlock()
}

// endReading records why no more bytes will come, keeping what the
// transport still holds readable after it releases its buffers. Reactor
// only.
func (s *Socket) endReading(c Conn, why error) {
	if c != nil && c.InboundBuffered() > 0 && (s.dontDrain || s.rdPaused || s.readOffA.Load()) {
		s.keep(c)
	}
	s.rmu.Lock()
	if s.rdone == nil {
		s.rdone = why
	}
	s.rmu.Unlock()
}
