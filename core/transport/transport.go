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
// # Optional interfaces
//
// A Transport may also implement Placer, Acceptor and Dialer, to take over
// more of a connection's start than Reactor.Enroll: choosing its reactor,
// accepting it, connecting it. A Loop uses each when the transport has it
// and falls back when it does not (or when a method returns an error
// matching errors.ErrUnsupported): it accepts on a goroutine of its own
// per server, runs each connect on a goroutine of its own, and hands each
// connection to the least loaded reactor with Enroll, on a goroutine of its
// own. A transport that implements none of them works as well, with a
// goroutine or two per connection while it starts.
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
	"net/netip"
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

// Placer is implemented by a Transport that hands a connection to a reactor
// of its own choosing (the least loaded) at no more cost than Enroll and
// without a goroutine of its own per connection. Loops use it, when they
// have one, instead of choosing a reactor and calling its Enroll.
type Placer interface {
	// Place hands the connected nc to one of the transport's reactors, as
	// Reactor.Enroll does: the transport takes nc over, calls ch.OnOpen on
	// that reactor, with its index, and returns after that, or with the
	// error that kept it from happening. Safe to call from any goroutine
	// except a reactor's (it waits for one).
	Place(nc net.Conn, ch ConnHandler) error
}

// Acceptor is implemented by a Transport that accepts the connections of a
// listener itself (rather than the Loop, on a goroutine per server), hands
// each to a reactor of its choosing, and starts no goroutine per
// connection.
type Acceptor interface {
	// Accept starts serving ln and returns at once, with a Closer that
	// stops serving ln and closes it (returning the error of closing ln).
	// From then on the transport accepts ln's connections; for each it
	// calls h.Accepted, hands the connection to a reactor for the
	// ConnHandler h.Accepted returned (calling its OnOpen there, as Enroll
	// does), then h.Placed. It reports errors of accepting to
	// h.AcceptError, and calls h.Stopped last, once it no longer serves ln
	// (after Close, a negative AcceptError or Stop). It calls no method of
	// h before Accept returns.
	//
	// If the transport cannot serve ln (a kind of listener it does not
	// know, a platform it does not accept on), Accept returns an error
	// matching errors.ErrUnsupported, leaves ln alone and never calls h.
	// Safe to call from any goroutine.
	Accept(ln net.Listener, h AcceptHandler) (io.Closer, error)
}

// Drainer is implemented by the io.Closer of an Acceptor that can stop
// serving a listener gracefully.
type Drainer interface {
	// Drain stops serving the listener as Close does, but first accepts
	// (and hands to reactors, calling the AcceptHandler as usual) the
	// connections already queued on it, which closing it would reset. It
	// returns at once; the listener is closed, and Stopped called, once
	// they are in. A Close after Drain does nothing. Safe to call from any
	// goroutine.
	Drain()
}

// AcceptHandler receives the events of a listener an Acceptor serves. The
// transport calls its methods one at a time, never on a reactor.
type AcceptHandler interface {
	// Accepted returns the ConnHandler of a connection just accepted, or
	// nil to refuse it: the transport closes the connection.
	Accepted() ConnHandler
	// Placed reports how handing the connection of ch to a reactor ended:
	// err is nil once ch.OnOpen has returned (whatever it returned), else
	// why ch.OnOpen will never run (the transport has closed the
	// connection).
	Placed(ch ConnHandler, err error)
	// AcceptError reports an error of accepting. The transport accepts
	// from the listener again after the duration it returns, or, if it is
	// negative, stops serving the listener (then Stopped).
	AcceptError(err error) time.Duration
	// Stopped is the last call of all: the listener is no longer served.
	Stopped()
}

// Dialer is implemented by a Transport that makes outgoing TCP connections
// itself, without a goroutine per connect, and hands each to a reactor of
// its choosing.
type Dialer interface {
	// Dial starts connecting to d.Addr and returns at once. When connected,
	// the transport hands the connection to a reactor, calls ch.OnOpen
	// there (as Enroll does), then done(nil). If the connection cannot be
	// made or handed over within d.Timeout, done gets the error: a
	// *net.OpError as net.Dialer returns them (matching syscall.ECONNREFUSED,
	// os.ErrDeadlineExceeded, ...), context.Canceled after cancel, or
	// another error if the transport stops. done is called exactly once,
	// never on a reactor, and must not block; cancel may be called at any
	// time, also after done.
	//
	// If the transport cannot make such a connection, Dial returns an
	// error matching errors.ErrUnsupported and never calls done. Safe to
	// call from any goroutine, reactors included.
	Dial(d Dial, ch ConnHandler, done func(error)) (cancel func(), err error)
}

// Dial says what connection a Dialer makes.
type Dial struct {
	// Addr is the peer's TCP address.
	Addr netip.AddrPort
	// Timeout bounds the time connecting may take; 0 leaves it to the
	// operating system.
	Timeout time.Duration
	// KeepAlive is the connection's TCP keepalive, with net.Dialer's
	// meaning of each field (off unless Enable).
	KeepAlive net.KeepAliveConfig
}
