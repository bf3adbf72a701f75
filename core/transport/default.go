package transport

import "sync/atomic"

// defaultTransport makes the transport of Loops given none.
var defaultTransport atomic.Pointer[func() Transport]

// SetDefault sets the transport of every Loop not given one with
// core.WithTransport: newTransport is called once per Loop. Package
// adapters sets gnet's when it is linked into the program, as it is
// whenever the program uses package client, server or stream; a program
// that links only core (timers, no sockets) runs its Loops on core's own
// reactors. Safe to call from any goroutine.
func SetDefault(newTransport func() Transport) {
	defaultTransport.Store(&newTransport)
}

// Default returns a new instance of the default transport, or nil if none
// was set.
func Default() Transport {
	if f := defaultTransport.Load(); f != nil {
		return (*f)()
	}
	return nil
}
