package client_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// TCPConnect returns the socket at once and connects in the background:
// OnConnect runs once the connection is up, the WithData bytes go out
// first, the read callback gets the reply, and OnEvent the server's end
// of file, with the socket already closed.
func ExampleTCPConnect() {
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, _ = s.Write(data) // echo, then end the connection
			_ = s.Close()
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			fmt.Printf("read %q\n", data) // data is borrowed: copy it to keep it
		}, client.WithData([]byte("hello")),
			core.OnConnect(func(s *core.Socket) { fmt.Println("connected") }),
			core.OnEvent(func(s *core.Socket, ev error) {
				fmt.Println("end of file:", errors.Is(ev, conditions.TCPEOF), "closed:", s.Closed())
				_ = srv.Close() // nothing is left: the loop ends
			}))
		if err != nil {
			fmt.Println(err) // a bad argument; connect failures go to OnEvent
			_ = srv.Close()
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// connected
	// read "hello"
	// end of file: true closed: true
	// loop ended: <nil>
}

// A connection nobody accepts: the event callback gets the condition,
// once, with the socket closed. errors.Is matches its kind, its
// superclass and the operating system's error.
func ExampleTCPConnect_refused() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now

	err = core.StartEventLoop(func(l *core.Loop) {
		_, err := client.TCPConnect(l, addr, func(*core.Socket, []byte) {},
			client.WithDialTimeout(10*time.Second),
			core.OnEvent(func(s *core.Socket, ev error) {
				fmt.Println("refused:", errors.Is(ev, conditions.TCPRefused))
				fmt.Println("a TCP error:", errors.Is(ev, conditions.TCPError))
				fmt.Println("ECONNREFUSED:", errors.Is(ev, syscall.ECONNREFUSED))
				fmt.Println("closed:", s.Closed())
			}))
		if err != nil {
			fmt.Println(err)
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// refused: true
	// a TCP error: true
	// ECONNREFUSED: true
	// closed: true
	// loop ended: <nil>
}

// TCPConnectStream (cl-async's :stream t) returns the socket's stream at
// once; what is written to it before the connection is up is sent once
// it is. The read callback is a notification: bytes it does not read stay
// in the stream for the next one.
func ExampleTCPConnectStream() {
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, _ = s.Write(data)
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		const msg = "hello, stream"
		st, err := client.TCPConnectStream(l, srv.Addr().String(), func(s *core.Socket, st *stream.AsyncIOStream) {
			if st.Buffered() < len(msg) {
				return // not all there yet: wait for the next callback
			}
			buf := make([]byte, len(msg))
			n, err := st.Read(buf)
			fmt.Printf("read %q %v\n", buf[:n], err)
			_ = st.Close()
			_ = srv.Close()
		})
		if err != nil {
			fmt.Println(err)
			_ = srv.Close()
			return
		}
		if _, err := st.Write([]byte(msg)); err != nil { // buffered until connected
			fmt.Println(err)
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// read "hello, stream" <nil>
	// loop ended: <nil>
}

// InitTCPSocket makes a socket that is not connected yet, so that the
// program can set it up first (its data, the first bytes to send);
// ConnectTCPSocket then connects it.
func ExampleInitTCPSocket() {
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, _ = s.Write(data)
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		s, err := client.InitTCPSocket(l, func(s *core.Socket, data []byte) {
			fmt.Printf("%v got %q\n", s.Data(), data)
			_ = s.Close()
			_ = srv.Close()
		})
		if err != nil {
			fmt.Println(err)
			_ = srv.Close()
			return
		}
		s.SetData("job 7")
		if _, err := s.Write([]byte("written before connecting")); err != nil {
			fmt.Println(err)
		}
		if _, err := client.ConnectTCPSocket(s, srv.Addr().String(), client.WithDialTimeout(10*time.Second)); err != nil {
			fmt.Println(err)
			_ = s.Close()
			_ = srv.Close()
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// job 7 got "written before connecting"
	// loop ended: <nil>
}

// Dial gives goroutine code a blocking net.Conn whose socket is served by
// asyncnet's reactors: bufio, net/http and crypto/tls work over it. It
// blocks, so it is called outside the Loop's callbacks.
func ExampleDial() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit() // on an early return; after Shutdown it does nothing
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
		_, _ = s.Write(data)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := client.Dial(l, srv.Addr().String(), client.WithDialTimeout(10*time.Second))
	if err != nil {
		fmt.Println(err) // the condition: errors.Is(err, conditions.TCPRefused), ...
		return
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "hello, blocking world\n"); err != nil {
		fmt.Println(err)
		return
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	fmt.Printf("%q %v\n", line, err)
	if err := l.Shutdown(context.Background()); err != nil { // closes c and srv gracefully
		fmt.Println(err)
	}
	// Output: "hello, blocking world\n" <nil>
}
