package server

import (
	"context"
	"fmt"
	"net"

	_ "github.com/asyncnet/asyncnet/adapters" // registers the gnet transport
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/netaddr"
)

// Option configures a server and the sockets it accepts: the options of
// core that apply to servers (core.OnEvent, core.OnConnect,
// core.WithReadTimeout, ...) and those of this package.
type Option = core.ServerOption

// Server is a TCP server on a Loop. It is the equivalent of cl-async's
// tcp-server object. Its methods are safe to call from any goroutine.
type Server struct {
	ln *core.Listener
}

// WithBacklog sets the length of the queue of connections the kernel
// completes before the server accepts them (cl-async's :backlog). A
// negative n, like cl-async's default of -1, and no WithBacklog at all,
// mean the system's maximum (net.core.somaxconn on Linux), as for
// net.Listen.
func WithBacklog(n int) Option {
	return core.NewServerOption("server.WithBacklog", func(st *core.Settings) error {
		st.Backlog, st.BacklogSet = n, n >= 0
		return nil
	})
}

// TCPServer listens on addr and serves it on l: every accepted connection
// becomes a socket whose bytes go to onRead, after the OnConnect callback.
// It is the equivalent of cl-async's tcp-server.
//
// addr is "host:port". An empty host (":7007") binds every address; port 0
// picks a free port, which Addr reports. A failure to bind returns, at once,
// an error matching conditions.TCPServerBindError and the OS error (such as
// syscall.EADDRINUSE), and leaves nothing running.
//
// The OnEvent callback of opts is every accepted socket's event callback
// and also receives the server's accept errors (conditions.TCPAcceptError,
// with a nil socket). The server keeps Run going until it is closed. Safe
// to call from any goroutine while l runs; usually called in the start
// function of Run or in a callback.
func TCPServer(l *core.Loop, addr string, onRead core.ReadFunc, opts ...Option) (*Server, error) {
	const call = "server.TCPServer"
	if l == nil {
		return nil, &core.ArgError{Call: call, Arg: "l", Reason: "nil Loop"}
	}
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st, err := resolve(call, l, addr, opts)
	if err != nil {
		return nil, err
	}
	return serve(l, addr, onRead, st)
}

// resolve checks the Loop and address of a server and resolves its
// options, once.
func resolve(call string, l *core.Loop, addr string, opts []Option) (*core.Settings, error) {
	if l == nil {
		return nil, &core.ArgError{Call: call, Arg: "l", Reason: "nil Loop"}
	}
	if _, err := netaddr.Parse(addr, netaddr.Listen); err != nil {
		return nil, &core.ArgError{Call: call, Arg: "addr", Reason: err.Error()}
	}
	return core.ResolveServer(call, opts)
}

// serve listens on addr and serves it with the resolved settings st.
func serve(l *core.Loop, addr string, onRead core.ReadFunc, st *core.Settings) (*Server, error) {
	ln, err := listen(addr, st)
	if err != nil {
		return nil, conditions.New(conditions.TCPServerBindError, "listen", addr, err)
	}
	x, err := l.ServeWith(ln, onRead, st)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	return &Server{ln: x}, nil
}

// listen binds addr, with the backlog and keepalive of st.
func listen(addr string, st *core.Settings) (net.Listener, error) {
	keepAlive := st.KeepAliveConfig()
	lc := net.ListenConfig{KeepAliveConfig: keepAlive}
	if !keepAlive.Enable {
		lc.KeepAlive = -1
	}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	if st.BacklogSet {
		if err := setBacklog(ln, st.Backlog); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

// OnShutdown sets how Shutdown (the server's or the Loop's) asks each of
// the server's open connections to finish: fn runs on the connection's
// reactor and should let the exchange under way finish (a reply being
// written, a request half read), then Close the socket. The default is
// Close: what was written is delivered, then FIN. fn runs once per
// connection, also for a connection accepted while the Shutdown starts.
func OnShutdown(fn func(s *core.Socket)) Option {
	return core.NewServerOption("server.OnShutdown", func(st *core.Settings) error {
		if fn == nil {
			return fmt.Errorf("nil callback")
		}
		st.OnShutdown = fn
		return nil
	})
}

// Shutdown stops the server gracefully, as net/http.Server.Shutdown does:
// it stops accepting at once, asks each open connection to finish (the
// OnShutdown callback; by default a graceful Close), and waits until they
// have all closed. If ctx ends first, it force-closes the rest and returns
// ctx.Err(). It may be called more than once, and concurrently with Close
// and the Loop's Shutdown and Exit. Safe to call from any goroutine except
// the Loop's reactors, where it returns an error matching
// core.ErrInReactor.
func (srv *Server) Shutdown(ctx context.Context) error {
	if srv == nil || srv.ln == nil {
		return zeroServer("Server.Shutdown")
	}
	return srv.ln.Shutdown(ctx)
}

// Close stops accepting: new connections are refused, while the sockets
// already accepted live on until they close. Closing a closed server does
// nothing. It is the equivalent of cl-async's close-tcp-server. Safe to call
// from any goroutine.
func (srv *Server) Close() error {
	if srv == nil || srv.ln == nil {
		return zeroServer("Server.Close")
	}
	return srv.ln.Close()
}

// zeroServer is the error of a method called on a zero or nil Server.
func zeroServer(call string) error {
	return &core.ArgError{Call: call, Arg: "srv", Reason: "zero Server (servers come from TCPServer and TCPServerStream)"}
}

// Closed reports whether Close was called. It is the equivalent of
// cl-async's tcp-server-closed. Safe to call from any goroutine.
func (srv *Server) Closed() bool { return srv == nil || srv.ln == nil || srv.ln.Closed() }

// Done returns a channel that is closed when the server closes (Exit
// included). Safe to call from any goroutine.
func (srv *Server) Done() <-chan struct{} {
	if srv == nil || srv.ln == nil {
		return closedChan
	}
	return srv.ln.Done()
}

// closedChan is the Done channel of a zero Server.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Addr returns the address the server is bound to, with the real port when
// port 0 was asked for. Safe to call from any goroutine.
func (srv *Server) Addr() net.Addr {
	if srv == nil || srv.ln == nil {
		return nil
	}
	return srv.ln.Addr()
}
