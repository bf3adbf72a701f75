package core

import (
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"
)

// This file is the interface between a Loop and the reactors it runs on. A
// Transport runs reactors; package adapters implements it on gnet. Users
// need it only to plug in another event-loop library.

// Transport runs the reactors of one Loop.
type Transport interface {
	// Start starts the reactors and returns them, index i being reactor i.
	// From then on the transport calls h, and the ConnHandler of each
	// enrolled connection, on the reactor goroutines. It is called once.
	Start(cfg TransportConfig, h Handler) ([]Reactor, error)
	// Stop closes every connection (calling its ConnHandler's OnClose) and
	// stops the reactors; no callback runs after it returns.
	Stop() error
}

// TransportConfig is what a Loop asks of its Transport.
type TransportConfig struct {
	NumReactors int          // how many reactors to run; > 0
	Logger      *slog.Logger // where to log; never nil
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
	// Close closes c at once; ch.OnClose(c, nil) runs before it returns.
	// Must be called on the reactor goroutine.
	Close(c Conn) error
	// Wake makes the reactor call ch.OnTraffic(c) again, even without new
	// bytes. Safe to call from any goroutine.
	Wake(c Conn) error
}

// Handler receives a Transport's loop-wide events.
type Handler interface {
	// OnTick is called periodically on a goroutine of the transport's own
	// (not a reactor); it returns how long to wait before the next call.
	OnTick() time.Duration
	// AddReactor adds a reactor found after Start and returns its index.
	// Safe to call from any goroutine.
	AddReactor(r Reactor) int
	// OnStop tells the Loop that the transport is stopping on its own:
	// the connections it closes from now on report conditions.SocketClosed,
	// and the Loop ends. Safe to call from any goroutine.
	OnStop()
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
	// OnTraffic is called when new bytes are buffered in c (or on Wake).
	OnTraffic(c Conn)
	// OnClose is called once, when c is closed: err is nil for a local
	// close, else why it closed (io.EOF for the peer's end of file).
	OnClose(c Conn, err error)
}

// Conn is the reactor's view of one connection. Its methods must be called
// on the reactor that owns it, inside an event or an Execute'd function.
// gnet.Conn implements it.
type Conn interface {
	// Peek returns the next n buffered bytes (all of them if n <= 0)
	// without consuming them; they are valid until Discard.
	Peek(n int) ([]byte, error)
	// Discard consumes n buffered bytes (all of them if n <= 0).
	Discard(n int) (int, error)
	// InboundBuffered returns how many bytes are buffered for reading.
	InboundBuffered() int
	// Write writes p, or buffers what the kernel does not take at once; p
	// may be reused when it returns. An error closes the connection (and
	// OnClose runs) before Write returns.
	Write(p []byte) (int, error)
	// Writev writes the slices in order, as Write does, in one system call
	// where it can; the slices may be reused when it returns.
	Writev(bs [][]byte) (int, error)
	// WriteTo moves every buffered byte to w (in place, without a copy of
	// its own), consuming them.
	WriteTo(w io.Writer) (int64, error)
	// OutboundBuffered returns how many written bytes are still buffered.
	OutboundBuffered() int
	// SetLinger sets SO_LINGER; 0 makes the next close a reset.
	SetLinger(sec int) error
	// Dup returns a duplicate of the connection's file descriptor.
	Dup() (int, error)
	// Fd returns the connection's file descriptor, for reading socket
	// state (such as TCP_INFO); it must not be written or closed.
	Fd() int
	// LocalAddr returns the local address.
	LocalAddr() net.Addr
	// RemoteAddr returns the remote address.
	RemoteAddr() net.Addr
}

// defaultTransport makes the transport of Loops that have no WithTransport.
var defaultTransport atomic.Pointer[func() Transport]

// SetDefaultTransport sets the transport of every Loop not given one with
// WithTransport: newTransport is called once per Loop.Run. Package adapters
// registers gnet this way when it is imported (as a database/sql driver
// registers itself), which importing client, server or stream does; a
// program that uses only timers imports it with
// import _ "github.com/asyncnet/asyncnet/adapters".
func SetDefaultTransport(newTransport func() Transport) {
	defaultTransport.Store(&newTransport)
}
