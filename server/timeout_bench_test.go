//go:build linux

package server_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// idleConns is how many idle connections BenchmarkEchoIdleTimeouts holds:
// $ASYNCNET_BENCH_IDLE, else 100000, or as many as the process's
// descriptor limit allows (each connection takes two here: both ends).
func idleConns(b *testing.B) int {
	if v := os.Getenv("ASYNCNET_BENCH_IDLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("ASYNCNET_BENCH_IDLE=%q: %v", v, err)
		}
		return n
	}
	n := 100_000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Max < uint64(2*n+1000) {
		n = (int(lim.Max) - 1000) / 2
		b.Logf("the descriptor limit (%d) allows %d idle connections", lim.Max, n)
	}
	return n
}

// BenchmarkEchoIdleTimeouts measures echo throughput (8 connections, 16
// messages of 64 bytes in flight each) while the server also holds 100k
// idle connections (fewer if the descriptor limit says so; the "idle"
// metric tells), each with a read timeout armed (on) or not (off).
// $ASYNCNET_BENCH_TICK sets the Loop's tick interval (default
// core.DefaultTickInterval), to see what a finer timer resolution costs.
// Compare the two with benchstat over several interleaved runs:
//
//	go test -run '^$' -bench EchoIdleTimeouts -count 6 ./server
func BenchmarkEchoIdleTimeouts(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("timeouts=%v", on), func(b *testing.B) { benchIdle(b, idleConns(b), on) })
	}
}

func benchIdle(b *testing.B, idle int, timeouts bool) {
	raiseFDLimit(b, 2*idle+1000)
	var opts []server.Option
	if timeouts {
		opts = append(opts, core.WithReadTimeout(time.Hour))
	}
	const ports = 4 // ~28k client ports per server port on loopback
	tk := core.DefaultTickInterval
	if v := os.Getenv("ASYNCNET_BENCH_TICK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("ASYNCNET_BENCH_TICK=%q: want a positive duration such as 1ms", v)
		}
		tk = d
	}
	l := core.NewLoop(core.WithTickInterval(tk))
	addrs := make(chan []string, 1)
	done := make(chan error, 1)
	go func() {
		done <- l.Run(func(l *core.Loop) {
			var as []string
			for range ports {
				srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) { _, _ = s.Write(data) }, opts...)
				if err != nil {
					b.Error(err)
					break
				}
				as = append(as, srv.Addr().String())
			}
			addrs <- as
		})
	}()
	as := <-addrs
	defer func() {
		l.Exit()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	if len(as) != ports {
		return
	}
	conns := dialMany(b, as, idle)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for l.Stats().IncomingSockets < idle {
		time.Sleep(10 * time.Millisecond) // setup: wait for the accepts
	}

	const active, depth, size = 8, 16, 64
	var load []net.Conn
	for i := range active {
		c, err := net.Dial("tcp", as[i%ports])
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		load = append(load, c)
	}
	msg := make([]byte, size*depth)
	b.ResetTimer()
	cpu0 := testutil.CPUTime()
	for b.Loop() {
		var wg sync.WaitGroup
		for _, c := range load {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, len(msg))
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	msgs := float64(b.N * active * depth)
	b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(testutil.CPUTime()-cpu0)/msgs, "cpu-ns/msg") // client and server: the process's CPU time
	b.ReportMetric(float64(idle), "idle")
}

// dialMany opens n idle connections spread over addrs.
func dialMany(b *testing.B, addrs []string, n int) []net.Conn {
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	const dialers = 16
	for d := range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := d; i < n; i += dialers {
				c, err := net.DialTimeout("tcp", addrs[i%len(addrs)], 30*time.Second)
				if err != nil {
					b.Error(err)
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return conns
}

// raiseFDLimit raises the process's descriptor limit to n, or skips.
func raiseFDLimit(b *testing.B, n int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Skip(err)
	}
	if lim.Cur >= uint64(n) {
		return
	}
	lim.Cur = max(lim.Cur, uint64(n))
	lim.Max = max(lim.Max, uint64(n))
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Skipf("need %d descriptors (set ASYNCNET_BENCH_IDLE lower, or run as root): %v", n, err)
	}
}
