// Command cluster runs examples/resp as a small cluster and restarts its
// processes one after another under load, to show what a rolling restart
// costs the clients and how to make it cost nothing. It is the demo of
// docs/scaling.md.
//
//	make deps                                   # haproxy, redis-tools (Debian's packages)
//	make cluster-demo                           # = go run ./examples/cluster
//	make cluster-demo-reuseport                 # = go run ./examples/cluster -mode reuseport
//
// -mode haproxy (the default) starts three resp processes with
// -proxy-protocol, each on a loopback port the kernel chooses, and
// Debian's haproxy in front of them (TCP mode, PROXY protocol v2 to the
// backends, Redis health checks; the configuration is in haproxy.go). It
// checks that CLIENT INFO through HAProxy reports the client's own
// address, then runs redis-benchmark through HAProxy (INCR, a new
// connection per request: -k 0) again and again while it restarts each
// backend in turn: it sets the server to maintenance through HAProxy's
// runtime API, waits until HAProxy has no connection open to it, reads
// the backend's counter, sends SIGTERM (the backend's Loop.Shutdown),
// starts the new process, points HAProxy at it and puts it back in
// rotation once its health check passes. It prints the requests, the
// failures (there must be none) and each backend's share, and exits 1 if
// a request failed (or if it could not run: a tool missing, say). -no-drain restarts without the maintenance step, to
// show what it saves.
//
// -mode reuseport runs the three processes on one port with -reuseport
// and no balancer, a Go client in front (a connection per INCR), and
// restarts them in turn (the new process first, then SIGTERM to the old
// one). The kernel spreads connections over the listening processes by a
// hash; a connection it has completed but the closing process has not
// accepted yet is reset when that listener closes, unless the sysctl
// net.ipv4.tcp_migrate_req moves it to another listener. The demo counts
// what the client saw (resets, connections closed before their reply)
// and the kernel's TcpExtTCPMigrateReqSuccess/Failure counters; it exits
// 0 whatever it counted, 1 only if it could not run.
//
// SIGINT or SIGTERM stops the demo early; it stops what it started.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.mode, "mode", cfg.mode, "haproxy: the processes behind HAProxy; reuseport: on one port, no balancer")
	flag.IntVar(&cfg.backends, "backends", cfg.backends, "how many resp processes")
	flag.IntVar(&cfg.clients, "c", cfg.clients, "concurrent clients (redis-benchmark -c)")
	flag.IntVar(&cfg.requests, "n", cfg.requests, "haproxy mode: requests per redis-benchmark run (-n); the runs follow each other until the restarts are done")
	flag.DurationVar(&cfg.settle, "settle", cfg.settle, "load before the first restart, between restarts and after the last")
	flag.BoolVar(&cfg.noDrain, "no-drain", cfg.noDrain, "haproxy mode: restart without taking the server out of rotation first")
	flag.StringVar(&cfg.resp, "resp", cfg.resp, "the examples/resp program (default: built with go build into a temporary directory)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
	if res.failed > 0 && cfg.mode == "haproxy" { // the reuseport demo is there to count them
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	mode     string
	backends int
	clients  int
	requests int
	settle   time.Duration
	noDrain  bool
	resp     string
}

func defaultConfig() config {
	return config{mode: "haproxy", backends: 3, clients: 20, requests: 10000, settle: 2 * time.Second}
}

// result is what a demo measured.
type result struct {
	requests uint64   // requests answered, as the clients count them
	failed   uint64   // requests that failed (haproxy mode: failed redis-benchmark runs, each at least one)
	share    []uint64 // per backend (over its restarts): the requests it answered
	resets   uint64   // reuseport mode: connections reset before their reply
	closed   uint64   // reuseport mode: connections closed (end of file) before their reply
	errors   []string // what the failures said (the first few)
	rps      []float64
}

// run runs the demo cfg.mode describes, printing what it does to out.
func run(ctx context.Context, cfg config, out io.Writer) (*result, error) {
	dir, err := os.MkdirTemp("", "asyncnet-cluster-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if cfg.resp == "" {
		if cfg.resp, err = buildResp(ctx, dir); err != nil {
			return nil, err
		}
	}
	switch cfg.mode {
	case "haproxy":
		return runHAProxy(ctx, cfg, dir, out)
	case "reuseport":
		return runReusePort(ctx, cfg, out)
	}
	return nil, fmt.Errorf("unknown -mode %q (haproxy or reuseport)", cfg.mode)
}

// buildResp builds examples/resp into dir.
func buildResp(ctx context.Context, dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("the go command is not in PATH: build examples/resp and pass it with -resp")
	}
	path := filepath.Join(dir, "resp")
	b, err := exec.CommandContext(ctx, goTool, "build", "-o", path, "github.com/asyncnet/asyncnet/examples/resp").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build examples/resp: %w\n%s", err, b)
	}
	return path, nil
}

// pause waits d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d): // load time: what the demo measures over
		return nil
	}
}

// percent is part of total, in per cent.
func percent(part, total uint64) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(part) / float64(total)
}

// median is the middle of v (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
