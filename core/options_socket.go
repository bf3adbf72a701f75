package core

import (
	"cmp"
	"fmt"
	"net"
	"time"
)

// The options of sockets: callbacks (On*) and settings (With*).

// OnRead replaces a socket's read callback. It applies to
// Socket.WriteSocketData (cl-async's write-socket-data :read-cb); the
// callback of a new socket is the onRead argument of its entry point.
func OnRead(fn ReadFunc) WriteOption {
	return writeOpt{option{"core.OnRead", func(st *Settings) error {
		if fn == nil {
			return fmt.Errorf("nil callback")
		}
		st.OnRead = fn
		return nil
	}}}
}

// OnEvent sets the event callback (cl-async's :event-cb). On a server it is
// the event callback of every accepted socket and also receives the
// server's accept errors (with a nil socket). Without one, the Loop's
// default event handler gets them (WithDefaultEventHandler), or else its
// logger; the socket is closed all the same.
func OnEvent(fn EventFunc) EventOption {
	return eventOpt{callbackOpt{socketOpt{option{"core.OnEvent", func(st *Settings) error {
		st.OnEvent = fn
		return nil
	}}}}}
}

// OnConnect sets the connect callback (cl-async's :connect-cb): called once
// the connection is established, before the first read callback. On a
// server it is called for every accepted socket.
func OnConnect(fn ConnectFunc) SocketOption {
	return socketOpt{option{"core.OnConnect", func(st *Settings) error {
		st.OnConnect = fn
		return nil
	}}}
}

// OnWrite sets the write callback (cl-async's :write-cb), called each time
// the bytes of a flush have all been handed to the kernel. With
// WriteSocketData it replaces the socket's write callback from that write on.
func OnWrite(fn WriteFunc) CallbackOption {
	return callbackOpt{socketOpt{option{"core.OnWrite", func(st *Settings) error {
		st.OnWrite = fn
		return nil
	}}}}
}

// WithReadTimeout closes a socket with conditions.TCPTimeout when no bytes
// arrive for d while reading is enabled (cl-async's :read-timeout). On a
// server it applies to every accepted socket. 0, the default, means no
// timeout; the precision is one tick (WithTickInterval).
func WithReadTimeout(d time.Duration) SocketOption {
	return durationOption("core.WithReadTimeout", d, func(st *Settings) { st.ReadTimeout = d })
}

// WithWriteTimeout closes a socket with conditions.TCPTimeout when written
// bytes stay unsent for d without any progress (cl-async's
// :write-timeout, without its bug of acting as a lifetime limit). On a
// server it applies to every accepted socket. 0, the default, means no
// timeout; the precision is one tick (WithTickInterval), or up to d late
// when the last progress was the peer's acknowledgements (Socket.SetTimeouts).
func WithWriteTimeout(d time.Duration) SocketOption {
	return durationOption("core.WithWriteTimeout", d, func(st *Settings) { st.WriteTimeout = d })
}

// durationOption is an option of sockets and servers that takes a duration
// of 0 or more.
func durationOption(name string, d time.Duration, set func(*Settings)) SocketOption {
	return socketOpt{option{name, func(st *Settings) error {
		if d < 0 {
			return fmt.Errorf("negative duration %v", d)
		}
		set(st)
		return nil
	}}}
}

// Defaults of the flow-control options.
const (
	DefaultMaxReadBuffer      = 4 << 20   // WithMaxReadBuffer
	DefaultWriteLowWatermark  = 256 << 10 // WithWriteWatermarks
	DefaultWriteHighWatermark = 1 << 20   // WithWriteWatermarks
	DefaultMaxWriteBuffer     = 64 << 20  // WithMaxWriteBuffer
)

// WithMaxReadBuffer bounds the bytes a socket keeps unread in memory: with
// WithDontDrainReadBuffer, until a stream reads them, and while reading is
// disabled where the pause cannot hold the peer back at the TCP level (see
// Socket.Disable). Past n the socket is closed and its event callback gets
// a conditions.TCPError matching ErrReadBufferFull: gnet reads a
// connection whatever its reader does, so the bound is what protects
// memory (a socket holds at most n plus one read of 64 KiB). The default
// is DefaultMaxReadBuffer (4 MiB).
func WithMaxReadBuffer(n int) SocketOption {
	return sizeOption("core.WithMaxReadBuffer", n, func(st *Settings) { st.MaxReadBuffer = n })
}

// WithWriteWatermarks sets when a socket counts as congested: once its
// unsent bytes (written but not yet in the kernel) reach high, Congested
// reports true, until they fall to low; then the OnDrain callback runs.
// The defaults are DefaultWriteLowWatermark (256 KiB) and
// DefaultWriteHighWatermark (1 MiB). low must be below high.
func WithWriteWatermarks(low, high int) SocketOption {
	return socketOpt{option{"core.WithWriteWatermarks", func(st *Settings) error {
		if low < 0 || high <= low {
			return fmt.Errorf("need 0 <= low < high, got low %d, high %d", low, high)
		}
		st.WriteLowWatermark, st.WriteHighWatermark = low, high
		return nil
	}}}
}

// WithMaxWriteBuffer caps a socket's unsent bytes (written, not yet taken
// by the kernel, wherever they wait): a Write that would go past n writes
// nothing and returns an error matching ErrWriteBufferFull, and what
// happens to the socket then is WithWriteOverflow's choice (by default it
// is force-closed). It must be at least the high watermark. The default is
// DefaultMaxWriteBuffer (64 MiB). Memory follows the unsent bytes, not the
// cap: an idle socket holds no buffer.
func WithMaxWriteBuffer(n int) SocketOption {
	return sizeOption("core.WithMaxWriteBuffer", n, func(st *Settings) { st.MaxWriteBuffer = n })
}

// sizeOption is an option of sockets and servers that takes a positive
// number of bytes.
func sizeOption(name string, n int, set func(*Settings)) SocketOption {
	return socketOpt{option{name, func(st *Settings) error {
		if n <= 0 {
			return fmt.Errorf("size %d is not positive", n)
		}
		set(st)
		return nil
	}}}
}

// OnDrain sets the callback that runs when a congested socket's unsent
// bytes fall to the low watermark (see WithWriteWatermarks): the time to
// resume a producer. With WriteSocketData it replaces the socket's drain
// callback.
func OnDrain(fn DrainFunc) CallbackOption {
	return callbackOpt{socketOpt{option{"core.OnDrain", func(st *Settings) error {
		st.OnDrain = fn
		return nil
	}}}}
}

// WithDontDrainReadBuffer leaves incoming bytes in the socket's input buffer
// (cl-async's :dont-drain-read-buffer): the read callback becomes a
// notification with nil data, and a stream over the socket reads the bytes
// (see package stream).
func WithDontDrainReadBuffer() SocketOption {
	return socketOpt{option{"core.WithDontDrainReadBuffer", func(st *Settings) error {
		st.DontDrainReadBuffer = true
		return nil
	}}}
}

// OverflowPolicy says what happens to a socket when a Write is refused
// because it would take the unsent bytes past WithMaxWriteBuffer.
type OverflowPolicy int

const (
	// OverflowClose refuses the write and force-closes the socket: the
	// event callback gets a conditions.TCPError matching ErrWriteBufferFull.
	// The peer then sees the connection end, never a stream with a hole
	// in it. It is the default.
	OverflowClose OverflowPolicy = iota
	// OverflowRefuse refuses the write and leaves the socket open: the
	// caller must check Write's error and write the bytes again later
	// (after OnDrain, say), or the stream it sends has a hole.
	OverflowRefuse
)

// String returns the policy's name.
func (p OverflowPolicy) String() string {
	switch p {
	case OverflowClose:
		return "OverflowClose"
	case OverflowRefuse:
		return "OverflowRefuse"
	}
	return fmt.Sprintf("OverflowPolicy(%d)", int(p))
}

// WithWriteOverflow sets what a refused write does to the socket (see
// WithMaxWriteBuffer): OverflowClose (the default) force-closes it,
// OverflowRefuse leaves it open for a caller that checks Write's error.
// Applying backpressure (stop producing while Congested, resume in OnDrain)
// keeps writes from being refused at all.
func WithWriteOverflow(p OverflowPolicy) SocketOption {
	return socketOpt{option{"core.WithWriteOverflow", func(st *Settings) error {
		if p != OverflowClose && p != OverflowRefuse {
			return fmt.Errorf("unknown policy %v", p)
		}
		st.Overflow = p
		return nil
	}}}
}

// DefaultTCPKeepAlive is the default of WithTCPKeepAlive, as in Go's net.
const DefaultTCPKeepAlive = 15 * time.Second

// WithTCPKeepAlive sets TCP keepalive on a server's accepted sockets, or on
// an outgoing socket: once the connection has been idle for d, the kernel
// probes the peer every d, and after 9 unanswered probes the connection
// fails (conditions.TCPTimeout), so that a peer that vanished (its host
// down, a middlebox that dropped the connection) is noticed. d < 0 turns it
// off. The default is DefaultTCPKeepAlive (15s), as in Go's net package.
// It applies to the sockets asyncnet itself accepts or dials (servers of
// package server, client.TCPConnect); Loop.Serve leaves a listener's
// sockets as the listener made them.
func WithTCPKeepAlive(d time.Duration) SocketOption {
	return socketOpt{option{"core.WithTCPKeepAlive", func(st *Settings) error {
		if d == 0 {
			return fmt.Errorf("duration 0: give a positive idle time, or a negative one to turn keepalive off")
		}
		st.KeepAlive = d
		return nil
	}}}
}

// KeepAliveConfig returns the keepalive that the settings ask for, in the
// form net.ListenConfig and net.Dialer take (see WithTCPKeepAlive).
func (st *Settings) KeepAliveConfig() net.KeepAliveConfig {
	d := cmp.Or(st.KeepAlive, DefaultTCPKeepAlive)
	if d < 0 {
		return net.KeepAliveConfig{Enable: false}
	}
	return net.KeepAliveConfig{Enable: true, Idle: d, Interval: d, Count: 9}
}

// WithAllowHalfOpen keeps a socket open for writing when the peer ends its
// side (the name follows Node.js's allowHalfOpen): the event callback gets
// conditions.TCPEOF while the socket is still open, the bytes written
// before and after are delivered, and the socket closes once this side
// calls Close or CloseWrite (or the connection fails). Without it, the
// peer's end of file closes the socket, after the bytes already written
// have been delivered. A proxy needs it to pass a half-close on: a client
// that sends a request, then shuts its write side, still reads the reply.
func WithAllowHalfOpen() SocketOption {
	return socketOpt{option{"core.WithAllowHalfOpen", func(st *Settings) error {
		st.AllowHalfOpen = true
		return nil
	}}}
}
