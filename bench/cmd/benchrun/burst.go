package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/asyncnet/asyncnet/bench/load"
	"github.com/asyncnet/asyncnet/bench/servers"
)

var burstHeader = append([]string{"round", "impl", "conns", "sources", "echoed", "open_s", "close_s", "p50_us", "p99_us",
	"p999_us", "server_cpu_s", "goroutines_created", "peak_goroutines", "peak_threads", "listen_overflows"}, errorColumns...)

// burstResult is one burst run.
type burstResult struct {
	load.BurstResult
	cpu       time.Duration
	created   int64 // goroutines the server created during the burst; -1: unknown
	peak      peaks
	overflows int64
}

// runBurst starts impl's echo server, opens o.burst connections to it at
// once, echoes one message on each, and closes them all.
func runBurst(ctx context.Context, o options, sp serverSpec, impl string) (burstResult, error) {
	p, err := sp.start(impl, servers.Echo)
	if err != nil {
		return burstResult{}, err
	}
	defer p.stop()
	if err := p.command("peak start"); err != nil {
		return burstResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	s0, err0 := p.stats()
	c0, err1 := p.cpu()
	ov0, err2 := listenOverflows()
	if err := errors.Join(err0, err1, err2); err != nil {
		return burstResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	var held peaks
	var heldErr error
	r, err := load.Burst(ctx, load.BurstConfig{Addr: p.addr, Conns: o.burst, Size: churnSize, Sources: o.sources,
		Held: func() { held, heldErr = p.peaks() }})
	if err != nil {
		return burstResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	c1, err0 := p.cpu()
	s1, err1 := p.stats()
	ov1, err2 := listenOverflows()
	after, err3 := p.peaks()
	if err := errors.Join(heldErr, err0, err1, err2, err3); err != nil {
		return burstResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	b := burstResult{BurstResult: r, cpu: c1 - c0, created: -1, peak: held.max(after), overflows: ov1 - ov0}
	if s0.created >= 0 && s1.created >= 0 {
		b.created = s1.created - s0.created
	}
	return b, nil
}

func (r burstResult) row(round int, impl string, conns, sources int) []string {
	return append([]string{itoa(round), impl, itoa(conns), itoa(sources), itoa(r.Conns), secs(r.Open), secs(r.Close),
		micros(r.P50), micros(r.P99), micros(r.P999), secs(r.cpu), countOrEmpty(r.created), itoa(r.peak.goroutines),
		itoa(r.peak.threads), itoa(r.overflows)}, errorFields(r.Errors)...)
}

func runBursts(ctx context.Context, o options, sp serverSpec) error {
	if o.burst == 0 {
		return nil
	}
	t, err := createTable(o.out, "burst.csv", burstHeader)
	if err != nil {
		return err
	}
	defer t.Close()
	name := fmt.Sprintf("burst-%d", o.burst)
	return interleave(ctx, o.rounds, []string{name}, o.impls, func(round int, _, impl string) error {
		r, err := runBurst(ctx, o, sp, impl)
		if err != nil {
			return err
		}
		log.Printf("round %d %-16s %-16s open %6.0fms  close %6.0fms  server %6.1fµs/conn  peak %d goroutines, %d threads",
			round, name, impl, us(r.Open)/1000, us(r.Close)/1000, us(r.cpu)/float64(max(r.Conns, 1)),
			r.peak.goroutines, r.peak.threads)
		if r.Errors.Total() > 0 {
			log.Printf("round %d %s %s: %d connections failed: %v", round, name, impl, r.Errors.Total(), r.Errors)
		}
		return t.add(r.row(round, impl, o.burst, o.sources)...)
	})
}
