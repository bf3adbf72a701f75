package core

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Options. Each entry point takes the options that can apply there, and
// the compiler checks it: an option of outgoing sockets (client.WithData)
// does not fit server.TCPServer, and OnRead fits only WriteSocketData.
// The options shared by several entry points (OnEvent, WithReadTimeout,
// ...) fit each of them. Every call resolves its options once, into a
// Settings.

// ConnectOption configures an outgoing socket: client.TCPConnect,
// client.InitTCPSocket, NewSocket. client.Option is ConnectOption.
type ConnectOption interface {
	Name() string
	ApplyConnect(st *Settings) error
}

// ServerOption configures a server and the sockets it accepts:
// server.TCPServer, Loop.Serve, adapters.Take. server.Option is
// ServerOption.
type ServerOption interface {
	Name() string
	ApplyServer(st *Settings) error
}

// WriteOption configures Socket.WriteSocketData: the callbacks it
// replaces.
type WriteOption interface {
	Name() string
	ApplyWrite(st *Settings) error
}

// DialOption configures how client.ConnectTCPSocket connects a socket
// made by client.InitTCPSocket (cl-async's connect-tcp-socket keywords).
type DialOption interface {
	Name() string
	ApplyDial(st *Settings) error
}

// SocketOption configures a socket wherever it is made: it is a
// ConnectOption and a ServerOption (the With* options of core, OnConnect).
type SocketOption interface {
	ConnectOption
	ServerOption
}

// CallbackOption sets a callback that WriteSocketData may replace too:
// OnWrite, OnDrain. It is a ConnectOption, a ServerOption and a
// WriteOption.
type CallbackOption interface {
	SocketOption
	WriteOption
}

// EventOption sets the event callback (OnEvent): it fits every entry
// point, ConnectTCPSocket included (cl-async's connect-tcp-socket takes
// :event-cb).
type EventOption interface {
	CallbackOption
	DialOption
}

// ConnectDialOption fits both the connect calls and ConnectTCPSocket:
// client.WithDialTimeout, client.WithResolver.
type ConnectDialOption interface {
	ConnectOption
	DialOption
}

// Option is what every option has: a name, for error messages. It is
// for code that keeps options of mixed kinds; entry points take the
// narrower ConnectOption, ServerOption, WriteOption or DialOption.
type Option interface {
	Name() string
}

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Settings is what the options of one call chose. Entry points read it;
// options set it.
type Settings struct {
	OnRead              ReadFunc       // core.OnRead (WriteSocketData only)
	OnEvent             EventFunc      // core.OnEvent
	OnConnect           ConnectFunc    // core.OnConnect
	OnWrite             WriteFunc      // core.OnWrite
	OnDrain             DrainFunc      // core.OnDrain
	ReadTimeout         time.Duration  // core.WithReadTimeout; 0 means none
	WriteTimeout        time.Duration  // core.WithWriteTimeout; 0 means none
	DontDrainReadBuffer bool           // core.WithDontDrainReadBuffer
	MaxReadBuffer       int            // core.WithMaxReadBuffer; 0 means the default
	WriteLowWatermark   int            // core.WithWriteWatermarks; both 0 mean the defaults
	WriteHighWatermark  int            // core.WithWriteWatermarks
	MaxWriteBuffer      int            // core.WithMaxWriteBuffer; 0 means the default
	Overflow            OverflowPolicy // core.WithWriteOverflow
	KeepAlive           time.Duration  // core.WithTCPKeepAlive; 0 means the default, < 0 off
	AllowHalfOpen       bool           // core.WithAllowHalfOpen

	Data           []byte        // client.WithData: sent once connected, first
	DialTimeout    time.Duration // client.WithDialTimeout; 0 means the system's
	Resolver       Resolver      // client.WithResolver; nil means net.DefaultResolver
	ReadFromDial   bool          // client.WithReadTimeoutFromDial: the read timeout also bounds the connect
	Backlog        int           // server.WithBacklog, when BacklogSet; < 0 means the system's maximum
	BacklogSet     bool          // server.WithBacklog was given
	OnShutdown     func(*Socket) // server.OnShutdown, client.OnShutdown: how a Shutdown asks the socket to finish
	ReusePort      bool          // server.WithReusePort
	ProxyProtocol  bool          // server.WithProxyProtocol
	SocketFileMode uint32        // server.WithSocketMode (pipes); 0 means the umask's

	values []keyValue // Settings.SetValue (deprecated)
}

// ResolveConnect applies opts, the options of an outgoing socket, for call
// (named in error messages), once. A nil option or a bad value is an
// *ArgError naming it.
func ResolveConnect(call string, opts []ConnectOption) (*Settings, error) {
	return resolve(call, opts, ConnectOption.ApplyConnect)
}

// ResolveServer applies opts, the options of a server, for call, once.
func ResolveServer(call string, opts []ServerOption) (*Settings, error) {
	return resolve(call, opts, ServerOption.ApplyServer)
}

// ResolveWrite applies opts, the options of WriteSocketData, for call,
// once.
func ResolveWrite(call string, opts []WriteOption) (*Settings, error) {
	return resolve(call, opts, WriteOption.ApplyWrite)
}

// ResolveDial applies opts, the options of ConnectTCPSocket, for call,
// once.
func ResolveDial(call string, opts []DialOption) (*Settings, error) {
	return resolve(call, opts, DialOption.ApplyDial)
}

// resolve applies each option of opts to new Settings with apply, then
// checks what they chose together.
func resolve[O Option](call string, opts []O, apply func(O, *Settings) error) (*Settings, error) {
	st := new(Settings)
	for i, o := range opts {
		if Option(o) == nil {
			return nil, &ArgError{Call: call, Arg: fmt.Sprintf("option %d", i), Reason: "nil option (use the On* and With* functions)"}
		}
		if err := apply(o, st); err != nil {
			if ae, ok := err.(*ArgError); ok {
				return nil, ae
			}
			return nil, &ArgError{Call: call, Arg: o.Name(), Reason: err.Error()}
		}
	}
	if high := st.highWatermark(); high > st.maxWriteBuffer() {
		return nil, &ArgError{Call: call, Arg: "core.WithMaxWriteBuffer",
			Reason: fmt.Sprintf("cap %d is below the high watermark %d", st.maxWriteBuffer(), high)}
	}
	return st, nil
}

// The flow-control settings, defaults applied.
func (st *Settings) maxReadBuffer() int  { return cmp.Or(st.MaxReadBuffer, DefaultMaxReadBuffer) }
func (st *Settings) maxWriteBuffer() int { return cmp.Or(st.MaxWriteBuffer, DefaultMaxWriteBuffer) }

func (st *Settings) lowWatermark() int {
	if st.WriteHighWatermark == 0 {
		return DefaultWriteLowWatermark
	}
	return st.WriteLowWatermark
}

func (st *Settings) highWatermark() int {
	return cmp.Or(st.WriteHighWatermark, DefaultWriteHighWatermark)
}

// option is the common part of core's options: a name and what it sets.
type option struct {
	name  string
	apply func(*Settings) error
}

// Name returns the option's name, such as "core.WithReadTimeout".
func (o option) Name() string { return o.name }

// socketOpt is a SocketOption.
type socketOpt struct{ option }

func (o socketOpt) ApplyConnect(st *Settings) error { return o.apply(st) }
func (o socketOpt) ApplyServer(st *Settings) error  { return o.apply(st) }

// callbackOpt is a CallbackOption.
type callbackOpt struct{ socketOpt }

func (o callbackOpt) ApplyWrite(st *Settings) error { return o.apply(st) }

// eventOpt is an EventOption.
type eventOpt struct{ callbackOpt }

func (o eventOpt) ApplyDial(st *Settings) error { return o.apply(st) }

// writeOpt is a WriteOption only (OnRead).
type writeOpt struct{ option }

func (o writeOpt) ApplyWrite(st *Settings) error { return o.apply(st) }

// NewConnectOption returns a ConnectOption called name that records its
// choice with apply: for packages that add entry points, like client.
func NewConnectOption(name string, apply func(*Settings) error) ConnectOption {
	return connectOpt{option{name, apply}}
}

// NewDialOption returns an option called name that fits both the connect
// calls (ConnectOption) and ConnectTCPSocket (DialOption).
func NewDialOption(name string, apply func(*Settings) error) ConnectDialOption {
	return dialOpt{connectOpt{option{name, apply}}}
}

// NewServerOption returns a ServerOption called name that records its
// choice with apply: for packages that add entry points, like server.
func NewServerOption(name string, apply func(*Settings) error) ServerOption {
	return serverOpt{option{name, apply}}
}

type connectOpt struct{ option }

func (o connectOpt) ApplyConnect(st *Settings) error { return o.apply(st) }

type dialOpt struct{ connectOpt }

func (o dialOpt) ApplyDial(st *Settings) error { return o.apply(st) }

type serverOpt struct{ option }

func (o serverOpt) ApplyServer(st *Settings) error { return o.apply(st) }
