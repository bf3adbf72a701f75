package adapters

import (
	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
)

// SocketC returns the gnet.Conn under s, or nil when s is not connected or
// its Loop does not run on gnet. It is the equivalent of cl-async's
// socket-c. Like every gnet.Conn it may only be used on the socket's
// reactor, and reading or writing it directly bypasses the Socket's
// buffering and callbacks. Must be called on the socket's reactor (inside a
// callback).
func SocketC(s *core.Socket) gnet.Conn {
	if cn, ok := s.Conn().(*conn); ok {
		return cn.gnetConn()
	}
	return nil
}
