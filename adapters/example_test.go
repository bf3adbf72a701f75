package adapters_test

import (
	"fmt"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// SocketC returns the gnet.Conn under a socket (cl-async's socket-c), for
// what asyncnet has no method for, such as a socket option. It may be used
// only inside the socket's callbacks, and reading or writing it bypasses
// the socket.
func ExampleSocketC() {
	err := core.StartEventLoop(func(l *core.Loop) {
		var srv *server.Server
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {},
			core.OnConnect(func(s *core.Socket) {
				defer srv.Close() // one connection is enough: the loop ends when it closes
				defer s.Close()
				c := adapters.SocketC(s)
				if c == nil {
					return // the Loop does not run on gnet
				}
				fmt.Println("the socket's peer:", c.RemoteAddr().String() == s.RemoteAddr().String())
				fmt.Println("Nagle on:", c.SetNoDelay(false)) // a bulk sender: fewer, fuller packets
			}))
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := client.TCPConnect(l, srv.Addr().String(), func(*core.Socket, []byte) {}); err != nil {
			fmt.Println(err)
			_ = srv.Close()
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// the socket's peer: true
	// Nagle on: <nil>
	// loop ended: <nil>
}
