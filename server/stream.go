package server

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/stream"
)

// TCPServerStream is TCPServer with :stream t: onRead gets each accepted
// socket's stream and is only a notification, the bytes staying in the
// socket's input buffer until the stream reads them
// (core.WithDontDrainReadBuffer is implied). It is the equivalent of
// cl-async's (tcp-server ... :stream t). In an OnConnect callback,
// stream.NewAsyncIOStream(s) gives the same stream.
func TCPServerStream(l *core.Loop, addr string, onRead stream.ReadFunc, opts ...Option) (*Server, error) {
	const call = "server.TCPServerStream"
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st, err := resolve(call, l, addr, opts)
	if err != nil {
		return nil, err
	}
	streamSettings(st, onRead)
	return serve(l, addr, func(*core.Socket, []byte) {}, st)
}

// streamSettings makes the sockets of a server with settings st keep what
// they receive, and hand their stream to onRead.
func streamSettings(st *core.Settings, onRead stream.ReadFunc) {
	userConnect := st.OnConnect
	st.DontDrainReadBuffer = true
	// Each socket gets a read callback of its own that holds its stream,
	// installed before its first read, so a read costs no allocation.
	st.OnConnect = func(s *core.Socket) {
		strm := stream.NewAsyncIOStream(s)
		_ = s.WriteSocketData(nil, core.OnRead(func(s *core.Socket, _ []byte) { onRead(s, strm) }))
		if userConnect != nil {
			userConnect(s)
		}
	}
}

// ErrListenerClosed is returned by Listener.Accept once the listener is
// closed.
var ErrListenerClosed = errors.New("asyncnet: listener closed")

// acceptQueue is how many accepted connections a Listener holds for Accept.
const acceptQueue = 4096

// Listener is a net.Listener whose connections are blocking stream.Conns
// served by a Loop's reactors: Listen makes one. Its methods are safe to
// call from any goroutine; Accept blocks, so not inside a callback.
type Listener struct {
	srv       *Server
	onConnect core.ConnectFunc // the user's, run before a connection is queued
	onEvent   core.EventFunc   // the user's, run besides the Conn's
	l         *core.Loop
	conns     chan *stream.Conn
	closed    chan struct{}
	once      sync.Once
}

// Listen listens on addr and returns a net.Listener of blocking
// connections: for code written for goroutines (net/http.Serve,
// crypto/tls.NewListener) on asyncnet's reactors, with no goroutine per
// connection until Accept's caller starts one. The options are
// TCPServer's: an OnConnect callback runs for each connection before it is
// queued for Accept, an OnEvent callback gets each socket's conditions
// besides the Conn's methods. Connections wait for Accept in a queue of
// 4096; past it, new ones are closed.
func Listen(l *core.Loop, addr string, opts ...Option) (*Listener, error) {
	const call = "server.Listen"
	st, err := resolve(call, l, addr, opts)
	if err != nil {
		return nil, err
	}
	ln := &Listener{l: l, conns: make(chan *stream.Conn, acceptQueue), closed: make(chan struct{}),
		onConnect: st.OnConnect, onEvent: st.OnEvent}
	st.DontDrainReadBuffer, st.AllowHalfOpen = true, true
	st.OnConnect = ln.accepted
	srv, err := serve(l, addr, func(*core.Socket, []byte) {}, st)
	if err != nil {
		return nil, err
	}
	ln.srv = srv
	return ln, nil
}

// accepted queues a new connection for Accept; it runs on a reactor.
func (ln *Listener) accepted(s *core.Socket) {
	if ln.onConnect != nil {
		ln.onConnect(s)
	}
	c, err := stream.NewConn(s, ln.onEvent)
	if err != nil {
		_ = s.ForceClose()
		return
	}
	select {
	case <-ln.closed:
		_ = c.Close()
	case ln.conns <- c:
	default:
		_ = s.ForceClose() // nobody accepts: like a full accept queue
	}
}

// Accept waits for the next connection.
func (ln *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-ln.conns:
		return c, nil
	case <-ln.closed:
		return nil, ErrListenerClosed
	default:
	}
	if ln.l.InReactor() {
		return nil, stream.ErrInReactor
	}
	select {
	case c := <-ln.conns:
		return c, nil
	case <-ln.closed:
		return nil, ErrListenerClosed
	case <-ln.srv.Done(): // Exit closed the server
		return nil, ErrListenerClosed
	}
}

// Close stops accepting and closes the connections not yet accepted;
// accepted ones live on.
func (ln *Listener) Close() error {
	ln.once.Do(func() {
		close(ln.closed)
		_ = ln.srv.Close()
		for {
			select {
			case c := <-ln.conns:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return nil
}

// Shutdown stops accepting, closes the connections not yet accepted, and
// shuts the server down gracefully (Server.Shutdown): each accepted
// connection gets the OnShutdown callback given to Listen, by default a
// graceful close (a blocked Read then returns io.EOF or an error), and
// Shutdown waits until they have all closed, or ctx ends (then it
// force-closes the rest and returns ctx.Err()). Safe to call from any
// goroutine except the Loop's reactors.
func (ln *Listener) Shutdown(ctx context.Context) error {
	_ = ln.Close()
	return ln.srv.Shutdown(ctx)
}

// Server returns the Server under the listener (its Done channel, its
// address, Shutdown).
func (ln *Listener) Server() *Server { return ln.srv }

// Addr returns the listener's address.
func (ln *Listener) Addr() net.Addr { return ln.srv.Addr() }
