package main

// This file is what asyncnet adds to the application: the connections
// accepted on the proxy's address become asyncnet sockets, each piped to a
// backend connection made with client.TCPConnect on the application's own
// event loops, with a read timeout.

import (
	"fmt"
	"io"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
)

// proxy forwards clients to backend; a backend connection idle for longer
// than timeout is closed, and its client with it.
type proxy struct {
	backend string
	timeout time.Duration
	out     io.Writer
}

// options are the callbacks of the clients' sockets.
func (px *proxy) options() []core.ServerOption {
	return []core.ServerOption{core.OnConnect(px.connect), core.OnEvent(px.clientEvent)}
}

// connect runs on the client's event loop when gnet accepts it: it starts
// the backend connection (TCPConnect returns at once; the dial runs off the
// loop) and keeps it as the client's data.
func (px *proxy) connect(in *core.Socket) {
	out, err := client.TCPConnect(in.Loop(), px.backend,
		func(out *core.Socket, data []byte) {
			if _, err := in.Write(data); err != nil {
				_ = out.Close() // the client is gone: so is its backend connection
			}
		},
		core.WithReadTimeout(px.timeout),
		core.OnEvent(func(_ *core.Socket, ev error) {
			fmt.Fprintf(px.out, "proxy: backend connection: %v\n", ev) // refused, timeout, closed, ...
			_ = in.Close()                                             // graceful: what the backend sent still reaches the client
		}))
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
	if _, err := in.Data().(*core.Socket).Write(data); err != nil {
		_ = in.Close() // the backend connection is gone: so is its client
	}
}

// clientEvent closes the backend connection once the client has gone.
func (px *proxy) clientEvent(in *core.Socket, _ error) {
	if out, ok := in.Data().(*core.Socket); ok {
		_ = out.Close()
	}
}
