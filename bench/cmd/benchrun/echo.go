package main

import (
	"context"
	"fmt"
	"time"

	"github.com/asyncnet/asyncnet/bench/load"
)

// scenario is one echo load.
type scenario struct {
	name   string
	conns  int
	active int // connections that send; 0 = all
	size   int
	depth  int
}

var scenarios = []scenario{
	{"1c-pingpong-64B", 1, 0, 64, 1},
	{"100c-64B-d1", 100, 0, 64, 1},
	{"100c-64B-d16", 100, 0, 64, 16},
	{"1000c-1KiB-d1", 1000, 0, 1024, 1},
	{"10kc-idle-1pct", 10000, 100, 64, 1},
}

var echoHeader = []string{"round", "scenario", "impl", "conns", "size", "depth", "active", "duration_s",
	"msgs", "msgs_per_s", "p50_us", "p99_us", "p999_us", "server_cpu_s", "server_rss_kib", "client_cpu_s"}

// echoResult is one echo run.
type echoResult struct {
	load.Result
	cpu       time.Duration // the server's CPU time during the measuring window
	rss       int64         // the server's resident memory at the end, KiB
	clientCPU time.Duration // the load's CPU time (this process's) during the window
}

// runEcho starts impl, loads it with sc and returns what it measured.
// With profile set, the server writes a CPU profile of the measuring window
// to that file.
func runEcho(ctx context.Context, sp serverSpec, impl string, sc scenario, warmup, duration time.Duration, profile string) (echoResult, error) {
	p, err := sp.start(impl, "echo")
	if err != nil {
		return echoResult{}, err
	}
	defer p.stop()
	cfg := load.Config{Addr: p.addr, Conns: sc.conns, Active: sc.active, Size: sc.size, Depth: sc.depth,
		Warmup: warmup, Duration: duration}
	pool, err := load.Connect(ctx, cfg)
	if err != nil {
		return echoResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	defer pool.Close()

	samples := measureWindow(p, warmup, duration, profile)
	r, err := pool.Run(ctx)
	s := <-samples
	if err != nil {
		return echoResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	if s.err != nil {
		return echoResult{}, fmt.Errorf("%s: sampling the measuring window: %w", impl, s.err)
	}
	return echoResult{Result: r, cpu: s.cpu, rss: s.rss, clientCPU: s.clientCPU}, nil
}

func (r echoResult) row(round int, impl string, sc scenario) []string {
	active := sc.active
	if active == 0 {
		active = sc.conns
	}
	return []string{itoa(round), sc.name, impl, itoa(sc.conns), itoa(sc.size), itoa(sc.depth), itoa(active),
		secs(r.Elapsed), itoa(r.Msgs), ftoa(r.MsgsPerSec, 0), micros(r.P50), micros(r.P99), micros(r.P999),
		secs(r.cpu), itoa(r.rss), secs(r.clientCPU)}
}
