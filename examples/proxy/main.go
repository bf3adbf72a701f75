// Command proxy is a TCP proxy on asyncnet that keeps its memory flat when
// one side is slower than the other, and passes half-closes on. It stops
// reading the fast side while the slow side is congested (Socket.Disable)
// and resumes when it has drained (core.OnDrain); Disable pauses at the TCP
// level, so the fast peer is held back by TCP flow control rather than by
// the proxy's memory. When one side ends its stream (a client that sends a
// request, then shuts its write side), the proxy delivers what it sent,
// ends the stream on the other side, and keeps the reply coming.
//
//	go run ./examples/proxy -listen 127.0.0.1:7008 -backend 127.0.0.1:7007
//	go run ./examples/proxy -listen 127.0.0.1:0 ...   # any free port; the first line says which
//	go run ./examples/proxy -demo    # a fast source, this proxy, a slow sink; prints the proxy's memory
//
// On SIGINT (Ctrl-C) or SIGTERM it shuts down gracefully: it stops
// accepting and lets each proxied connection finish, that is, end both
// ways (or fail). It does not close idle connections itself: a proxy cannot
// tell an idle connection from one whose backend is still working on a
// reply. Connections still open after -grace are force-closed: their
// peers see a reset. A second signal ends the program at once.
//
// Exit status: 0 when every connection finished within the grace period
// (and, with -demo, when every byte arrived); 1 when it could not listen
// (the port is taken, say), when the grace period ran out and connections
// were force-closed, or when the demo failed; 2 for bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// config is what the flags say.
type config struct {
	listen, backend string
	grace           time.Duration // how long a shutdown waits for connections to finish
}

func main() {
	var cfg config
	flag.StringVar(&cfg.listen, "listen", "127.0.0.1:7008", "address to accept clients on")
	flag.StringVar(&cfg.backend, "backend", "127.0.0.1:7007", "address to forward them to")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "on SIGINT or SIGTERM, how long to let open connections finish")
	demo := flag.Bool("demo", false, "run a fast source and a slow sink through the proxy and report its memory")
	size := flag.Int("mib", 256, "demo: MiB to move")
	rate := flag.Int("rate", 32, "demo: the sink's speed, MB/s")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // from the first signal on, a second one ends the program at once
	var err error
	if *demo {
		err = runDemo(*size<<20, *rate<<20, os.Stdout)
	} else {
		err = run(ctx, cfg, os.Stdout)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

// run proxies cfg.listen to cfg.backend until ctx ends, then shuts down
// gracefully. It returns an error if it cannot listen, or if the grace
// period ran out.
func run(ctx context.Context, cfg config, out io.Writer) error {
	// The Loop stays up until Shutdown, whatever it holds.
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		return err
	}
	px := &proxy{backend: cfg.backend}
	srv, err := px.serve(l, cfg.listen)
	if err != nil {
		l.Exit() // nothing to finish
		return err
	}
	fmt.Fprintf(out, "listening on %s, proxying to %s\n", srv.Addr(), cfg.backend)
	ended := make(chan error, 1)
	go func() { ended <- l.Wait() }()
	select {
	case err := <-ended: // only a callback that panicked ends the Loop here
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(out, "shutting down (open connections: %d); waiting up to %v for them to finish\n", l.Stats().IncomingSockets, cfg.grace)
	return shutdown(l, srv, cfg.grace, ended, out)
}

// shutdown stops accepting and waits up to grace for the proxied
// connections to finish, then for the Loop to end (ended gets its result).
func shutdown(l *core.Loop, srv *server.Server, grace time.Duration, ended <-chan error, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// The server's Shutdown waits for its clients' sockets; the Loop's
	// then waits for the backend sockets, which end with them. Once ctx
	// has ended, each force-closes what is left.
	srvErr := srv.Shutdown(ctx)
	loopErr := l.Shutdown(ctx)
	if err := <-ended; err != nil {
		return err // a callback panicked
	}
	if srvErr != nil || loopErr != nil {
		return fmt.Errorf("the %v grace period ran out; the connections still open were force-closed", grace)
	}
	fmt.Fprintln(out, "every connection finished")
	return nil
}
