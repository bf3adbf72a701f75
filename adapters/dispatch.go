package adapters

import (
	"github.com/panjf2000/gnet/v2"
)

// The one dispatch of gnet's events to the connections asyncnet owns,
// used by both the engine of its own (engine.go) and an application's
// engine (Plugin): a connection asyncnet owns carries its *conn as gnet's
// context. Its type is private, so an application's own contexts are never
// taken for one.

// probeConn marks the connections that find the event loops.
type probeConn struct{}

// ownedConn returns the conn asyncnet owns for gc, or nil.
func ownedConn(gc gnet.Conn) *conn {
	cn, _ := gc.Context().(*conn)
	return cn
}

// dispatchOpen handles gnet's OnOpen of a connection asyncnet owns; ok
// reports whether gc is one.
func dispatchOpen(gc gnet.Conn) (action gnet.Action, ok bool) {
	if cn := ownedConn(gc); cn != nil {
		return cn.opened(gc), true
	}
	return gnet.None, false
}

// dispatchTraffic handles gnet's OnTraffic; ok reports whether gc is
// asyncnet's.
func dispatchTraffic(gc gnet.Conn) bool {
	if cn := ownedConn(gc); cn != nil {
		cn.traffic()
		return true
	}
	return false
}

// dispatchClose handles gnet's OnClose; ok reports whether gc is
// asyncnet's.
func dispatchClose(gc gnet.Conn, err error) bool {
	if cn := ownedConn(gc); cn != nil {
		gc.SetContext(nil)
		cn.gnetClosed(err)
		return true
	}
	return false
}
