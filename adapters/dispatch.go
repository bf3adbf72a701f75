package adapters

import (
	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
)

// enrollment is the gnet context of a connection asyncnet owns: a
// connection it enrolled, or one it took from an application (Plugin). Its
// type is private, so an application's own contexts are never taken for it.
type enrollment struct {
	ch  core.ConnHandler
	idx int
}

// probeConn marks the connections that find the event loops.
type probeConn struct{}

// openOwned completes OnOpen for a connection asyncnet owns.
func openOwned(c gnet.Conn, e *enrollment) gnet.Action {
	c.SetContext(e) // before OnOpen: a close inside it must reach OnClose
	if !e.ch.OnOpen(e.idx, c) {
		c.SetContext(nil)
		return gnet.Close
	}
	return gnet.None
}

// owned returns the asyncnet connection handler of c, or nil.
func owned(c gnet.Conn) core.ConnHandler {
	if e, ok := c.Context().(*enrollment); ok {
		return e.ch
	}
	return nil
}

// closeOwned reports c's close to its handler, if asyncnet owns c.
func closeOwned(c gnet.Conn, err error) bool {
	ch := owned(c)
	if ch == nil {
		return false
	}
	c.SetContext(nil)
	ch.OnClose(c, err)
	return true
}
