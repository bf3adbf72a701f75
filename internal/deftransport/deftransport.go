// Package deftransport links the gnet transport into core without core
// importing it: package adapters, which the packages that make sockets
// (client, server, stream) import, sets it when it is initialised, and a
// core.Loop given no transport (core.WithTransport) asks it for one. It is
// internal on purpose: there is no public, process-wide registry of
// transports; a program that wants another transport gives it to its Loop.
package deftransport

import (
	"sync/atomic"

	"github.com/asyncnet/asyncnet/core/transport"
)

// newTransport makes the transport of Loops given none.
var newTransport atomic.Pointer[func() transport.Transport]

// Set sets the transport of every Loop given none: f is called once per
// Loop. Safe to call from any goroutine.
func Set(f func() transport.Transport) { newTransport.Store(&f) }

// New returns a new instance of the default transport, or nil if none was
// set.
func New() transport.Transport {
	if f := newTransport.Load(); f != nil {
		return (*f)()
	}
	return nil
}
