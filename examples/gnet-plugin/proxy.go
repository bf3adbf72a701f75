package main

// This file is what asyncnet adds to the application: the connections
// accepted on the proxy's address become asyncnet sockets, each piped to a
// backend connection made with client.TCPConnect on the application's own
// event loops, with a read timeout.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
)

// proxy forwards clients to backend, both ways. When one side ends its
// stream, the proxy ends the other's once it has delivered what was sent
// (half-close): a client may send a request, shut its write side, and
// still read the reply. A backend connection idle for longer than timeout
// is closed, and its client with it (gracefully); a reset or failure on
// one side resets the other.
type proxy struct {
	backend string
	timeout time.Duration
	out     io.Writer
	closing atomic.Bool // a shutdown has begun: new clients are turned away
}

// options are the settings and callbacks of the clients' sockets.
func (px *proxy) options() []core.ServerOption {
	return []core.ServerOption{
		core.WithAllowHalfOpen(), // the client's end of file leaves its socket open for the reply
		core.OnConnect(px.connect),
		core.OnEvent(px.clientEvent),
	}
}

// connect runs on the client's event loop when gnet accepts it: it starts
// the backend connection (TCPConnect returns at once; the dial runs off the
// loop) and keeps it as the client's data.
func (px *proxy) connect(in *core.Socket) {
	if px.closing.Load() {
		_ = in.Close() // shutting down: the client reads end of file at once
		return
	}
	out, err := client.TCPConnect(in.Loop(), px.backend,
		func(out *core.Socket, data []byte) {
			if _, err := in.Write(data); err != nil {
				_ = out.ForceClose() // the client is gone: so is its backend connection
			}
		},
		core.WithAllowHalfOpen(),
		core.WithReadTimeout(px.timeout),
		core.OnEvent(func(_ *core.Socket, ev error) { px.backendEvent(in, ev) }))
	if err != nil {
		fmt.Fprintf(px.out, "proxy: %v\n", err)
		_ = in.ForceClose()
		return
	}
	in.SetData(out)
}

// read forwards what the client sent; the backend socket buffers it until
// it is connected. (examples/proxy adds flow control for bulk transfers.)
func (px *proxy) read(in *core.Socket, data []byte) {
	out, ok := in.Data().(*core.Socket)
	if !ok {
		return // turned away by connect
	}
	if _, err := out.Write(data); err != nil {
		_ = in.ForceClose() // the backend connection is gone, and these bytes with it
	}
}

// clientEvent passes the client's end on to its backend connection: its
// end of file (after the bytes already forwarded), or a reset.
func (px *proxy) clientEvent(in *core.Socket, ev error) {
	out, ok := in.Data().(*core.Socket)
	if !ok {
		return
	}
	if errors.Is(ev, conditions.TCPEOF) {
		_ = out.CloseWrite() // fails only if it is closed already
		return
	}
	_ = out.ForceClose()
}

// backendEvent passes the backend connection's end on to its client.
// Once both sides have ended their streams, both sockets close by
// themselves.
func (px *proxy) backendEvent(in *core.Socket, ev error) {
	if errors.Is(ev, conditions.TCPEOF) {
		_ = in.CloseWrite() // after what the backend sent
		return
	}
	fmt.Fprintf(px.out, "proxy: backend connection: %v\n", ev) // refused, timeout, reset, ...
	if errors.Is(ev, conditions.TCPTimeout) {
		_ = in.Close() // graceful: what the backend sent still reaches the client
		return
	}
	_ = in.ForceClose()
}

// drain turns new clients away and waits until no proxied connection is
// left, or ctx ends. It watches the Loop's counts, since a connection that
// ends both ways closes without a callback.
func (px *proxy) drain(ctx context.Context, l *core.Loop) error {
	px.closing.Store(true)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if st := l.Stats(); st.IncomingSockets+st.OutgoingSockets+st.PendingConnects == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
