package memtransport

import (
	"net"
	"net/netip"
	"sync"
)

// listener is a Network's net.Listener: Dial queues connections, Accept
// takes them in order.
type listener struct {
	nw   *Network
	ap   netip.AddrPort
	addr *net.TCPAddr

	mu     sync.Mutex // protects the fields below
	queue  []*Conn    // established, not accepted yet
	wait   chan struct{}
	closed bool
}

// enqueue queues c for Accept; it reports false if the listener is closed.
func (ln *listener) enqueue(c *Conn) bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.closed {
		return false
	}
	ln.queue = append(ln.queue, c)
	ln.wakeLocked()
	return true
}

func (ln *listener) wakeLocked() {
	if ln.wait != nil {
		close(ln.wait)
		ln.wait = nil
	}
}

// Accept waits for the next connection and returns it (a *Conn). Safe to
// call from any goroutine.
func (ln *listener) Accept() (net.Conn, error) {
	ln.mu.Lock()
	for {
		if ln.closed {
			ln.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: ln.addr, Err: net.ErrClosed}
		}
		if len(ln.queue) > 0 {
			c := ln.queue[0]
			ln.queue[0] = nil
			ln.queue = ln.queue[1:]
			ln.mu.Unlock()
			return c, nil
		}
		if ln.wait == nil {
			ln.wait = make(chan struct{})
		}
		wait := ln.wait
		ln.mu.Unlock()
		<-wait
		ln.mu.Lock()
	}
}

// Close stops listening: Accept returns an error matching net.ErrClosed,
// and the connections queued and not accepted are reset (their clients
// see syscall.ECONNRESET), as a kernel does. Safe to call from any
// goroutine.
func (ln *listener) Close() error {
	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		return &net.OpError{Op: "close", Net: "tcp", Addr: ln.addr, Err: net.ErrClosed}
	}
	ln.closed = true
	queued := ln.queue
	ln.queue = nil
	ln.wakeLocked()
	ln.mu.Unlock()
	ln.nw.remove(ln)
	for _, c := range queued {
		c.abort(true)
	}
	return nil
}

// Addr returns the listener's address (a *net.TCPAddr), with the port
// picked for port 0. Safe to call from any goroutine.
func (ln *listener) Addr() net.Addr { return ln.addr }
