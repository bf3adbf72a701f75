package core

import (
	"errors"
	"io"
	"sync"

	"github.com/asyncnet/asyncnet/conditions"
)

// Reading kept bytes. A socket keeps the bytes it receives, rather than
// handing them to its read callback, when it does not drain
// (WithDontDrainReadBuffer: streams read them) or while reading is
// disabled. They stay in the transport's buffer (gnet's inbound buffer, no
// copy) and Read takes them from there. Only the socket's reactor may touch
// that buffer, so:
//
//   - around each callback of a socket that does not drain, the reactor
//     opens a window: while it is open the reactor is inside the callback,
//     not in gnet, and whoever holds rmu may read the transport's buffer;
//     the reactor closes it, waiting for such a reader, before returning;
//   - a read from elsewhere switches the socket to copying: from then on
//     the reactor moves arriving bytes into inbuf, where any goroutine can
//     read them (one copy, as for any net.Conn).

// inState holds the kept bytes that Read may take from any goroutine.
type inState struct {
	rmu    sync.Mutex // protects the fields below
	window Conn       // non-nil while a callback of the socket runs: its buffer may be read
	inbuf  []byte     // kept bytes taken out of the transport, ahead of its buffer
	tbuf   int        // bytes in the transport's buffer, as of the reactor's last look
	copyIn bool       // the reactor copies arriving bytes into inbuf
	pull   bool       // a copy of the transport's bytes is queued on the reactor
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
// returns that condition. Safe to call from any goroutine: inside one of
// the socket's callbacks it reads the transport's buffer directly;
// elsewhere the socket switches to copying arriving bytes for such readers.
func (s *Socket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	n := s.takeInbufLocked(p)
	if n < len(p) && s.tbuf > 0 {
		if c := s.transportLocked(); c != nil {
			k := min(len(p)-n, c.InboundBuffered())
			data, _ := c.Peek(k)
			n += copy(p[n:], data)
			_, _ = c.Discard(k)
			s.tbuf = c.InboundBuffered()
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
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return len(s.inbuf) + s.tbuf
}

// WriteTo writes the bytes the socket keeps unread to w, without copying
// them into a buffer of its own first (to another Socket, say), and
// returns how many it wrote. It never blocks on the socket. Safe to call
// from any goroutine (see Read).
func (s *Socket) WriteTo(w io.Writer) (int64, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	var total int64
	if len(s.inbuf) > 0 {
		n, err := w.Write(s.inbuf)
		total += int64(n)
		s.consumeInbufLocked(n)
		if err != nil {
			return total, err
		}
	}
	if c := s.transportLocked(); c != nil && s.tbuf > 0 {
		data, _ := c.Peek(-1)
		n, err := w.Write(data)
		total += int64(n)
		_, _ = c.Discard(n)
		s.tbuf = c.InboundBuffered()
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Socket) takeInbufLocked(p []byte) int {
	n := copy(p, s.inbuf)
	s.consumeInbufLocked(n)
	return n
}

func (s *Socket) consumeInbufLocked(n int) {
	if s.inbuf = s.inbuf[n:]; len(s.inbuf) == 0 {
		s.inbuf = nil
	}
}

// transportLocked returns the transport connection if this goroutine may
// read its buffer now, or nil; then it arranges for the bytes to be copied
// where it can. Call with rmu held.
func (s *Socket) transportLocked() Conn {
	if s.window != nil {
		return s.window
	}
	if r := s.reactor(); r != nil && r.gid.Load() == gid() {
		return s.conn // the socket's own reactor, in a dispatch: gnet is not running
	}
	s.copyIn = true
	if !s.pull {
		s.pull = true
		s.loop.post(s.pullTask) // the first such read: move what is there now
	}
	return nil
}

func (s *Socket) reactor() *reactor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r
}

// pullTask copies the transport's bytes into inbuf, then notifies the read
// callback. It runs on a reactor, but may not be the socket's: it posts
// itself there.
func (s *Socket) pullTask() {
	if r := s.reactor(); r != nil && r.gid.Load() != gid() {
		r.post(s.pullTask)
		return
	}
	s.rmu.Lock()
	s.pull = false
	s.rmu.Unlock()
	if c := s.conn; c != nil {
		s.readable(c)
	}
}

// keep moves the transport's buffer into inbuf. Reactor only.
func (s *Socket) keep(c Conn) {
	s.rmu.Lock()
	if n := c.InboundBuffered(); n > 0 {
		data, _ := c.Peek(n)
		s.inbuf = append(s.inbuf, data...)
		_, _ = c.Discard(n)
	}
	s.tbuf = 0
	s.rmu.Unlock()
}

// keptLocked returns the bytes kept in all. Call with rmu held.
func (s *Socket) kept(c Conn) int {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if c != nil {
		s.tbuf = c.InboundBuffered()
	}
	return len(s.inbuf) + s.tbuf
}

// openWindow and closeWindow bracket a callback of a socket that does not
// drain (see the top of this file). Reactor only.
func (s *Socket) openWindow() {
	s.rmu.Lock()
	s.window = s.conn
	s.rmu.Unlock()
}

func (s *Socket) closeWindow() {
	s.rmu.Lock()
	s.window = nil
	if c := s.conn; c != nil {
		s.tbuf = c.InboundBuffered()
	}
	s.rmu.Unlock()
}

// abandon ends a socket the stopped transport no longer holds (a parked
// one): Read reports it closed, and Done is closed. Only once the reactors
// have stopped.
func (s *Socket) abandon() {
	s.markClosed()
	s.rmu.Lock()
	if s.rdone == nil {
		s.rdone = s.condition(conditions.SocketClosed, "read", nil)
	}
	s.rmu.Unlock()
	s.finish()
}

// stoppedParked ends a socket that was parked (reading disabled) when its
// transport stopped on its own: like the sockets the transport closes, it
// gets a SocketClosed event. It runs once the reactors have stopped, so the
// event callback runs alone.
func (s *Socket) stoppedParked() {
	ev := s.condition(conditions.SocketClosed, "close", errTransportStopped)
	s.rmu.Lock()
	if s.rdone == nil {
		s.rdone = ev
	}
	s.rmu.Unlock()
	s.loop.stats.disconnected(s.incoming)
	if user := s.markClosed(); !user {
		s.callEvent(ev)
	}
	s.finish()
}

// endReading records why no more bytes will come, keeping what the
// transport still holds readable after it releases its buffers. Reactor
// only.
func (s *Socket) endReading(c Conn, why error) {
	if c != nil && c.InboundBuffered() > 0 && (s.dontDrain || s.rdPaused) {
		s.keep(c)
	}
	s.rmu.Lock()
	if s.rdone == nil {
		s.rdone = why
	}
	s.tbuf = 0
	s.rmu.Unlock()
}
