package core

import (
	"errors"
	"net"
	"os"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

// The PROXY protocol (server.WithProxyProtocol): a balancer in front
// (HAProxy's send-proxy, send-proxy-v2, a cloud load balancer) starts each
// connection with a header naming the client. The socket reads it before
// anything else, from the transport's buffer in place: its OnConnect
// callback runs once the header is in, with RemoteAddr and LocalAddr
// reporting the header's addresses, and its first read callback gets what
// follows the header.

// ErrProxyHeader is the cause of the condition a server with
// server.WithProxyProtocol reports for a connection whose PROXY protocol
// header is malformed, or does not arrive in time (then the condition also
// matches os.ErrDeadlineExceeded). The condition is a
// conditions.TCPAcceptError delivered to the server's event callback with
// no socket (the connection never became one); the connection is reset.
var ErrProxyHeader = errors.New("asyncnet: bad PROXY protocol header")

// proxyHeaderWait bounds how long a connection may take to send its PROXY
// header (a balancer sends it at once), or the server's read timeout if
// that is shorter.
const proxyHeaderWait = 5 * time.Second

// proxyWait is the reactor's state of a socket waiting for its header. It
// stays set on a socket that closes before its header is in: such a socket
// never was the application's, and is not counted (Counters).
type proxyWait struct {
	timer timerNode
}

// proxyTimer is a Socket as the owner of its header timer.
type proxyTimer Socket

// awaitProxyHeader makes s, just opened, wait for its header before its
// connect callback. Reactor only.
func (s *Socket) awaitProxyHeader() {
	d := proxyHeaderWait
	if rt := s.cfg.readTimeout; rt > 0 && rt < d {
		d = rt
	}
	s.hdr = &proxyWait{}
	s.hdr.timer.owner = (*proxyTimer)(s)
	s.r.refresh()
	s.r.addTimer(&s.hdr.timer, s.r.now+s.loop.ticks(d)+1)
}

// expire fails a header that has not arrived in time.
func (t *proxyTimer) expire(*timerNode) {
	s := (*Socket)(t)
	if s.hdr == nil || s.conn == nil || s.isClosed() {
		return
	}
	s.proxyFailed(&net.OpError{Op: "read", Net: "tcp", Addr: s.RemoteAddr(),
		Err: errors.Join(ErrProxyHeader, os.ErrDeadlineExceeded)})
}

// readProxyHeader reads the header from c's buffer, and reports whether
// the socket goes on: the header is in, the connect callback has run, and
// the socket is still open. Reactor only.
func (s *Socket) readProxyHeader(c transport.Conn) bool {
	n := min(c.InboundBuffered(), 16+proxyproto.DefaultMaxV2Length)
	if n == 0 {
		return false
	}
	data, err := c.Peek(n)
	if err != nil {
		return false
	}
	h, used, err := proxyproto.Parse(data)
	switch {
	case errors.Is(err, proxyproto.ErrIncomplete):
		return false // more to come; the timer bounds the wait
	case err != nil:
		s.proxyFailed(errors.Join(ErrProxyHeader, err))
		return false
	}
	_, _ = c.Discard(used)
	s.r.wheel.remove(&s.hdr.timer)
	s.hdr = nil
	s.r.count.opened(true)
	if h.HasAddrs() {
		s.mu.Lock()
		s.raddr, s.laddr = headerAddr(h, true), headerAddr(h, false)
		s.mu.Unlock()
	}
	if cb := s.cbs.Load().connect; cb != nil {
		s.callSocket(cb)
	}
	return s.conn != nil && !s.isClosed()
}

// headerAddr returns the source (or destination) address of h.
func headerAddr(h proxyproto.Header, source bool) net.Addr {
	if h.Family.IsUnix() {
		if source {
			return &net.UnixAddr{Name: h.SourcePath, Net: "unix"}
		}
		return &net.UnixAddr{Name: h.DestinationPath, Net: "unix"}
	}
	if source {
		return net.TCPAddrFromAddrPort(h.Source)
	}
	return net.TCPAddrFromAddrPort(h.Destination)
}

// dropProxyWait forgets the wait of a socket that closed before its
// header came: it closes without an event (a balancer's health check
// connects and closes). Reactor only.
func (s *Socket) dropProxyWait() {
	s.r.wheel.remove(&s.hdr.timer)
	s.mu.Lock()
	s.userClosed = true
	s.mu.Unlock()
}

// proxyFailed reports a bad or late header to the server's event callback
// and resets the connection, which never became the application's socket.
// Reactor only.
func (s *Socket) proxyFailed(err error) {
	s.r.wheel.remove(&s.hdr.timer)
	s.mu.Lock()
	peer := s.peerLocked()
	s.mu.Unlock()
	ev := conditions.New(conditions.TCPAcceptError, "proxy", peer, err)
	s.loop.stats.acceptErrors.Add(1)
	s.loop.deliver(nil, s.cfg.cbs.event, ev)
	s.mu.Lock()
	s.closeLocked(true, true) // unlocks; no closing event: the application never had it
}
