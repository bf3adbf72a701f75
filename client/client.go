package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	_ "github.com/asyncnet/asyncnet/adapters" // links in gnet, the transport of Loops given none
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/netaddr"
)

// Option configures an outgoing socket: the options of core that apply
// to outgoing sockets (core.OnEvent, core.OnConnect, core.WithReadTimeout,
// ...) and those of this package.
type Option = core.ConnectOption

// DialOption configures how ConnectTCPSocket connects: WithDialTimeout,
// WithResolver, core.OnEvent.
type DialOption = core.DialOption

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver = core.Resolver

// WithData sends p as soon as the connection is established, before any
// later write (cl-async's :data). p is copied.
func WithData(p []byte) Option {
	data := append([]byte(nil), p...)
	return core.NewConnectOption("client.WithData", func(st *core.Settings) error {
		st.Data = data
		return nil
	})
}

// WithDialTimeout limits the time name resolution plus connecting may take;
// past it the event callback gets conditions.TCPTimeout. 0, the default,
// leaves the limit to the operating system. It applies to TCPConnect,
// InitTCPSocket (for the later ConnectTCPSocket) and ConnectTCPSocket.
func WithDialTimeout(d time.Duration) core.ConnectDialOption {
	return core.NewDialOption("client.WithDialTimeout", func(st *core.Settings) error {
		if d < 0 {
			return fmt.Errorf("negative duration %v", d)
		}
		st.DialTimeout = d
		return nil
	})
}

// OnShutdown sets how the Loop's Shutdown asks the socket to finish,
// instead of closing it gracefully at once: fn runs on the socket's
// reactor (once it is connected, if it is still connecting) and should
// let the exchange under way finish, then Close the socket. A proxy gives
// it to its backend connections, whose replies its clients still wait
// for. fn runs once per socket; the Shutdown's context bounds the wait.
func OnShutdown(fn func(s *core.Socket)) Option {
	return core.NewConnectOption("client.OnShutdown", func(st *core.Settings) error {
		if fn == nil {
			return fmt.Errorf("nil callback")
		}
		st.OnShutdown = fn
		return nil
	})
}

// WithReadTimeoutFromDial makes the read timeout (core.WithReadTimeout)
// bound the name lookup and the connect too, as cl-async's :read-timeout
// does (its timer starts at tcp-connect): the dial gives up with
// conditions.TCPTimeout once the read timeout has passed (or
// WithDialTimeout, if shorter). The read timeout itself then starts
// again when the connection is made.
func WithReadTimeoutFromDial() Option {
	return core.NewConnectOption("client.WithReadTimeoutFromDial", func(st *core.Settings) error {
		st.ReadFromDial = true
		return nil
	})
}

// WithResolver looks host names up with r instead of net.DefaultResolver.
func WithResolver(r Resolver) core.ConnectDialOption {
	return core.NewDialOption("client.WithResolver", func(st *core.Settings) error {
		if r == nil {
			return fmt.Errorf("nil resolver")
		}
		st.Resolver = r
		return nil
	})
}

// TCPConnect opens a TCP connection to addr on l and returns its socket at
// once; bytes arriving on it go to onRead. It is the equivalent of
// cl-async's tcp-connect.
//
// addr is "host:port"; the host may be an IPv4 or IPv6 address or a name.
// Resolution and connecting happen in the background, never blocking the
// caller or a reactor, so TCPConnect may be called from any callback. Then
// the OnConnect callback runs, then the bytes written so far are sent. If
// the connection cannot be made, the OnEvent callback gets
// conditions.DNSError, conditions.TCPRefused, conditions.TCPTimeout or
// another conditions.TCPError, once, with the socket already closed. A bad
// argument is an error returned at once. Safe to call from any goroutine
// while l runs.
func TCPConnect(l *core.Loop, addr string, onRead core.ReadFunc, opts ...Option) (*core.Socket, error) {
	const call = "client.TCPConnect"
	a, err := parseAddr(call, addr)
	if err != nil {
		return nil, err
	}
	st, err := core.ResolveConnect(call, opts)
	if err != nil {
		return nil, err
	}
	s, err := newSocket(call, l, onRead, st)
	if err != nil {
		return nil, err
	}
	if err := connect(s, addr, a, st); err != nil {
		_ = s.ForceClose()
		return nil, err
	}
	return s, nil
}

// TCPSend is the old name of TCPConnect.
//
// Deprecated: use TCPConnect, as cl-async's tcp-send is deprecated in favour
// of tcp-connect.
func TCPSend(l *core.Loop, addr string, onRead core.ReadFunc, opts ...Option) (*core.Socket, error) {
	return TCPConnect(l, addr, onRead, opts...)
}

// InitTCPSocket returns an outgoing socket that is not connected yet;
// ConnectTCPSocket connects it, with the dial settings given here
// (WithDialTimeout, WithResolver, core.WithTCPKeepAlive) unless it is given
// others. Writes made meanwhile are sent once it connects. It is the
// equivalent of cl-async's init-tcp-socket. Safe to call from any
// goroutine while l runs.
func InitTCPSocket(l *core.Loop, onRead core.ReadFunc, opts ...Option) (*core.Socket, error) {
	const call = "client.InitTCPSocket"
	st, err := core.ResolveConnect(call, opts)
	if err != nil {
		return nil, err
	}
	return newSocket(call, l, onRead, st)
}

// newSocket makes the socket of an outgoing connection, with the data of
// WithData queued first.
func newSocket(call string, l *core.Loop, onRead core.ReadFunc, st *core.Settings) (*core.Socket, error) {
	if l == nil {
		return nil, &core.ArgError{Call: call, Arg: "l", Reason: "nil Loop"}
	}
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	s, err := core.NewSocketWith(l, onRead, st)
	if err != nil {
		return nil, err
	}
	if len(st.Data) > 0 {
		_, _ = s.Write(st.Data)
	}
	return s, nil
}

// ConnectTCPSocket connects s, a socket from InitTCPSocket, to addr, as
// TCPConnect does, and returns s. Its options (WithDialTimeout,
// WithResolver, core.OnEvent) override those given to InitTCPSocket;
// core.OnEvent replaces the socket's event callback, as cl-async's
// connect-tcp-socket :event-cb does. It is the equivalent of cl-async's
// connect-tcp-socket. Safe to call from any goroutine.
func ConnectTCPSocket(s *core.Socket, addr string, opts ...DialOption) (*core.Socket, error) {
	const call = "client.ConnectTCPSocket"
	if s == nil || s.Loop() == nil {
		return nil, &core.ArgError{Call: call, Arg: "s", Reason: "nil or zero Socket"}
	}
	a, err := parseAddr(call, addr)
	if err != nil {
		return nil, err
	}
	dst, err := core.ResolveDial(call, opts)
	if err != nil {
		return nil, err
	}
	st := s.Settings()
	if dst.DialTimeout != 0 {
		st.DialTimeout = dst.DialTimeout
	}
	if dst.Resolver != nil {
		st.Resolver = dst.Resolver
	}
	if dst.OnEvent != nil {
		if err := s.WriteSocketData(nil, core.OnEvent(dst.OnEvent)); err != nil {
			return nil, err
		}
	}
	if err := connect(s, addr, a, &st); err != nil {
		return nil, err
	}
	return s, nil
}

// parseAddr checks addr, for a connection.
func parseAddr(call, addr string) (netaddr.Addr, error) {
	a, err := netaddr.Parse(addr, netaddr.Dial)
	if err != nil {
		return a, &core.ArgError{Call: call, Arg: "addr", Reason: err.Error()}
	}
	return a, nil
}

// connect starts connecting s to a, as st says. An IP address is
// connected to by the Loop's transport where it can, with no goroutine per
// connect (Socket.ConnectTCP); a host name is looked up, then connected to,
// on a goroutine (Socket.Connect with dialer).
func connect(s *core.Socket, addr string, a netaddr.Addr, st *core.Settings) error {
	if ip, err := netip.ParseAddr(a.Host); err == nil {
		return s.ConnectTCP(addr, core.TCPDial{Addr: netip.AddrPortFrom(ip.Unmap(), a.Port),
			Timeout: dialTimeout(st), KeepAlive: st.KeepAliveConfig()})
	}
	return s.Connect(addr, dialer(a, st))
}

// dialer returns the DialFunc that resolves and connects to a, as st says.
func dialer(a netaddr.Addr, st *core.Settings) core.DialFunc {
	host, port := a.Host, a.Port
	timeout := dialTimeout(st)
	keepAlive := st.KeepAliveConfig()
	res := st.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	return func(ctx context.Context) (net.Conn, error) {
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		ips, err := lookup(ctx, res, host)
		if err != nil {
			return nil, conditions.New(lookupKind(err), "lookup", host, err)
		}
		d := net.Dialer{KeepAliveConfig: keepAlive}
		if !keepAlive.Enable {
			d.KeepAlive = -1
		}
		var first error
		for _, ip := range ips {
			nc, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(ip, port).String())
			if err == nil {
				return nc, nil
			}
			if first == nil {
				first = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		return nil, first
	}
}

// dialTimeout returns the limit of a connect: WithDialTimeout, or the read
// timeout if WithReadTimeoutFromDial makes it bound the connect and it is
// shorter; 0 for none.
func dialTimeout(st *core.Settings) time.Duration {
	timeout := st.DialTimeout
	if st.ReadFromDial && st.ReadTimeout > 0 && (timeout == 0 || st.ReadTimeout < timeout) {
		timeout = st.ReadTimeout
	}
	return timeout
}

// lookup returns the addresses of host: itself if it is an IP address.
func lookup(ctx context.Context, res Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := res.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// lookupKind is DNSError, or TCPTimeout when the dial timeout ran out
// during the lookup.
func lookupKind(err error) *conditions.Kind {
	if k := conditions.KindOf(err); k == conditions.TCPTimeout {
		return k
	}
	return conditions.DNSError
}
