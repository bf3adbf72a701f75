package memtransport

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// DefaultWindow is how many bytes each direction of a connection holds
// unread by default: what the peer's kernel buffers are to TCP. A writer
// whose reader has this much unread waits.
const DefaultWindow = 256 << 10

// Option configures a Network.
type Option func(*Network)

// WithWindow sets how many bytes each direction of the Network's
// connections holds unread; bytes <= 0 means DefaultWindow.
func WithWindow(bytes int) Option {
	return func(nw *Network) {
		if bytes <= 0 {
			bytes = DefaultWindow
		}
		nw.window = bytes
	}
}

// Network is an in-memory TCP network: Listen and Dial make connections
// that behave like loopback TCP (ordered bytes, half-close, reset, a
// bounded window per direction) without a kernel. A Transport made by New
// serves its connections with no goroutine of their own. Its methods are
// safe to call from any goroutine.
type Network struct {
	window int

	mu        sync.Mutex // protects listeners and nextPort
	listeners map[netip.AddrPort]*listener
	nextPort  uint16
}

// firstPort and lastPort bound the virtual ports Listen and Dial pick for
// port 0: the IANA dynamic range.
const (
	firstPort = 49152
	lastPort  = 65535
)

// NewNetwork returns an empty Network configured by opts (nil options
// are ignored).
func NewNetwork(opts ...Option) *Network {
	nw := &Network{window: DefaultWindow, listeners: make(map[netip.AddrPort]*listener), nextPort: firstPort}
	for _, o := range opts {
		if o != nil {
			o(nw)
		}
	}
	return nw
}

// Listen announces address ("127.0.0.1:0", "localhost:7000", ":8080") on
// the Network; port 0 picks a free virtual port, which the listener's Addr
// reports. Host names other than localhost are not resolved. An address in
// use is an error matching syscall.EADDRINUSE. Safe to call from any
// goroutine.
func (nw *Network) Listen(address string) (net.Listener, error) {
	ap, err := parseAddr(address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Err: err}
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if ap.Port() == 0 {
		port, ok := nw.freePortLocked(ap.Addr())
		if !ok {
			return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: tcpAddr(ap), Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
		}
		ap = netip.AddrPortFrom(ap.Addr(), port)
	} else if nw.inUseLocked(ap) {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: tcpAddr(ap), Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	ln := &listener{nw: nw, ap: ap, addr: tcpAddr(ap)}
	nw.listeners[ap] = ln
	return ln, nil
}

// Dial connects to the listener at address, as net.Dialer.DialContext
// does for "tcp": it returns once the connection is established (queued
// for Accept), with an error matching syscall.ECONNREFUSED if nothing
// listens there, or ctx's error if ctx is done. The Conn it returns is
// the client's end. Safe to call from any goroutine.
func (nw *Network) Dial(ctx context.Context, address string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	ap, err := parseAddr(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	nw.mu.Lock()
	ln := nw.lookupLocked(ap)
	local := ap.Addr()
	if !local.IsValid() || local.IsUnspecified() {
		local = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if ap.Addr().Is6() && !ap.Addr().Is4In6() {
			local = netip.IPv6Loopback()
		}
	}
	lport, _ := nw.freePortLocked(local)
	nw.mu.Unlock()
	raddr := tcpAddr(ap)
	if ln == nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: raddr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	laddr := tcpAddr(netip.AddrPortFrom(local, lport))
	srvAddr := tcpAddr(netip.AddrPortFrom(local, ap.Port()))
	if !ln.ap.Addr().IsUnspecified() {
		srvAddr = ln.addr
	}
	lk := newLink(nw.window)
	client, server := newEndpoint(lk, 0, laddr, srvAddr), newEndpoint(lk, 1, srvAddr, laddr)
	if !ln.enqueue(server) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: raddr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	return client, nil
}

// lookupLocked returns the listener that takes connections to ap, or nil.
func (nw *Network) lookupLocked(ap netip.AddrPort) *listener {
	if ln := nw.listeners[ap]; ln != nil {
		return ln
	}
	if ln := nw.listeners[netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port())]; ln != nil && ap.Addr().Is4() {
		return ln
	}
	return nw.listeners[netip.AddrPortFrom(netip.IPv6Unspecified(), ap.Port())]
}

// inUseLocked reports whether a listener holds ap, or one that overlaps
// it (the unspecified address with its port).
func (nw *Network) inUseLocked(ap netip.AddrPort) bool {
	if nw.listeners[ap] != nil {
		return true
	}
	if ap.Addr().IsUnspecified() {
		for k := range nw.listeners {
			if k.Port() == ap.Port() {
				return true
			}
		}
		return false
	}
	return nw.lookupLocked(ap) != nil
}

// freePortLocked returns a port no listener holds on addr, if any is left.
func (nw *Network) freePortLocked(addr netip.Addr) (uint16, bool) {
	for range lastPort - firstPort + 1 {
		p := nw.nextPort
		if nw.nextPort++; nw.nextPort == 0 || nw.nextPort > lastPort {
			nw.nextPort = firstPort
		}
		if !nw.inUseLocked(netip.AddrPortFrom(addr, p)) {
			return p, true
		}
	}
	return 0, false
}

// remove forgets ln (closed).
func (nw *Network) remove(ln *listener) {
	nw.mu.Lock()
	if nw.listeners[ln.ap] == ln {
		delete(nw.listeners, ln.ap)
	}
	nw.mu.Unlock()
}

// parseAddr parses "host:port", where host is an IP address, localhost or
// empty (every address).
func parseAddr(address string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, &net.AddrError{Err: "invalid port", Addr: address}
	}
	var ip netip.Addr
	switch host {
	case "":
		ip = netip.IPv4Unspecified()
	case "localhost":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			return netip.AddrPort{}, &net.AddrError{Err: "not an IP address (memtransport resolves no names)", Addr: address}
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}

func tcpAddr(ap netip.AddrPort) *net.TCPAddr { return net.TCPAddrFromAddrPort(ap) }
