// Command gnet-plugin is a plain gnet application that asyncnet was added
// to with a small change: the connections on a second address are proxied
// to a backend through client.TCPConnect, with a read timeout and
// half-close, on the application's own event loops.
// docs/gnet-integration.md walks through the change; it is marked
// "asyncnet" below, and proxy.go is new.
//
//	go run ./examples/gnet-plugin                 # a demo backend and a demo, then serve until Ctrl-C
//	go run ./examples/gnet-plugin -serve=false    # the demo only
//	go run ./examples/gnet-plugin -backend 127.0.0.1:7007 -timeout 30s   # proxy to your backend
//
// On SIGINT (Ctrl-C) or SIGTERM it shuts down gracefully: the proxy turns
// new clients away and lets each proxied connection finish (end both ways,
// fail, or time out), for up to -grace; then the gnet engine stops, which
// closes what is left, the application's own connections included (gnet
// has no graceful stop). A second signal ends the program at once.
//
// Exit status: 0 when every proxied connection finished within the grace
// period; 1 when it could not listen (an address is taken, say), when the
// demo failed, or when the grace period ran out and connections were
// force-closed; 2 for bad flags.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/core"
)

type config struct {
	app, proxy string        // listening addresses (the proxy's needs a real port)
	backend    string        // where to proxy to; "" starts a demo backend and runs the demo
	timeout    time.Duration // the backend connections' read timeout
	serve      bool          // keep serving after the demo, until SIGINT or SIGTERM
	grace      time.Duration // how long a shutdown waits for proxied connections to finish
}

func main() {
	var cfg config
	flag.StringVar(&cfg.app, "app", "127.0.0.1:7100", "the gnet application's address")
	flag.StringVar(&cfg.proxy, "proxy", "127.0.0.1:7101", "the address whose clients asyncnet proxies")
	flag.StringVar(&cfg.backend, "backend", "", "the backend to proxy to (default: a demo backend that answers in upper case, and a demo)")
	flag.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "close a backend connection idle this long")
	flag.BoolVar(&cfg.serve, "serve", true, "keep serving after the demo, until SIGINT or SIGTERM")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "on SIGINT or SIGTERM, how long to let proxied connections finish")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // from the first signal on, a second one ends the program at once
	err := run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gnet-plugin:", err)
		os.Exit(1)
	}
}

// run starts the application with the proxy, runs the demo (without
// -backend), serves until ctx ends (with cfg.serve), then shuts down.
func run(ctx context.Context, cfg config, out io.Writer) error {
	withDemo := cfg.backend == ""
	if withDemo {
		ln, err := startBackend()
		if err != nil {
			return err
		}
		defer ln.Close()
		cfg.backend = ln.Addr().String()
	}
	app := &greeter{out: out, every: time.Second, booted: make(chan gnet.Engine, 1)}

	// asyncnet: wrap the application's handler; the clients of the proxy
	// address become asyncnet sockets, all others stay the application's.
	px := &proxy{backend: cfg.backend, timeout: cfg.timeout, out: out}
	plugin, err := adapters.Wrap(app, adapters.TakeAddr(cfg.proxy, px.read, px.options()...))
	if err != nil {
		return err
	}
	// asyncnet: end of the change, but for the gnet.Rotate call below.

	done := make(chan error, 1)
	go func() {
		done <- gnet.Rotate(plugin, // asyncnet: was app
			[]string{"tcp://" + cfg.app, "tcp://" + cfg.proxy}, // asyncnet: the proxy's address added
			gnet.WithMulticore(true),
			gnet.WithTicker(true),
			gnet.WithLoadBalancing(gnet.LeastConnections), // asyncnet: a balancer that is safe with Engine.Register
			// Restart at once on the same ports, despite the connections
			// of the last run in TIME_WAIT.
			gnet.WithReuseAddr(true))
	}()
	var eng gnet.Engine
	select {
	case eng = <-app.booted:
	case err := <-done:
		return fmt.Errorf("gnet: %w", err) // such as an address in use
	}
	// asyncnet: the Loop gets the engine's event loops at the engine's
	// first tick. Start returns once its function has run on one of them:
	// from then on the proxy is fully ready.
	if err := plugin.Loop().Start(func(*core.Loop) {}); err != nil {
		return errors.Join(err, eng.Stop(context.Background()), <-done)
	}
	fmt.Fprintf(out, "gnet app listening on %s; asyncnet proxies %s to %s\n", cfg.app, cfg.proxy, cfg.backend)
	if withDemo {
		err = demo(cfg, out)
	}
	if err == nil && cfg.serve && ctx.Err() == nil {
		fmt.Fprintf(out, "still serving; try: nc %s   or: nc %s   (Ctrl-C to stop)\n",
			strings.Replace(cfg.app, ":", " ", 1), strings.Replace(cfg.proxy, ":", " ", 1))
		select {
		case <-ctx.Done():
		case err := <-done:
			return fmt.Errorf("gnet: the engine stopped: %v", err)
		}
	}
	return errors.Join(err, shutdown(eng, plugin.Loop(), px, cfg.grace, done, out))
}

// shutdown lets the proxied connections finish, for up to grace, then
// stops the engine and waits for gnet.Rotate to return (done gets its
// result).
func shutdown(eng gnet.Engine, l *core.Loop, px *proxy, grace time.Duration, done <-chan error, out io.Writer) error {
	fmt.Fprintf(out, "shutting down (proxied connections: %d); waiting up to %v for them to finish\n", l.Stats().IncomingSockets, grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	forced := px.drain(ctx, l)
	// Engine.Stop closes every connection left, asyncnet's and the
	// application's, and Rotate returns.
	if err := eng.Stop(context.Background()); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return fmt.Errorf("gnet: %w", err)
	}
	if forced != nil {
		return fmt.Errorf("the %v grace period ran out; the proxied connections still open were force-closed", grace)
	}
	fmt.Fprintln(out, "every proxied connection finished")
	return nil
}

// demo talks to the application; then, through the proxy, it sends a
// request and ends its side, and reads the whole reply; then it asks the
// backend to wait, and the proxy's read timeout ends the connection.
func demo(cfg config, out io.Writer) error {
	c, err := net.Dial("tcp", cfg.app)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	welcome, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	fmt.Fprintf(out, "client: the app says %q\n", welcome)
	if _, err := io.WriteString(c, "hello gnet\n"); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	echo, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	fmt.Fprintf(out, "client: the app echoes %q\n", echo)

	p, err := net.Dial("tcp", cfg.proxy)
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := io.WriteString(p, "hello backend\n"); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	// End our side: the backend sees end of file after the request, and
	// its reply still comes back.
	if err := p.(*net.TCPConn).CloseWrite(); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	reply, err := io.ReadAll(p)
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	fmt.Fprintf(out, "client: through the proxy, after ending its side: %q\n", reply)

	w, err := net.Dial("tcp", cfg.proxy)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(out, "client: asking the backend to wait; the proxy's %v read timeout ends it\n", cfg.timeout)
	start := time.Now()
	if _, err := io.WriteString(w, "wait\n"); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	if rest, err := io.ReadAll(w); err != nil || len(rest) > 0 {
		return fmt.Errorf("proxy: want the connection closed, got %q, %v", rest, err)
	}
	fmt.Fprintf(out, "client: the proxy closed the connection after %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// startBackend serves the demo backend on a free loopback port: it answers
// each line in upper case, and ignores "wait".
func startBackend() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s := bufio.NewScanner(c)
				for s.Scan() {
					if s.Text() == "wait" {
						continue
					}
					if _, err := fmt.Fprintf(c, "backend: %s\n", strings.ToUpper(s.Text())); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln, nil
}
