// Command connector is a long-lived client on asyncnet: it keeps a small
// pool of connections to a Redis server (or anything that speaks RESP),
// reconnects with exponential backoff and jitter when they fail, gives
// each request a deadline, and shuts down cleanly on SIGINT or SIGTERM.
// Its work is a counter: every -every it sends INCR on one of the
// connections and prints the reply, or why there is none.
//
//	redis-server --port 6379 &               # Debian's redis-server package (make deps)
//	go run ./examples/connector              # 4 connections to 127.0.0.1:6379, until Ctrl-C
//	go run ./examples/connector -n 20        # 20 requests, then exit
//
// Kill the Redis server while it runs: the requests fail at once ("no
// connection to the backend is up"), the connections try again, further
// and further apart, and the requests succeed again as soon as the server
// is back. pool.go says how the backoff and the deadline work.
//
// On SIGINT (Ctrl-C) or SIGTERM it stops sending, lets the requests under
// way finish (each within its deadline), closes its connections
// gracefully, and exits; what is still open after -grace is closed at
// once. A second signal ends the program at once.
//
// Exit status: 0 after a clean shutdown (and, with -n, when every request
// succeeded); 1 when the grace period ran out, or, with -n, when a
// request failed; 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// config is what the flags say.
type config struct {
	pool  PoolConfig
	key   string        // the counter's key
	every time.Duration // how often to send a request
	n     int           // requests to send, then exit; 0: until a signal
	grace time.Duration // how long a shutdown waits
}

func main() {
	var cfg config
	flag.StringVar(&cfg.pool.Addr, "addr", "127.0.0.1:6379", "the Redis server")
	flag.IntVar(&cfg.pool.Size, "conns", 4, "connections to keep open")
	flag.DurationVar(&cfg.pool.Timeout, "timeout", time.Second, "the request deadline")
	flag.DurationVar(&cfg.pool.DialTimeout, "dial-timeout", 2*time.Second, "how long one connection attempt may take")
	flag.DurationVar(&cfg.pool.BackoffBase, "backoff-base", 100*time.Millisecond, "the wait before the first attempt after a failure")
	flag.DurationVar(&cfg.pool.BackoffMax, "backoff-max", 5*time.Second, "the longest wait between attempts")
	flag.StringVar(&cfg.key, "key", "asyncnet:connector", "the counter's key")
	flag.DurationVar(&cfg.every, "every", 500*time.Millisecond, "how often to send a request")
	flag.IntVar(&cfg.n, "n", 0, "send this many requests, then exit (0: until SIGINT or SIGTERM)")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "on SIGINT or SIGTERM, how long to let requests and connections finish")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "connector:", err)
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // from the first signal on, a second one ends the program at once
	err := run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "connector:", err)
		os.Exit(1)
	}
}

// check reports a flag out of range.
func (cfg config) check() error {
	switch {
	case cfg.pool.Size < 1:
		return errors.New("-conns must be at least 1")
	case cfg.pool.Timeout <= 0 || cfg.every <= 0 || cfg.grace <= 0:
		return errors.New("-timeout, -every and -grace must be positive")
	case cfg.pool.BackoffBase <= 0 || cfg.pool.BackoffMax < cfg.pool.BackoffBase:
		return errors.New("-backoff-base must be positive, and -backoff-max at least as long")
	case cfg.n < 0:
		return errors.New("-n must not be negative")
	}
	return nil
}

// run sends a request every cfg.every through a Pool until ctx ends (or
// cfg.n requests have been sent), then shuts down gracefully.
func run(ctx context.Context, cfg config, out io.Writer) error {
	// The Loop must stay up while every connection is down and waiting to
	// reconnect, when it may hold nothing at all.
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		return err
	}
	p := NewPool(l, cfg.pool, out)
	fmt.Fprintf(out, "connector: %d connections to %s; INCR %s every %v, deadline %v\n",
		cfg.pool.Size, cfg.pool.Addr, cfg.key, cfg.every, cfg.pool.Timeout)

	var failed atomic.Int64
	var requests sync.WaitGroup
	tick := time.NewTicker(cfg.every)
	defer tick.Stop()
send:
	for i := 1; cfg.n == 0 || i <= cfg.n; i++ {
		select {
		case <-ctx.Done():
			break send
		case <-tick.C:
		}
		requests.Add(1)
		go func() { // a slow reply must not hold the next request back
			defer requests.Done()
			// Not ctx: a request under way when the signal comes may
			// finish, within its deadline.
			reply, err := p.Do(context.Background(), "INCR", cfg.key)
			if err != nil {
				failed.Add(1)
				fmt.Fprintf(out, "request %d: failed: %v\n", i, err)
				return
			}
			fmt.Fprintf(out, "request %d: ok: %s = %v\n", i, cfg.key, reply)
		}()
	}
	requests.Wait()
	err := shutdown(l, p, cfg.grace, out)
	if n := failed.Load(); err == nil && cfg.n > 0 && n > 0 {
		err = fmt.Errorf("%d of %d requests failed", n, cfg.n)
	}
	return err
}

// shutdown closes the pool's connections gracefully and stops the Loop,
// waiting up to grace.
func shutdown(l *core.Loop, p *Pool, grace time.Duration, out io.Writer) error {
	fmt.Fprintf(out, "shutting down (connections up: %d)\n", p.Up())
	p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := l.Shutdown(ctx); err != nil {
		return fmt.Errorf("the %v grace period ran out; the connections still open were closed at once", grace)
	}
	fmt.Fprintln(out, "connector: done")
	return l.Wait()
}
