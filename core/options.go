package core

import (
	"fmt"
)

// Target is a set of calls an Option may be passed to.
type Target uint8

const (
	// ForConnect marks options of outgoing sockets: client.TCPConnect,
	// client.InitTCPSocket, client.ConnectTCPSocket and NewSocket.
	ForConnect Target = 1 << iota
	// ForServer marks options of servers and the sockets they accept:
	// server.TCPServer and Loop.Serve.
	ForServer
	// ForWrite marks options of Socket.WriteSocketData.
	ForWrite
)

// Option configures a socket, a server or a write. The On* options set
// callbacks; the With* options set values. Options of packages client and
// server are Options too, so all of them mix in one argument list; passing
// one where it does not apply is an error returned by the call.
type Option struct {
	name    string
	targets Target
	apply   func(*Settings) error
}

// NewOption returns an Option called name (for error messages, e.g.
// "client.WithData") that may be passed to the calls in targets and records
// its choice with apply. It is for packages that add entry points, like
// client and server; applications use the ready-made options.
func NewOption(name string, targets Target, apply func(*Settings) error) Option {
	return Option{name: name, targets: targets, apply: apply}
}

// Name returns the option's name, such as "core.WithReadTimeout".
func (o Option) Name() string { return o.name }

// Settings is what a list of Options chose. Entry points read it; set it
// only through Options.
type Settings struct {
	OnRead              ReadFunc    // core.OnRead (WriteSocketData only)
	OnEvent             EventFunc   // core.OnEvent
	OnConnect           ConnectFunc // core.OnConnect
	OnWrite             WriteFunc   // core.OnWrite
	DontDrainReadBuffer bool        // core.WithDontDrainReadBuffer

	values map[any]any // values of options from other packages, by key
}

// Value returns the value an option of another package stored under key
// with SetValue, or nil.
func (st *Settings) Value(key any) any { return st.values[key] }

// SetValue stores v under key. Packages that define options (client,
// server) use unexported key types, as with context.WithValue.
func (st *Settings) SetValue(key, v any) {
	if st.values == nil {
		st.values = make(map[any]any)
	}
	st.values[key] = v
}

// Configure applies opts for call (named in error messages) and returns the
// result. It fails, naming the option, if one does not apply to target or
// has a bad value.
func Configure(call string, target Target, opts ...Option) (*Settings, error) {
	st := new(Settings)
	for i, o := range opts {
		if o.apply == nil {
			return nil, &ArgError{Call: call, Arg: fmt.Sprintf("option %d", i), Reason: "zero Option (use the On* and With* functions)"}
		}
		if o.targets&target == 0 {
			return nil, &ArgError{Call: call, Arg: o.name, Reason: "option does not apply here"}
		}
		if err := o.apply(st); err != nil {
			return nil, &ArgError{Call: call, Arg: o.name, Reason: err.Error()}
		}
	}
	return st, nil
}

// OnRead replaces a socket's read callback. It applies to
// Socket.WriteSocketData (cl-async's write-socket-data :read-cb); the
// callback of a new socket is the onRead argument of its entry point.
func OnRead(fn ReadFunc) Option {
	return NewOption("core.OnRead", ForWrite, func(st *Settings) error {
		if fn == nil {
			return fmt.Errorf("nil callback")
		}
		st.OnRead = fn
		return nil
	})
}

// OnEvent sets the event callback (cl-async's :event-cb). On a server it is
// the event callback of every accepted socket and also receives the
// server's accept errors (with a nil socket). Without one, conditions are
// dropped; the socket is closed all the same.
func OnEvent(fn EventFunc) Option {
	return NewOption("core.OnEvent", ForConnect|ForServer|ForWrite, func(st *Settings) error {
		st.OnEvent = fn
		return nil
	})
}

// OnConnect sets the connect callback (cl-async's :connect-cb): called once
// the connection is established, before the first read callback. On a
// server it is called for every accepted socket.
func OnConnect(fn ConnectFunc) Option {
	return NewOption("core.OnConnect", ForConnect|ForServer, func(st *Settings) error {
		st.OnConnect = fn
		return nil
	})
}

// OnWrite sets the write callback (cl-async's :write-cb), called each time
// the bytes of a flush have all been handed to the kernel. With
// WriteSocketData it replaces the socket's write callback from that write on.
func OnWrite(fn WriteFunc) Option {
	return NewOption("core.OnWrite", ForConnect|ForServer|ForWrite, func(st *Settings) error {
		st.OnWrite = fn
		return nil
	})
}

// WithDontDrainReadBuffer leaves incoming bytes in the socket's input buffer
// (cl-async's :dont-drain-read-buffer): the read callback becomes a
// notification with nil data, and a stream over the socket reads the bytes
// (see package stream).
func WithDontDrainReadBuffer() Option {
	return NewOption("core.WithDontDrainReadBuffer", ForConnect|ForServer, func(st *Settings) error {
		st.DontDrainReadBuffer = true
		return nil
	})
}
