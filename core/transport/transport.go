// Package transport is the interface between a core.Loop and the event
// loops it runs on, as database/sql/driver is to database/sql: package
// adapters implements it on gnet, and package memtransport in memory (for
// tests). Applications do not use it; they pick a transport with
// core.WithTransport, or get gnet's by default.
//
// A Transport runs reactors: goroutines that each own a set of
// connections and run every event of those connections, one at a time.
// The Loop gives the transport a Handler for loop-wide events and, for
// each connection, a ConnHandler; the transport gives the Loop a Conn for
// each connection. A Conn does what a socket needs of a connection, in
// terms of intent: read what is buffered, write blocks of bytes, pause and
// resume reading, half-close, close gracefully or at once. How it does it
// (gnet cannot pause a connection, nor say when its buffer drained, nor
// close after a flush) is the transport's business.
//
// # Concurrency
//
// Unless a method says otherwise, the methods of Conn, and those of a
// ConnHandler, run on the reactor that owns the connection, inside one of
// its events or an Execute'd function.
package transport

import (
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// Transport runs the reactors of one Loop.
type Transport interface {
	// Start starts the reactors and returns them, index i being reactor i.
	// From then on the transport calls h, and the ConnHandler of each
	// connection, on the reactor goroutines. It is called once.
	Start(cfg Config, h Handler) ([]Reactor, error)
	// Stop closes every connection (calling its ConnHandler's OnClose) and
	// stops the reactors; no callback runs after it returns. Bytes not
	// yet sent are dropped.
	Stop() error
}

// Config is what a Loop asks of its Transport.
type Config struct {
	Reactors int          // how many reactors to run; > 0
	Logger   *slog.Logger // where to log; never nil
}

// Reactor is one event-loop goroutine of a Transport.
type Reactor interface {
	// Execute runs fn on the reactor goroutine, after the event the reactor
	// is handling now. Safe to call from any goroutine.
	Execute(fn func()) error
	// Enroll hands the connected nc to the reactor: the transport takes nc
	// over (closing it when done), calls ch.OnOpen on the reactor, and
	// returns after that, or with the error that kept it from happening.
	// Safe to call from any goroutine except a reactor's (it waits for one).
	Enroll(nc net.Conn, ch ConnHandler) error
}

// Handler receives a Transport's loop-wide events. Its methods are safe
// to call from any goroutine.
type Handler interface {
	// OnTick is called periodically on a goroutine of the transport's own
	// (not a reactor); it returns how long to wait before the next call.
	OnTick() time.Duration
	// AddReactor adds a reactor found after Start and returns its index.
	AddReactor(r Reactor) int
	// OnStop tells the Loop that the transport is stopping on its own:
	// the connections it closes from now on report conditions.SocketClosed,
	// and the Loop ends.
	OnStop()
	// Hold keeps the Loop running until the matching Release: a transport
	// holds it while it finishes work the Loop does not see (bytes it
	// still delivers after a connection closed).
	Hold()
	// Release ends a Hold.
	Release()
}

// Persistent is implemented by a Transport that keeps its Loop running as
// long as it runs, rather than only while the Loop has work: a Loop on an
// application's gnet engine lives as long as the engine.
type Persistent interface {
	Persistent() bool
}

// ConnHandler receives the events of one connection, always on the
// reactor that owns it, one at a time.
type ConnHandler interface {
	// OnOpen is called first, with the index of the reactor. If it returns
	// false the transport closes c without calling OnClose.
	OnOpen(reactor int, c Conn) bool
	// OnTraffic is called when new bytes are buffered in c.
	OnTraffic(c Conn)
	// OnSent is called when c.Unsent has shrunk since Write (the kernel
	// took bytes) and the transport learnt it later than Write returned.
	OnSent(c Conn)
	// OnEOF is called when the peer has ended its side, after every byte
	// before the end was delivered by OnTraffic. Returning true keeps c
	// open for writing (until Close, CloseWrite or Abort); returning false
	// closes it once its unsent bytes are delivered, and OnClose(c,
	// io.EOF) follows at once (the transport may finish sending after it,
	// holding the Loop).
	OnEOF(c Conn) (keepOpen bool)
	// OnClose is called once, when c is closed: err is nil after Close,
	// CloseWrite (both sides ended) or Abort, io.EOF after the peer's end
	// of file, else why it closed.
	OnClose(c Conn, err error)
}

// Conn is the transport's side of one connection.
type Conn interface {
	// Peek returns the next n buffered bytes (all of them if n <= 0)
	// without consuming them; they are valid until Discard.
	Peek(n int) ([]byte, error)
	// Discard consumes n buffered bytes (all of them if n <= 0).
	Discard(n int) (int, error)
	// InboundBuffered returns how many bytes are buffered for reading.
	InboundBuffered() int
	// WriteTo moves every buffered byte to w (in place, without a copy of
	// its own), consuming them.
	WriteTo(w io.Writer) (int64, error)

	// Room returns how many more bytes Write should be given now: the
	// transport holds what the kernel does not take, and says how much it
	// is willing to hold. It is advice: Write takes whatever it is given.
	Room() int
	// Write takes bs over (the transport puts each block back in the pool
	// once the kernel has its bytes), writes what the kernel takes at
	// once, and keeps the rest, in order. An error closes the connection:
	// OnClose runs before Write returns.
	Write(bs []*buf.Block)
	// Unsent returns how many bytes Write took that the kernel has not.
	Unsent() int
	// Acked returns how many bytes the peer has acknowledged so far, if
	// the platform tells (the progress of a slow reader that the kernel's
	// buffers hide from Unsent).
	Acked() (uint64, bool)

	// Pause asks the transport to stop reading: the kernel's buffer fills
	// and TCP flow control holds the peer back. It may take effect later
	// (until then OnTraffic may still come); a reset of the peer is still
	// reported (OnClose). Writing goes on.
	Pause() error
	// Resume reads again after Pause; the bytes buffered meanwhile come
	// with OnTraffic, then OnEOF if the peer ended its side.
	Resume() error
	// CloseWrite sends FIN once Unsent is zero; reading goes on. Once the
	// peer has ended its side too, the connection closes (OnClose).
	CloseWrite() error
	// Close closes the connection gracefully: once Unsent is zero, FIN,
	// then OnClose(c, nil).
	Close() error
	// Abort closes the connection at once, dropping what is unsent (with
	// reset, the peer gets a reset rather than FIN); OnClose(c, nil) runs
	// before it returns.
	Abort(reset bool) error

	// LocalAddr returns the local address.
	LocalAddr() net.Addr
	// RemoteAddr returns the remote address.
	RemoteAddr() net.Addr
}
