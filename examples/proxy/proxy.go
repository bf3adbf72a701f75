package main

import (
	"errors"
	"sync/atomic"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// proxy forwards the clients of a server to backend. Each client's socket
// (the front) is paired with a connection to the backend (the back), and
// the proxy moves bytes both ways:
//
//   - flow control: when one socket is congested (its peer reads slower
//     than the other side sends), the proxy stops reading the other side
//     until it drains, so memory stays flat;
//   - half-close: when one side ends its stream (end of file), the proxy
//     delivers everything that side sent, then ends the stream on the
//     other side (CloseWrite), and keeps the other direction going; the
//     pair closes once both directions have ended;
//   - failure: when one side fails (a reset, a refused connect, a
//     timeout), the other is reset, so that its peer never takes a cut
//     stream for a complete one.
type proxy struct {
	backend string
	pauses  atomic.Int64 // how often forward stopped reading a side (the demo reports it)
}

// pair is one proxied connection. Both sockets keep it as their Data.
type pair struct {
	front, back *core.Socket
}

// other returns the socket at the other end of the pair from s.
func (p *pair) other(s *core.Socket) *core.Socket {
	if s == p.front {
		return p.back
	}
	return p.front
}

// serve listens on addr on l and proxies every client to the backend.
func (px *proxy) serve(l *core.Loop, addr string) (*server.Server, error) {
	return server.TCPServer(l, addr, px.forward,
		core.OnConnect(px.connect),
		core.WithAllowHalfOpen(), // the client's end of file leaves its socket open for the reply
		core.OnEvent(px.event),
		core.OnDrain(px.resume),
		// On Shutdown, a proxied connection is left to finish on its own
		// (the default would close the client's socket at once): a proxy
		// cannot tell an idle connection from one whose backend is still
		// working on a reply. The grace period bounds the wait.
		server.OnShutdown(func(*core.Socket) {}))
}

// connect runs when a client has connected: it opens the backend
// connection. The pair is stored in both sockets before the backend
// connection starts (InitTCPSocket, then ConnectTCPSocket), so that the
// first bytes of a backend that speaks first find their way to the client.
func (px *proxy) connect(front *core.Socket) {
	back, err := client.InitTCPSocket(front.Loop(), px.forward,
		core.WithAllowHalfOpen(),
		core.OnEvent(px.event),
		core.OnDrain(px.resume))
	if err != nil {
		_ = front.ForceClose() // the Loop is going away: so is the client
		return
	}
	p := &pair{front: front, back: back}
	front.SetData(p)
	back.SetData(p)
	// Bytes the client sends meanwhile are buffered in back, and sent once
	// it is connected; a failure to connect reaches px.event.
	if _, err := client.ConnectTCPSocket(back, px.backend); err != nil {
		_ = front.ForceClose()
	}
}

// forward copies what s read to the other socket of its pair. When that
// one is congested, it stops reading s until it drains (px.resume).
func (px *proxy) forward(s *core.Socket, data []byte) {
	other := s.Data().(*pair).other(s)
	if _, err := other.Write(data); err != nil {
		// The other side is gone, and these bytes with it: end this side
		// too, with a reset, since its stream has a hole now.
		_ = s.ForceClose()
		return
	}
	if other.Congested() {
		px.pauses.Add(1)
		_ = s.Disable(true, false)
		// The other socket may have drained between Write and Disable; its
		// OnDrain would then have come too early to resume s. Check again.
		if !other.Congested() {
			_ = s.Enable(true, false)
		}
	}
}

// resume runs when s has drained: the other side may be read again.
func (px *proxy) resume(s *core.Socket) {
	_ = s.Data().(*pair).other(s).Enable(true, false)
}

// event handles the end of one side's stream.
//
// End of file means s's peer has ended its side: s stays open for
// writing (WithAllowHalfOpen), and every byte s read has been forwarded
// already. CloseWrite on the other socket delivers those bytes, then ends
// the stream there. Once the other direction ends too, both sockets close
// by themselves: a socket whose peer has ended its side, and that has
// ended its own, is done.
//
// Any other condition (a reset, a refused connect, a timeout) has closed
// s: reset the other side too.
func (px *proxy) event(s *core.Socket, ev error) {
	p, ok := s.Data().(*pair)
	if !ok {
		return // a client whose backend connection could not even start
	}
	if errors.Is(ev, conditions.TCPEOF) {
		_ = p.other(s).CloseWrite() // fails only if it is closed already
		return
	}
	_ = p.other(s).ForceClose()
}
