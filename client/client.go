package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	_ "github.com/asyncnet/asyncnet/adapters" // registers the gnet transport
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/netaddr"
)

// Option configures an outgoing socket. Every core.Option that applies to
// outgoing sockets is an Option (core.OnEvent, core.OnConnect, ...).
type Option = core.Option

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

type (
	dataKey        struct{}
	dialTimeoutKey struct{}
	resolverKey    struct{}
)

// WithData sends p as soon as the connection is established, before any
// later write (cl-async's :data). p is copied.
func WithData(p []byte) Option {
	data := append([]byte(nil), p...)
	return core.NewOption("client.WithData", core.ForConnect, func(st *core.Settings) error {
		st.SetValue(dataKey{}, data)
		return nil
	})
}

// WithDialTimeout limits the time name resolution plus connecting may take;
// past it the event callback gets conditions.TCPTimeout. 0, the default,
// leaves the limit to the operating system.
func WithDialTimeout(d time.Duration) Option {
	return core.NewOption("client.WithDialTimeout", core.ForConnect, func(st *core.Settings) error {
		if d < 0 {
			return fmt.Errorf("negative duration %v", d)
		}
		st.SetValue(dialTimeoutKey{}, d)
		return nil
	})
}

// WithResolver looks host names up with r instead of net.DefaultResolver.
func WithResolver(r Resolver) Option {
	return core.NewOption("client.WithResolver", core.ForConnect, func(st *core.Settings) error {
		if r == nil {
			return fmt.Errorf("nil resolver")
		}
		st.SetValue(resolverKey{}, r)
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
	dial, err := newDialer(call, addr, opts)
	if err != nil {
		return nil, err
	}
	s, err := initSocket(call, l, onRead, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(addr, dial); err != nil {
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
// ConnectTCPSocket connects it. Writes made meanwhile are sent once it
// connects. It is the equivalent of cl-async's init-tcp-socket. Safe to
// call from any goroutine while l runs.
func InitTCPSocket(l *core.Loop, onRead core.ReadFunc, opts ...Option) (*core.Socket, error) {
	return initSocket("client.InitTCPSocket", l, onRead, opts)
}

func initSocket(call string, l *core.Loop, onRead core.ReadFunc, opts []Option) (*core.Socket, error) {
	if l == nil {
		return nil, &core.ArgError{Call: call, Arg: "l", Reason: "nil Loop"}
	}
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st, err := core.Configure(call, core.ForConnect, opts...)
	if err != nil {
		return nil, err
	}
	s, err := core.NewSocket(l, onRead, opts...)
	if err != nil {
		return nil, err
	}
	if data, _ := st.Value(dataKey{}).([]byte); len(data) > 0 {
		_, _ = s.Write(data)
	}
	return s, nil
}

// connectOptions are the options ConnectTCPSocket takes; the others belong
// to InitTCPSocket.
var connectOptions = map[string]bool{"client.WithDialTimeout": true, "client.WithResolver": true}

// ConnectTCPSocket connects s, a socket from InitTCPSocket, to addr, as
// TCPConnect does, and returns s. It takes WithDialTimeout and
// WithResolver. It is the equivalent of cl-async's connect-tcp-socket. Safe
// to call from any goroutine.
func ConnectTCPSocket(s *core.Socket, addr string, opts ...Option) (*core.Socket, error) {
	const call = "client.ConnectTCPSocket"
	if s == nil {
		return nil, &core.ArgError{Call: call, Arg: "s", Reason: "nil Socket"}
	}
	for _, o := range opts {
		if !connectOptions[o.Name()] {
			return nil, &core.ArgError{Call: call, Arg: o.Name(), Reason: "option does not apply here (pass it to InitTCPSocket)"}
		}
	}
	dial, err := newDialer(call, addr, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(addr, dial); err != nil {
		return nil, err
	}
	return s, nil
}

// newDialer checks addr and returns the DialFunc that resolves and connects
// to it.
func newDialer(call, addr string, opts []Option) (core.DialFunc, error) {
	a, err := netaddr.Parse(addr, netaddr.Dial)
	if err != nil {
		return nil, &core.ArgError{Call: call, Arg: "addr", Reason: err.Error()}
	}
	host, port := a.Host, a.Port
	st, err := core.Configure(call, core.ForConnect, opts...)
	if err != nil {
		return nil, err
	}
	timeout, _ := st.Value(dialTimeoutKey{}).(time.Duration)
	keepAlive := st.KeepAliveConfig()
	res, _ := st.Value(resolverKey{}).(Resolver)
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
	}, nil
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
