// Command gnet-plugin is a plain gnet application that asyncnet was added
// to with a small change: the connections on a second address are proxied
// to a backend through client.TCPConnect, with a read timeout, on the
// application's own event loops. docs/gnet-integration.md walks through the
// change; it is marked "asyncnet" below, and proxy.go is new.
//
//	go run ./examples/gnet-plugin                 # demo, then serve until Ctrl-C
//	go run ./examples/gnet-plugin -serve=false    # the demo only
//	go run ./examples/gnet-plugin -backend 127.0.0.1:7007 -timeout 30s
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/adapters"
)

type config struct {
	app, proxy string        // listening addresses (the proxy's needs a real port)
	backend    string        // where to proxy to; "" starts a demo backend
	timeout    time.Duration // the backend connections' read timeout
	serve      bool          // keep serving after the demo, until Ctrl-C
}

func main() {
	var cfg config
	flag.StringVar(&cfg.app, "app", "127.0.0.1:7100", "the gnet application's address")
	flag.StringVar(&cfg.proxy, "proxy", "127.0.0.1:7101", "the address whose clients asyncnet proxies")
	flag.StringVar(&cfg.backend, "backend", "", "the backend to proxy to (default: a demo backend that answers in upper case)")
	flag.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "close a backend connection idle this long")
	flag.BoolVar(&cfg.serve, "serve", true, "keep serving after the demo, until Ctrl-C")
	flag.Parse()
	if err := run(cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(cfg config, out io.Writer) error {
	if cfg.backend == "" {
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
			gnet.WithLoadBalancing(gnet.LeastConnections)) // asyncnet: a balancer that is safe with Engine.Register
	}()
	var eng gnet.Engine
	select {
	case eng = <-app.booted:
	case err := <-done:
		return fmt.Errorf("gnet: %w", err)
	}
	stop := func() error {
		if err := eng.Stop(context.Background()); err != nil {
			return err
		}
		return <-done
	}
	fmt.Fprintf(out, "gnet app on %s; asyncnet proxies %s to %s\n", cfg.app, cfg.proxy, cfg.backend)
	if err := demo(cfg, out); err != nil {
		_ = stop()
		return err
	}
	if cfg.serve {
		fmt.Fprintf(out, "still serving; try: nc %s   or: nc %s   (Ctrl-C to stop)\n",
			strings.Replace(cfg.app, ":", " ", 1), strings.Replace(cfg.proxy, ":", " ", 1))
		interrupt := make(chan os.Signal, 1)
		signal.Notify(interrupt, os.Interrupt)
		defer signal.Stop(interrupt)
		<-interrupt
		fmt.Fprintln(out, "\nbye")
	}
	return stop()
}

// demo talks to the application, then through the proxy, and waits for the
// proxy's read timeout.
func demo(cfg config, out io.Writer) error {
	c, err := net.Dial("tcp", cfg.app)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	welcome, _ := r.ReadString('\n')
	fmt.Fprintf(out, "client: the app says %q\n", welcome)
	fmt.Fprintf(c, "hello gnet\n")
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
	r = bufio.NewReader(p)
	fmt.Fprintf(p, "hello backend\n")
	reply, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	fmt.Fprintf(out, "client: through the proxy: %q\n", reply)
	fmt.Fprintf(out, "client: asking the backend to wait; the proxy's %v read timeout ends it\n", cfg.timeout)
	start := time.Now()
	fmt.Fprintf(p, "wait\n")
	if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
		return fmt.Errorf("proxy: want the connection closed, got %v", err)
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
					if s.Text() != "wait" {
						fmt.Fprintf(c, "backend: %s\n", strings.ToUpper(s.Text()))
					}
				}
			}()
		}
	}()
	return ln, nil
}
