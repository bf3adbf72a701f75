package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// A Loop made WithStayRunning stays up while it has nothing to do, as a
// client connector's Loop must between connections; Start returns once
// it runs, and Shutdown ends it gracefully.
func ExampleLoop_Shutdown() {
	backend, err := net.Listen("tcp", "127.0.0.1:0") // an echo service
	if err != nil {
		fmt.Println(err)
		return
	}
	defer backend.Close()
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close() }()
		}
	}()

	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	for i := 1; i <= 2; i++ { // connect, exchange, close: twice, the Loop idle in between
		reply := make(chan string, 1)
		_, err := client.TCPConnect(l, backend.Addr().String(), func(s *core.Socket, data []byte) {
			reply <- string(data)
			_ = s.Close()
		}, client.WithData(fmt.Appendf(nil, "request %d", i)),
			core.OnEvent(func(_ *core.Socket, ev error) { reply <- ev.Error() }))
		if err != nil {
			reply <- err.Error()
		}
		fmt.Println(<-reply)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel() // past it, Shutdown force-closes what is left
	fmt.Println("shutdown:", l.Shutdown(ctx), "running:", l.Running())
	// Output:
	// request 1
	// request 2
	// shutdown: <nil> running: false
}

// CloseWrite half-closes a connection: the client sends its request, then
// end of file, and still reads the reply. The server, made
// WithAllowHalfOpen, gets the end of file with its socket still open, and
// answers.
func ExampleSocket_CloseWrite() {
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			n, _ := s.Data().(int)
			s.SetData(n + len(data)) // count the request's bytes
		}, core.WithAllowHalfOpen(), core.OnEvent(func(s *core.Socket, ev error) {
			if errors.Is(ev, conditions.TCPEOF) && !s.Closed() { // the request is complete
				_, _ = fmt.Fprintf(s, "got %v bytes", s.Data())
				_ = s.Close()
			}
		}))
		if err != nil {
			fmt.Println(err)
			return
		}
		c, err := client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			fmt.Printf("reply: %q\n", data)
		}, core.OnEvent(func(s *core.Socket, ev error) {
			fmt.Println("then end of file:", errors.Is(ev, conditions.TCPEOF))
			_ = srv.Close()
		}))
		if err != nil {
			fmt.Println(err)
			_ = srv.Close()
			return
		}
		if _, err := c.Write([]byte("the whole request")); err != nil { // sent once connected
			fmt.Println(err)
		}
		if err := c.CloseWrite(); err != nil { // then end of file
			fmt.Println(err)
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// reply: "got 17 bytes"
	// then end of file: true
	// loop ended: <nil>
}

// WithDefaultEventHandler receives the conditions of every socket that has
// no OnEvent of its own (cl-async's *default-event-handler*): here a
// connect that is refused.
func ExampleWithDefaultEventHandler() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now

	err = core.StartEventLoop(func(l *core.Loop) {
		if _, err := client.TCPConnect(l, addr, func(*core.Socket, []byte) {}); err != nil {
			fmt.Println(err)
		}
	}, core.WithDefaultEventHandler(func(s *core.Socket, ev error) {
		fmt.Println("refused:", errors.Is(ev, conditions.TCPRefused), "closed:", s.Closed())
	}))
	fmt.Println("loop ended:", err)
	// Output:
	// refused: true closed: true
	// loop ended: <nil>
}

// With OverflowRefuse, a Write that would take the unsent bytes past
// WithMaxWriteBuffer is refused whole and the socket stays open, for a
// program that checks the error and writes again later; Available says how
// much fits now. (The socket is not connected: what it is written waits.)
func ExampleWithWriteOverflow() {
	err := core.StartEventLoop(func(l *core.Loop) {
		s, err := core.NewSocket(l, func(*core.Socket, []byte) {},
			core.WithWriteWatermarks(1<<10, 4<<10),
			core.WithMaxWriteBuffer(8<<10),
			core.WithWriteOverflow(core.OverflowRefuse))
		if err != nil {
			fmt.Println(err)
			return
		}
		defer s.Close()
		_, err = s.Write(make([]byte, 6<<10))
		fmt.Println("6 KiB:", err, "available:", s.Available(), "congested:", s.Congested())
		_, err = s.Write(make([]byte, 4<<10))
		fmt.Println("4 KiB more:", errors.Is(err, core.ErrWriteBufferFull), "closed:", s.Closed())
		n, err := s.Write(make([]byte, s.Available()))
		fmt.Println("wrote", n, err)
	})
	fmt.Println("loop ended:", err)
	// Output:
	// 6 KiB: <nil> available: 2048 congested: true
	// 4 KiB more: true closed: false
	// wrote 2048 <nil>
	// loop ended: <nil>
}

// Interval runs a function every d (cl-async's interval) until its Timer
// is stopped, here from the function itself; Delay runs one once. A
// pending timer keeps the Loop going: this one ends by itself.
func ExampleLoop_Interval() {
	err := core.StartEventLoop(func(l *core.Loop) {
		n := 0
		var t *core.Timer
		t = l.Interval(10*time.Millisecond, func() {
			n++
			fmt.Println("tick", n)
			if n == 3 {
				t.Stop() // no more runs after this one
				l.Delay(20*time.Millisecond, func() { fmt.Println("a last word") })
			}
		})
		if err := t.Err(); err != nil {
			fmt.Println(err)
		}
	}, core.WithReactors(1)) // one reactor: the start function and the timers never overlap
	fmt.Println("loop ended:", err)
	// Output:
	// tick 1
	// tick 2
	// tick 3
	// a last word
	// loop ended: <nil>
}

// Delay runs a function once, d from now (cl-async's delay); Stop cancels
// a Timer that has not run yet.
func ExampleLoop_Delay() {
	err := core.StartEventLoop(func(l *core.Loop) {
		never := l.Delay(time.Hour, func() { fmt.Println("an hour later") })
		soon := l.Delay(10*time.Millisecond, func() {
			fmt.Println("10ms later; stopped the other one:", never.Stop())
		})
		if err := errors.Join(never.Err(), soon.Err()); err != nil {
			fmt.Println(err)
		}
	})
	fmt.Println("loop ended:", err)
	// Output:
	// 10ms later; stopped the other one: true
	// loop ended: <nil>
}
