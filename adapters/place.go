package adapters

import (
	"net"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core/transport"
)

// Placing a connection on the engine of asyncnet's own, without a goroutine
// per connection: gnet's Client.EnrollContext dups the descriptor, queues
// the registration on the event loop its balancer picks (the one with the
// fewest connections) and waits, on the caller's goroutine, until the loop
// has run OnOpen. (EventLoop.Enroll, which Reactor.Enroll uses, does the
// same on a goroutine of gnet's worker pool per connection.) The conn
// learns its reactor in OnOpen (engineHandler.OnOpen, reactorOf).

// Place hands nc to the event loop gnet picks, for ch.
func (t *engine) Place(nc net.Conn, ch transport.ConnHandler) error {
	return t.place(nc, ch)
}

// place is Place, for the doorman too.
func (t *engine) place(nc net.Conn, ch transport.ConnHandler) error {
	if nc.RemoteAddr() == nil { // gnet would panic on it
		_ = nc.Close()
		return errNoPeer
	}
	if !t.hub.gate.enter() {
		_ = nc.Close()
		return ErrStopped
	}
	defer t.hub.gate.leave()
	_, err := t.cli.EnrollContext(nc, newConn(nil, ch)) // closes nc
	return err
}

// reactorOf returns the reactor of the event loop el, or nil.
func (hb *hub) reactorOf(el gnet.EventLoop) *reactor {
	for _, r := range hb.reactors() {
		if r.el == el {
			return r
		}
	}
	return nil
}
