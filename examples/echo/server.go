package main

import (
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// conn is what the server keeps for each connection: how many bytes it has
// received, which tells a quiet connection from a busy one at shutdown.
type conn struct {
	received atomic.Int64 // written on the socket's reactor, read by timers on any
}

// track is the server's OnConnect: it runs before the first read callback.
func track(s *core.Socket) { s.SetData(new(conn)) }

// echo sends back what it reads. data is valid during the call only; Write
// copies it. A peer that sends faster than it reads the echo would make the
// unsent bytes pile up: once they pass the high watermark (Congested),
// echo stops reading that peer, whom TCP then holds back, until resume.
func echo(s *core.Socket, data []byte) {
	s.Data().(*conn).received.Add(int64(len(data)))
	if _, err := s.Write(data); err != nil {
		return // the socket is closed; its OnEvent says why
	}
	if s.Congested() {
		_ = s.Disable(true, false) // fails only if the socket is closed
	}
}

// resume reads the peer again once what it was sent has drained.
func resume(s *core.Socket) { _ = s.Enable(true, false) }

// closeWhenQuiet returns the server's OnShutdown callback. An echo
// connection is done when its client ends its side: the server then
// delivers the rest of the echo and closes it by itself. But a client may
// also stay connected and say nothing, and a shutdown cannot wait for it
// for ever; so once the shutdown has begun, a connection is closed as soon
// as it has been quiet for quiet: nothing received, and nothing of its
// echo left unsent. Close is graceful: what the kernel still holds of the
// echo arrives, then end of file. (Echo can tell; a proxy, which does not
// know its protocol, cannot: see examples/proxy.)
//
// The checks run on Go timers: the Socket methods they call are safe from
// any goroutine.
func closeWhenQuiet(quiet time.Duration) func(*core.Socket) {
	return func(s *core.Socket) {
		c := s.Data().(*conn)
		var check func(last int64) // last: what had been received at the previous check
		check = func(last int64) {
			if s.Closed() {
				return // the client ended it meanwhile
			}
			if n := c.received.Load(); n != last || s.Unsent() > 0 {
				time.AfterFunc(quiet, func() { check(n) }) // still busy: look again later
				return
			}
			_ = s.Close()
		}
		last := c.received.Load()
		time.AfterFunc(quiet, func() { check(last) })
	}
}
