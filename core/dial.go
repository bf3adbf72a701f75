package core

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/asyncnet/asyncnet/core/transport"
)

// TCPDial describes an outgoing TCP connection to an IP address, for
// Socket.ConnectTCP: what a DialFunc would do, as data, so that a transport
// can make the connection itself.
type TCPDial struct {
	// Addr is the peer's IP address and port.
	Addr netip.AddrPort
	// Timeout bounds the time connecting may take; 0 leaves it to the
	// operating system.
	Timeout time.Duration
	// KeepAlive is the connection's TCP keepalive, as net.Dialer takes it
	// (off unless Enable); Settings.KeepAliveConfig gives it for a socket.
	KeepAlive net.KeepAliveConfig
}

// ConnectTCP starts connecting s, a socket from NewSocket, to d.Addr and
// returns at once, as Connect does with a DialFunc that dials d.Addr with
// net.Dialer. Where the Loop's transport makes connections itself (the
// default transport does on Linux), no goroutine is started for the
// connect: a burst of connects costs no goroutine each. addr names the peer
// in conditions until the socket is connected. Safe to call from any
// goroutine.
func (s *Socket) ConnectTCP(addr string, d TCPDial) error {
	const call = "Socket.ConnectTCP"
	if s == nil || s.loop == nil {
		return zeroSocket(call)
	}
	if !d.Addr.IsValid() {
		return &ArgError{Call: call, Arg: "d", Reason: "no address"}
	}
	ctx, cancel, err := s.startConnect(call, addr)
	if err != nil {
		return err
	}
	l := s.loop
	if dr, ok := l.transport().(transport.Dialer); ok {
		td := transport.Dial{Addr: d.Addr, Timeout: d.Timeout, KeepAlive: d.KeepAlive}
		stop, err := dr.Dial(td, (*socketEvents)(s), func(err error) { s.dialed(ctx, cancel, err) })
		if err == nil {
			s.mu.Lock()
			s.cancelDial = func() { cancel(); stop() }
			s.mu.Unlock()
			if ctx.Err() != nil { // force-closed before cancelDial covered the transport's connect
				stop()
			}
			return nil
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			l.log.Warn("asyncnet: the transport cannot connect; connecting on a goroutine", "addr", addr, "err", err)
		}
	}
	go s.dial(ctx, cancel, d.dialFunc())
	return nil
}

// dialFunc returns the DialFunc that makes d's connection with net.Dialer.
func (d TCPDial) dialFunc() DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		nd := net.Dialer{Timeout: d.Timeout, KeepAliveConfig: d.KeepAlive}
		if !d.KeepAlive.Enable {
			nd.KeepAlive = -1
		}
		return nd.DialContext(ctx, "tcp", d.Addr.String())
	}
}

// transport returns the Loop's transport once it has started, else nil.
func (l *Loop) transport() Transport {
	if !l.started.Load() {
		return nil
	}
	return l.tr
}
