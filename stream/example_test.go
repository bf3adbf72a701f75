package stream_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// A stream made in the read callback of a socket that keeps its bytes
// (core.WithDontDrainReadBuffer) reads them in place. Here the server
// reverses 4-byte records: a partial record stays in the socket until the
// rest arrives.
func ExampleNewAsyncIOStream() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit() // on an early return; after Shutdown it does nothing
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, _ []byte) {
		st := stream.NewAsyncIOStream(s)
		rec := make([]byte, 4)
		for st.Buffered() >= len(rec) {
			if _, err := io.ReadFull(st, rec); err != nil {
				return
			}
			rec[0], rec[1], rec[2], rec[3] = rec[3], rec[2], rec[1], rec[0]
			if _, err := st.Write(rec); err != nil {
				return
			}
		}
	}, core.WithDontDrainReadBuffer())
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, part := range []string{"abcdef", "gh"} { // the second record comes in two parts
		if _, err := io.WriteString(c, part); err != nil {
			fmt.Println(err)
			return
		}
	}
	reply := make([]byte, 8)
	_, err = io.ReadFull(c, reply)
	fmt.Printf("%s %v\n", reply, err)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output: dcbahgfe <nil>
}

// NetConn turns a socket that keeps its bytes into a blocking net.Conn,
// here to serve each connection of an event-driven server with plain
// goroutine code (bufio) once it is connected.
func ExampleNetConn() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit()
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {},
		core.WithDontDrainReadBuffer(), // a Conn reads the bytes the socket keeps
		core.WithAllowHalfOpen(),       // the client's end of file ends only reading, as in net
		core.OnConnect(func(s *core.Socket) {
			c, err := stream.NetConn(s) // takes over the socket's callbacks
			if err != nil {
				_ = s.Close()
				return
			}
			go func() { // blocking code: on a goroutine, never in a callback
				defer c.Close()
				for lines := bufio.NewScanner(c); lines.Scan(); {
					if _, err := fmt.Fprintf(c, "you said %q\n", lines.Text()); err != nil {
						return
					}
				}
			}()
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := io.WriteString(c, "hello\nbye\n"); err != nil {
		fmt.Println(err)
		return
	}
	_ = c.(*net.TCPConn).CloseWrite() // the server's Scan ends: it closes
	replies, err := io.ReadAll(c)
	fmt.Printf("%s%v\n", replies, err)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// you said "hello"
	// you said "bye"
	// <nil>
}

// CloseWrite half-closes a Conn as (*net.TCPConn).CloseWrite does: the
// client sends its request, then end of file, and still reads the whole
// reply. The server, a net.Listener from server.Listen, reads the request
// to end of file before it answers.
func ExampleConn_CloseWrite() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit()
	ln, err := server.Listen(l, "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() { // the server: read to end of file, answer, close
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, err := io.ReadAll(c)
		if err == nil {
			_, err = fmt.Fprintf(c, "got %d bytes", len(req))
		}
		if err != nil {
			fmt.Println("server:", err)
		}
	}()

	c, err := client.Dial(l, ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := io.WriteString(c, "the whole request"); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.CloseWrite(); err != nil { // the server's ReadAll ends
		fmt.Println(err)
		return
	}
	reply, err := io.ReadAll(c) // until the server closes
	fmt.Printf("%q %v\n", reply, err)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output: "got 17 bytes" <nil>
}

// CloseRead shuts the reading side of a Conn: Read reports end of file
// and what the peer sends is dropped, never holding it back, while
// writing goes on. Here a client ignores a chatty server's greeting.
func ExampleConn_CloseRead() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit()
	got := make(chan string, 1)
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
		got <- string(data)
		_ = s.Close()
	}, core.OnConnect(func(s *core.Socket) {
		_, _ = s.Write([]byte("welcome! here is the news of the day...\n"))
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := client.Dial(l, srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.CloseRead(); err != nil {
		fmt.Println(err)
		return
	}
	n, err := c.Read(make([]byte, 64))
	fmt.Println("read:", n, err)
	if _, err := io.WriteString(c, "log line"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("the server got %q\n", <-got)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// read: 0 EOF
	// the server got "log line"
}
