// Command echo is asyncnet's demo: an echo server, and a client that talks
// to it.
//
//	go run ./examples/echo            # serve on 127.0.0.1:7007 until Ctrl-C
//	go run ./examples/echo -addr :9000
//	go run ./examples/echo -serve=false   # the client demo only, then exit
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7007", "address to listen on")
	serve := flag.Bool("serve", true, "keep serving after the demo, until Ctrl-C")
	flag.Parse()
	if err := run(*addr, *serve, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves echo on addr, has a client exchange a few messages with it,
// then serves until interrupted (or stops, when serve is false).
func run(addr string, serve bool, out io.Writer) error {
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	done := make(chan struct{})
	defer close(done)
	return core.StartEventLoop(func(l *core.Loop) {
		srv, err := server.TCPServer(l, addr, echo,
			core.OnDrain(resume),
			core.OnEvent(func(s *core.Socket, ev error) {
				fmt.Fprintf(out, "server: %v\n", ev) // end of file, reset, ...
			}))
		if err != nil {
			fmt.Fprintln(out, err)
			return
		}
		fmt.Fprintf(out, "echo server on %s\n", srv.Addr())

		msgs := []string{"hello", "from", "asyncnet"}
		next := 0
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			fmt.Fprintf(out, "client: got %q\n", data)
			if next++; next < len(msgs) {
				if _, err := s.Write([]byte(msgs[next])); err != nil {
					fmt.Fprintf(out, "client: %v\n", err)
				}
				return
			}
			_ = s.Close()
			if !serve {
				_ = srv.Close() // nothing left: the loop ends
				return
			}
			fmt.Fprintf(out, "still serving; try: nc %s   (Ctrl-C to stop)\n", strings.Replace(srv.Addr().String(), ":", " ", 1))
		}, client.WithData([]byte(msgs[0])),
			core.OnConnect(func(s *core.Socket) { fmt.Fprintf(out, "client: connected to %s\n", s.RemoteAddr()) }))
		if err != nil {
			fmt.Fprintln(out, err)
			_ = srv.Close()
			return
		}

		go func() {
			select {
			case <-interrupt:
				fmt.Fprintln(out, "\nbye")
				l.Exit() // safe from any goroutine
			case <-done:
			}
		}()
	})
}

// echo sends back what it reads. data is valid during the call only; Write
// copies it. A peer that sends faster than it reads the echo would make the
// unsent bytes pile up: once they pass the high watermark (Congested),
// echo stops reading that peer, whom TCP then holds back, until resume.
func echo(s *core.Socket, data []byte) {
	if _, err := s.Write(data); err != nil {
		return // the socket is closed; its OnEvent says why
	}
	if s.Congested() {
		_ = s.Disable(true, false)
	}
}

// resume reads the peer again once what it was sent has drained.
func resume(s *core.Socket) { _ = s.Enable(true, false) }
