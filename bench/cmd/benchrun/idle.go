package main

import (
	"context"
	"fmt"

	"github.com/asyncnet/asyncnet/bench/load"
)

var idleHeader = []string{"round", "impl", "conns", "rss_before_kib", "rss_after_kib", "bytes_per_conn"}

// idleResult is one idle-memory probe.
type idleResult struct{ before, after int64 } // resident KiB, garbage collected

// runIdle measures the server's resident memory before and after conns
// connections have connected and echoed one message each.
func runIdle(ctx context.Context, sp serverSpec, impl string, conns int) (idleResult, error) {
	p, err := sp.start(impl, "echo")
	if err != nil {
		return idleResult{}, err
	}
	defer p.stop()
	rss := func() (int64, error) {
		if err := p.gc(); err != nil {
			return 0, err
		}
		return p.rssKiB()
	}
	before, err := rss()
	if err != nil {
		return idleResult{}, err
	}
	pool, err := load.Connect(ctx, load.Config{Addr: p.addr, Conns: conns, Size: 64, Depth: 1, Duration: 1})
	if err != nil {
		return idleResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	defer pool.Close()
	after, err := rss()
	if err != nil {
		return idleResult{}, err
	}
	return idleResult{before, after}, nil
}

func (r idleResult) perConn(conns int) float64 {
	return float64(r.after-r.before) * 1024 / float64(conns)
}

func (r idleResult) row(round int, impl string, conns int) []string {
	return []string{itoa(round), impl, itoa(conns), itoa(r.before), itoa(r.after), ftoa(r.perConn(conns), 0)}
}
