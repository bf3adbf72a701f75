package server

import (
	"context"
	"fmt"
	"net"
	"syscall"

	_ "github.com/asyncnet/asyncnet/adapters" // links in gnet, the transport of Loops given none
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/netaddr"
)

// Option configures a server and the sockets it accepts: the options of
// core that apply to servers (core.OnEvent, core.OnConnect,
// core.WithReadTimeout, ...) and those of this package.
type Option = core.ServerOption

// Server is a TCP server on a Loop, the equivalent of cl-async's
// tcp-server object: core.Server, under the name the server package has
// always given it. Its methods (Close, Closed, Shutdown, Done, Addr) are
// safe to call from any goroutine.
type Server = core.Server

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
	st, err := core.ResolveServer(call, opts)
	if err == nil && st.SocketFileMode != 0 {
		return nil, &core.ArgError{Call: call, Arg: "server.WithSocketMode", Reason: "applies to PipeServer only"}
	}
	return st, err
}

// serve listens on addr and serves it with the resolved settings st.
func serve(l *core.Loop, addr string, onRead core.ReadFunc, st *core.Settings) (*Server, error) {
	ln, err := listen(addr, st)
	if err != nil {
		return nil, conditions.New(conditions.TCPServerBindError, "listen", addr, err)
	}
	srv, err := l.ServeWith(ln, onRead, st)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	return srv, nil
}

// listen binds addr, with the backlog, keepalive and port sharing of st.
func listen(addr string, st *core.Settings) (net.Listener, error) {
	lc := listenConfig(st.KeepAliveConfig())
	if st.ReusePort {
		lc.Control = chainControl(lc.Control, reusePort)
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

// chainControl returns a net.ListenConfig Control that runs first (if
// any), then next.
func chainControl(first, next func(network, address string, c syscall.RawConn) error) func(network, address string, c syscall.RawConn) error {
	if first == nil {
		return next
	}
	return func(network, address string, c syscall.RawConn) error {
		if err := first(network, address, c); err != nil {
			return err
		}
		return next(network, address, c)
	}
}

// WithReusePort sets SO_REUSEPORT on the server's socket, so that several
// servers (of this process or of others, all with WithReusePort and of the
// same user) listen on one address and the kernel spreads new connections
// among them. It is how one machine runs several processes of one service
// without a balancer in front (docs/scaling.md), and how a new version
// starts listening before the old one stops.
//
// When a server closes, on Linux the connections the kernel had queued for
// it and not yet handed to it are reset, unless the sysctl
// net.ipv4.tcp_migrate_req is 1 (Linux 5.14 and later), which moves them
// to another listener of the port. Shutdown (the Server's or the Loop's)
// therefore first accepts and serves what the queue holds, then closes the
// listener (docs/production.md); Close does not. On an older kernel a
// rolling restart still loses the connections that arrive between the
// last accept and the close. Not supported on Windows (the call fails with
// an error).
func WithReusePort() Option {
	return core.NewServerOption("server.WithReusePort", func(st *core.Settings) error {
		st.ReusePort = true
		return nil
	})
}

// WithProxyProtocol makes the server read a PROXY protocol header (version
// 1 or 2, as HAProxy's send-proxy and send-proxy-v2 and cloud load
// balancers send it) at the start of every connection, before anything
// else: the OnConnect callback runs once the header is in, RemoteAddr and
// LocalAddr report the client's addresses the header gives (a LOCAL or
// UNKNOWN header, a balancer's health check, leaves the real ones), and
// the first read callback gets what follows the header.
//
// A malformed header, or one that does not arrive within 5 seconds (or
// the server's read timeout, if shorter), resets the connection and
// reaches the server's event callback as a conditions.TCPAcceptError
// matching core.ErrProxyHeader, with no socket: the connection never
// became the application's. A connection that closes before its header
// (a health check that only connects) closes quietly. Only use it behind
// a balancer that sends the header: a client that connects directly could
// otherwise claim any address.
func WithProxyProtocol() Option {
	return core.NewServerOption("server.WithProxyProtocol", func(st *core.Settings) error {
		st.ProxyProtocol = true
		return nil
	})
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
