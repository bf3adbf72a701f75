// Command benchload is the suite's closed-loop echo load on its own: point
// it at any echo server on a loopback address (one you started under
// strace, perf or a profiler, say).
//
//	benchload -addr 127.0.0.1:7007 -conns 100 -size 64 -depth 1 -duration 5s
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
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:7007", "the echo server (loopback only)")
	flag.IntVar(&cfg.Conns, "conns", 100, "connections")
	flag.IntVar(&cfg.Active, "active", 0, "connections that send (0: all); the others echo once and idle")
	flag.IntVar(&cfg.Size, "size", 64, "message size in bytes (>= 8)")
	flag.IntVar(&cfg.Depth, "depth", 1, "messages in flight per connection")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Second, "load before measuring")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measuring time")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pool, err := load.Connect(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	r, err := pool.Run(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d conns (%d active), %d B, depth %d, %v: %.0f msgs/s, p50 %v, p99 %v, p99.9 %v\n",
		cfg.Conns, max(cfg.Active, cfg.Conns*boolInt(cfg.Active == 0)), cfg.Size, cfg.Depth, cfg.Duration,
		r.MsgsPerSec, r.P50, r.P99, r.P999)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
