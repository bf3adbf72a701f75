package core

import (
	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/deftransport"
)

// Names that remain for programs written against them; each says what
// replaced it. The interface between a Loop and its event loops is package
// core/transport.

// Transport runs the reactors of one Loop.
//
// Deprecated: use transport.Transport.
type Transport = transport.Transport

// TransportConfig is what a Loop asks of its Transport.
//
// Deprecated: use transport.Config.
type TransportConfig = transport.Config

// Reactor is one event-loop goroutine of a Transport.
//
// Deprecated: use transport.Reactor.
type Reactor = transport.Reactor

// Handler receives a Transport's loop-wide events.
//
// Deprecated: use transport.Handler.
type Handler = transport.Handler

// Persistent is implemented by a Transport that keeps its Loop running.
//
// Deprecated: use transport.Persistent.
type Persistent = transport.Persistent

// ConnHandler receives the events of one connection.
//
// Deprecated: use transport.ConnHandler.
type ConnHandler = transport.ConnHandler

// Conn is the transport's side of one connection (stream.Conn is the
// blocking net.Conn view of a socket).
//
// Deprecated: use transport.Conn.
type Conn = transport.Conn

// SetDefaultTransport sets the transport of every Loop not given one with
// WithTransport, for the whole process.
//
// Deprecated: give the Loop its transport with WithTransport; the gnet
// transport is the default whenever package adapters is linked in (as it
// is by client, server and stream).
func SetDefaultTransport(newTransport func() Transport) { deftransport.Set(newTransport) }

// Drains reports whether the socket hands the bytes it receives to its
// read callback: the opposite of KeepsReads.
//
// Deprecated: use KeepsReads.
func (s *Socket) Drains() bool { return !s.KeepsReads() }

// Listener is the old name of Server.
//
// Deprecated: use Server.
type Listener = Server
