package core_test

import (
	"fmt"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// An echo server and a client, on one reactor: the loop ends by itself once
// the client and the server are closed.
func ExampleStartEventLoop() {
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, _ = s.Write(data)
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			fmt.Printf("echoed %q\n", data)
			_ = s.Close()
			_ = srv.Close()
		}, client.WithData([]byte("hello")))
		if err != nil {
			fmt.Println(err)
		}
	}, core.WithReactors(1))
	fmt.Println("loop ended:", err)
	// Output:
	// echoed "hello"
	// loop ended: <nil>
}

// A connect that is refused reaches the event callback, once, with the
// socket closed.
func ExampleOnEvent() {
	_ = core.StartEventLoop(func(l *core.Loop) {
		srv, _ := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {})
		addr := srv.Addr().String()
		_ = srv.Close() // nothing listens there now
		_, _ = client.TCPConnect(l, addr, func(*core.Socket, []byte) {},
			core.OnEvent(func(s *core.Socket, ev error) {
				fmt.Println(core.TCPSocket(ev) == s, s.Closed())
			}))
	})
	// Output:
	// true true
}
