package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// An echo server with backpressure: it stops reading a client while the
// echo waits unsent (Congested) and reads again in OnDrain, so a client
// that sends without reading is held back by TCP, not by the server's
// memory. The client here starts reading once the server has paused it.
func ExampleTCPServer() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit() // on an early return; after Shutdown it does nothing
	paused := make(chan struct{}, 1)
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
		if _, err := s.Write(data); err != nil { // data is borrowed; Write copies it
			return // the socket is closed (with no OnEvent, the Loop logs why)
		}
		if s.Congested() {
			_ = s.Disable(true, false) // stop reading until the echo drains
			select {
			case paused <- struct{}{}:
			default:
			}
		}
	}, core.OnDrain(func(s *core.Socket) { _ = s.Enable(true, false) }))
	if err != nil {
		fmt.Println(err) // e.g. conditions.TCPServerBindError
		return
	}

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(64 << 10) // a small window: the echo backs up sooner
	go func() {
		// Send 16 MiB, more than the kernel's buffers hold, then end this side.
		if _, err := c.Write(make([]byte, 16<<20)); err != nil {
			fmt.Println(err)
			return
		}
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	<-paused
	n, err := io.Copy(io.Discard, c) // the echo, until the server closes
	fmt.Println("paused, then echoed", n, "bytes", err)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output: paused, then echoed 16777216 bytes <nil>
}

// A stream server (cl-async's :stream t): the read callback is a
// notification, and the bytes stay in the socket until the stream reads
// them; here it answers each read in upper case.
func ExampleTCPServerStream() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit()
	srv, err := server.TCPServerStream(l, "127.0.0.1:0", func(s *core.Socket, st *stream.AsyncIOStream) {
		buf := make([]byte, 4096)
		for {
			n, err := st.Read(buf) // never blocks: stream.ErrWouldBlock when empty
			if err != nil {
				return
			}
			if _, err := st.Write(bytes.ToUpper(buf[:n])); err != nil {
				return
			}
		}
	})
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
	reply := make([]byte, 5)
	if _, err := io.WriteString(c, "hello"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := io.ReadFull(c, reply); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", reply)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output: HELLO
}

// Listen gives a net.Listener whose connections are served by asyncnet's
// reactors: net/http serves it as it would serve net.Listen's.
func ExampleListen() {
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
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	})}
	go func() { _ = hs.Serve(ln) }() // Serve blocks: on a goroutine, not in a callback

	hc := &http.Client{Transport: &http.Transport{}}
	resp, err := hc.Get("http://" + ln.Addr().String() + "/asyncnet")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body), err)
	hc.CloseIdleConnections()
	if err := hs.Shutdown(context.Background()); err != nil { // closes ln too
		fmt.Println(err)
	}
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output: 200 OK hello from /asyncnet <nil>
}

// Shutdown stops a server gracefully: it stops accepting, runs the
// OnShutdown callback on each open connection (here: say goodbye, then
// close), and waits until they have closed.
func ExampleServer_Shutdown() {
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit()
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
		_, _ = s.Write(data) // an error means the socket closed
	}, server.OnShutdown(func(s *core.Socket) {
		_, _ = s.Write([]byte("bye\n"))
		_ = s.Close() // graceful: "bye" is delivered, then end of file
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
	if _, err := io.WriteString(c, "hi\n"); err != nil {
		fmt.Println(err)
		return
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n') // the echo: the connection is up
	fmt.Printf("%q %v\n", line, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel() // past it, Shutdown force-closes what is left
	fmt.Println("shutdown:", srv.Shutdown(ctx))
	rest, err := io.ReadAll(r)
	fmt.Printf("%q %v\n", rest, err)
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// "hi\n" <nil>
	// shutdown: <nil>
	// "bye\n" <nil>
}

// WithBacklog sets how many connections the kernel queues before the
// server accepts them (cl-async's :backlog); without it the system's
// maximum applies.
func ExampleWithBacklog() {
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			fmt.Printf("got %q\n", data)
			_ = s.Close()
		}, server.WithBacklog(16), core.WithTCPKeepAlive(30*time.Second))
		if err != nil {
			fmt.Println(err)
			return
		}
		go func() { // a plain client; the loop ends once the server is closed
			defer srv.Close()
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				fmt.Println(err)
				return
			}
			defer c.Close()
			if _, err := io.WriteString(c, "queued, then accepted"); err != nil {
				fmt.Println(err)
				return
			}
			_, err = io.Copy(io.Discard, c) // until the server closes
			fmt.Println("closed by the server:", err)
		}()
	})
	fmt.Println("loop ended:", err)
	// Output:
	// got "queued, then accepted"
	// closed by the server: <nil>
	// loop ended: <nil>
}
