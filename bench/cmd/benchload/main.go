// Command benchload is the suite's loads on their own: point it at any
// echo server on a loopback address (one you started under strace, perf or
// a profiler, say).
//
//	benchload -addr 127.0.0.1:7007 -conns 100 -size 64 -depth 1 -duration 5s
//	benchload -mode churn -addr 127.0.0.1:7007 -conns 64 -close rst -duration 5s
//	benchload -mode burst -addr 127.0.0.1:7007 -conns 10000 -sources 16
//	benchload -mode burst -client asyncnet -addr 127.0.0.1:7007 -conns 10000
//
// The echo mode keeps -conns connections busy; churn has -conns clients
// each connect, echo one message and close, in a loop; burst opens -conns
// connections at once, echoes one message on each, then closes them all,
// with the suite's epoll client or, with -client asyncnet, with asyncnet's
// own client.TCPConnect, and reports this process's peak goroutines and OS
// threads too.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/asyncnet/asyncnet/bench/load"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchload: ")
	var cfg load.Config
	mode := flag.String("mode", "echo", "echo, churn or burst")
	closeMode := flag.String("close", "fin", "churn: how clients close, fin or rst")
	cl := flag.String("client", "epoll", "burst: the client, epoll (the suite's) or asyncnet (client.TCPConnect on a Loop of one reactor)")
	sources := flag.Int("sources", 0, "churn, burst: IPv4 loopback source addresses to spread over (127.0.0.2 and up; 0: 127.0.0.1)")
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:7007", "the echo server (loopback only)")
	flag.IntVar(&cfg.Conns, "conns", 100, "connections (churn: concurrent clients)")
	flag.IntVar(&cfg.Active, "active", 0, "connections that send (0: all); the others echo once and idle")
	flag.IntVar(&cfg.Size, "size", 64, "message size in bytes (>= 8)")
	flag.IntVar(&cfg.Depth, "depth", 1, "messages in flight per connection")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "load before measuring")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measuring time")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch *mode {
	case "echo":
		err = runEcho(ctx, cfg)
	case "churn":
		var cm load.CloseMode
		if cm, err = load.ParseCloseMode(*closeMode); err == nil {
			err = runChurn(ctx, load.ChurnConfig{Addr: cfg.Addr, Clients: cfg.Conns, Size: cfg.Size, Close: cm,
				Warmup: cfg.Warmup, Duration: cfg.Duration, Sources: *sources})
		}
	case "burst":
		err = runBurst(ctx, *cl, load.BurstConfig{Addr: cfg.Addr, Conns: cfg.Conns, Size: cfg.Size, Sources: *sources})
	default:
		err = fmt.Errorf("-mode %q: want echo, churn or burst", *mode)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func runEcho(ctx context.Context, cfg load.Config) error {
	pool, err := load.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	r, err := pool.Run(ctx)
	if err != nil {
		return err
	}
	active := cfg.Active
	if active == 0 {
		active = cfg.Conns
	}
	fmt.Printf("%d conns (%d active), %d B, depth %d, %v: %.0f msgs/s, p50 %v, p99 %v, p99.9 %v\n",
		cfg.Conns, active, cfg.Size, cfg.Depth, cfg.Duration, r.MsgsPerSec, r.P50, r.P99, r.P999)
	return nil
}

func runChurn(ctx context.Context, cfg load.ChurnConfig) error {
	r, err := load.Churn(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("%d clients, %d B, close %v, %v: %.0f conns/s, connect to reply p50 %v, p99 %v, p99.9 %v; errors: %v\n",
		cfg.Clients, cfg.Size, cfg.Close, cfg.Duration, r.ConnsPerSec, r.P50, r.P99, r.P999, r.Errors)
	return nil
}

func runBurst(ctx context.Context, cl string, cfg load.BurstConfig) error {
	var r load.BurstResult
	var err error
	peaks := samplePeaks()
	switch cl {
	case "epoll":
		r, err = load.Burst(ctx, cfg)
	case "asyncnet":
		r, err = load.BurstAsyncnet(ctx, cfg, 1)
	default:
		err = fmt.Errorf("-client %q: want epoll or asyncnet", cl)
	}
	goroutines, threads := peaks()
	if err != nil {
		return err
	}
	fmt.Printf("%d connections (%s client): %d echoed; open %v, close %v; connect to reply p50 %v, p99 %v, p99.9 %v; "+
		"client peak %d goroutines, %d threads; errors: %v\n",
		cfg.Conns, cl, r.Conns, r.Open, r.Close, r.P50, r.P99, r.P999, goroutines, threads, r.Errors)
	return nil
}
