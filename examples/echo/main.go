// Command echo is asyncnet's demo: an echo server, and a client that talks
// to it.
//
//	go run ./examples/echo                   # serve on 127.0.0.1:7007 until Ctrl-C or SIGTERM
//	go run ./examples/echo -addr 127.0.0.1:0 # any free port; the first line says which
//	go run ./examples/echo -serve=false      # the client demo only, then exit
//	go run ./examples/echo -unix /tmp/echo.sock # on a Unix domain socket instead of TCP
//	go run ./examples/echo -unix /run/echo/echo.sock -mode 0660 # who may connect: owner and group
//
// With -unix it listens on a Unix domain socket (server.PipeServer) and
// the demo's client connects to it (client.PipeConnect); try it with
// "nc -U /tmp/echo.sock" or "socat - UNIX-CONNECT:/tmp/echo.sock". A
// socket file left by an echo that crashed is replaced; a file that is not
// a socket, or a socket another server listens on, is left alone, and echo
// exits 1 saying so. The file's mode is what the umask leaves, or -mode;
// put it in a directory of mode 0700 to keep everyone else out. The file
// is removed at exit.
//
// On SIGINT (Ctrl-C) or SIGTERM it shuts down gracefully: it stops
// accepting, and closes each open connection once it is done, that is,
// when its client has ended its side and has its echo, or once it has been
// quiet for -quiet (nothing received, the whole echo delivered). What is
// still open after -grace is force-closed. A second signal ends the
// program at once.
//
// Exit status: 0 when every connection finished within the grace period;
// 1 when it could not listen (the port or path is taken, say), when the demo
// failed, or when the grace period ran out and connections were
// force-closed; 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// config is what the flags say.
type config struct {
	addr  string
	unix  string        // a Unix socket path to listen on instead of addr
	mode  os.FileMode   // the socket file's permissions; 0: the umask's
	serve bool          // keep serving after the demo
	grace time.Duration // how long a shutdown waits for connections to finish
	quiet time.Duration // during a shutdown, how long a connection may stay quiet before it is closed
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:7007", "address to listen on")
	flag.StringVar(&cfg.unix, "unix", "", "listen on this Unix socket path instead of -addr")
	flag.Func("mode", "with -unix, the socket file's permissions in octal, such as 0660 (default: what the umask leaves)", func(v string) error {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m == 0 || m > 0o777 {
			return fmt.Errorf("%q is not a permission mode (octal, 0001 to 0777)", v)
		}
		cfg.mode = os.FileMode(m)
		return nil
	})
	flag.BoolVar(&cfg.serve, "serve", true, "keep serving after the demo, until SIGINT or SIGTERM")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "on SIGINT or SIGTERM, how long to let open connections finish")
	flag.DurationVar(&cfg.quiet, "quiet", time.Second, "on SIGINT or SIGTERM, close a connection once it has been quiet this long")
	flag.Parse()
	if cfg.mode != 0 && cfg.unix == "" {
		fmt.Fprintln(os.Stderr, "echo: -mode applies to -unix only")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // from the first signal on, a second one ends the program at once
	err := run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

// run serves echo on cfg.addr and has a client exchange a few messages
// with it; then, if cfg.serve, it serves until ctx ends. Then it shuts
// down gracefully.
func run(ctx context.Context, cfg config, out io.Writer) error {
	// The Loop stays up until Shutdown, whatever it holds.
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		return err
	}
	srv, err := listen(l, cfg,
		core.OnConnect(track),
		core.OnDrain(resume),
		server.OnShutdown(closeWhenQuiet(cfg.quiet)),
		core.OnEvent(func(_ *core.Socket, ev error) {
			fmt.Fprintf(out, "server: %v\n", ev) // end of file, reset, ...
		}))
	if err != nil {
		l.Exit() // nothing to finish
		return err
	}
	fmt.Fprintf(out, "listening on %s\n", srv.Addr())
	ended := make(chan error, 1) // the Loop's end: after Shutdown, or at once if a callback panics
	go func() { ended <- l.Wait() }()

	select {
	case err = <-demo(l, srv.Addr(), out):
	case <-ctx.Done():
	case err = <-ended:
		return err
	}
	if err == nil && cfg.serve && ctx.Err() == nil {
		fmt.Fprintf(out, "still serving; try: %s   (Ctrl-C to stop)\n", ncCommand(srv.Addr()))
		select {
		case <-ctx.Done():
		case err = <-ended:
			return err
		}
	}
	return errors.Join(err, shutdown(l, cfg.grace, ended, out))
}

// listen serves echo on cfg.unix if it is set, else on cfg.addr.
func listen(l *core.Loop, cfg config, opts ...server.Option) (*server.Server, error) {
	if cfg.unix == "" {
		return server.TCPServer(l, cfg.addr, echo, opts...)
	}
	if cfg.mode != 0 {
		opts = append(opts, server.WithSocketMode(cfg.mode))
	}
	return server.PipeServer(l, cfg.unix, echo, opts...)
}

// ncCommand says how to talk to the server at addr with netcat.
func ncCommand(addr net.Addr) string {
	if addr.Network() == "unix" {
		return "nc -U " + addr.String()
	}
	return "nc " + strings.Replace(addr.String(), ":", " ", 1)
}

// shutdown stops the Loop gracefully, waiting up to grace for the open
// connections to finish (see closeWhenQuiet), and then for the Loop to
// end (ended gets its result).
func shutdown(l *core.Loop, grace time.Duration, ended <-chan error, out io.Writer) error {
	fmt.Fprintf(out, "shutting down (open connections: %d); waiting up to %v for them to finish\n", l.Stats().IncomingSockets, grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	forced := l.Shutdown(ctx) // once ctx has ended, it force-closes what is left
	if err := <-ended; err != nil {
		return err // a callback panicked
	}
	if forced != nil {
		return fmt.Errorf("the %v grace period ran out; the connections still open were force-closed", grace)
	}
	fmt.Fprintln(out, "every connection finished")
	return nil
}

// demo has a client send a few messages to the server at addr (TCP or
// Unix), each once
// the previous one has come back, and then end its side of the connection
// (CloseWrite); the server then ends its side too. The channel gets nil
// once the client has seen that, or what went wrong.
func demo(l *core.Loop, addr net.Addr, out io.Writer) <-chan error {
	done := make(chan error, 1)
	msgs := []string{"hello", "from", "asyncnet"}
	// The message awaited, and what has come of it. Only the socket's
	// callbacks use them, and those run one at a time.
	next, got := 0, []byte(nil)
	connect := client.TCPConnect
	if addr.Network() == "unix" {
		connect = client.PipeConnect
	}
	_, err := connect(l, addr.String(), func(s *core.Socket, data []byte) {
		got = append(got, data...) // data is borrowed: copy what must outlive the call
		if len(got) < len(msgs[next]) {
			return // a stream may deliver a message in pieces
		}
		fmt.Fprintf(out, "client: got %q\n", got)
		got = got[:0]
		var err error
		if next++; next < len(msgs) {
			_, err = s.Write([]byte(msgs[next]))
		} else {
			err = s.CloseWrite() // the server ends its side once it has echoed everything
		}
		if err != nil {
			fmt.Fprintf(out, "client: %v\n", err) // the socket is closed, and OnEvent ends the demo
		}
	}, client.WithData([]byte(msgs[0])),
		core.OnConnect(func(s *core.Socket) { fmt.Fprintf(out, "client: connected to %s\n", s.RemoteAddr()) }),
		core.OnEvent(func(_ *core.Socket, ev error) {
			if next == len(msgs) && errors.Is(ev, conditions.TCPEOF) {
				fmt.Fprintln(out, "client: the server ended the connection too")
				done <- nil
				return
			}
			done <- fmt.Errorf("client: %w", ev)
		}))
	if err != nil {
		done <- err
	}
	return done
}
