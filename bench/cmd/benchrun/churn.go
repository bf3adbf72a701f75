package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/asyncnet/asyncnet/bench/load"
	"github.com/asyncnet/asyncnet/bench/servers"
)

// churnScenario is a load of short-lived connections: clients that each
// connect, echo one message and close, in a loop.
type churnScenario struct {
	name    string
	clients int
	close   load.CloseMode
}

var churnScenarios = []churnScenario{
	{name: "churn-8c-fin", clients: 8, close: load.CloseFIN},
	{name: "churn-8c-rst", clients: 8, close: load.CloseRST},
	{name: "churn-64c-fin", clients: 64, close: load.CloseFIN},
	{name: "churn-64c-rst", clients: 64, close: load.CloseRST},
}

// churnSize is the size of a churn or burst request and its reply.
const churnSize = 64

// errorColumns are the CSV columns of load.Errors: the total, each kind,
// and the first failure.
var errorColumns = func() []string {
	cols := []string{"errors"}
	for _, k := range load.ErrorKinds {
		cols = append(cols, "err_"+k)
	}
	return append(cols, "first_error")
}()

func errorFields(e load.Errors) []string {
	fields := []string{itoa(e.Total())}
	for _, n := range e.Counts() {
		fields = append(fields, itoa(n))
	}
	return append(fields, e.First)
}

var churnHeader = append([]string{"round", "scenario", "impl", "clients", "close", "size", "sources", "duration_s",
	"conns", "conns_per_s", "p50_us", "p99_us", "p999_us", "server_cpu_s", "client_cpu_s", "goroutines_created",
	"peak_goroutines", "peak_threads", "listen_overflows"}, errorColumns...)

// churnResult is one churn run.
type churnResult struct {
	load.ChurnResult
	w         window
	peak      peaks
	overflows int64 // listen queue overflows during the run, machine-wide
}

// runChurn starts impl's echo server and churns connections against it.
func runChurn(ctx context.Context, o options, sp serverSpec, impl string, sc churnScenario, profile string) (churnResult, error) {
	p, err := sp.start(impl, servers.Echo)
	if err != nil {
		return churnResult{}, err
	}
	defer p.stop()
	if err := p.command("peak start"); err != nil {
		return churnResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	ov0, err := listenOverflows()
	if err != nil {
		return churnResult{}, err
	}
	samples := measureWindow(p, o.warmup, o.duration, profile)
	r, err := load.Churn(ctx, load.ChurnConfig{Addr: p.addr, Clients: sc.clients, Size: churnSize, Close: sc.close,
		Warmup: o.warmup, Duration: o.duration, Sources: o.sources})
	w := <-samples
	if err != nil {
		return churnResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	if w.err != nil {
		return churnResult{}, fmt.Errorf("%s: sampling the measuring window: %w", impl, w.err)
	}
	pk, err := p.peaks()
	if err != nil {
		return churnResult{}, fmt.Errorf("%s: %w", impl, err)
	}
	ov1, err := listenOverflows()
	if err != nil {
		return churnResult{}, err
	}
	return churnResult{ChurnResult: r, w: w, peak: pk.max(peaks{threads: w.threads}), overflows: ov1 - ov0}, nil
}

func (r churnResult) row(round int, impl string, sc churnScenario, sources int) []string {
	return append([]string{itoa(round), sc.name, impl, itoa(sc.clients), sc.close.String(), itoa(churnSize), itoa(sources),
		secs(r.Elapsed), itoa(r.Conns), ftoa(r.ConnsPerSec, 0), micros(r.P50), micros(r.P99), micros(r.P999),
		secs(r.w.cpu), secs(r.w.clientCPU), countOrEmpty(r.w.created), itoa(r.peak.goroutines), itoa(r.peak.threads),
		itoa(r.overflows)}, errorFields(r.Errors)...)
}

// countOrEmpty formats n, or "" if it is unknown (negative).
func countOrEmpty(n int64) string {
	if n < 0 {
		return ""
	}
	return itoa(n)
}

// logChurn prints a run's figures, and its failures if it had any.
func logChurn(round int, name, impl string, conns int64, perSec float64, p50, p99, cpu time.Duration, e load.Errors) {
	perConn := 0.0
	if conns > 0 {
		perConn = us(cpu) / float64(conns)
	}
	log.Printf("round %d %-16s %-16s %8.0f conns/s  p50 %8.1fµs  p99 %9.1fµs  server %6.1fµs/conn", round, name, impl,
		perSec, us(p50), us(p99), perConn)
	if e.Total() > 0 {
		log.Printf("round %d %s %s: %d connections failed: %v", round, name, impl, e.Total(), e)
	}
}

func runChurns(ctx context.Context, o options, sp serverSpec, scs []churnScenario) error {
	if len(scs) == 0 {
		return nil
	}
	t, err := createTable(o.out, "churn.csv", churnHeader)
	if err != nil {
		return err
	}
	defer t.Close()
	byName := map[string]churnScenario{}
	var names []string
	for _, sc := range scs {
		byName[sc.name] = sc
		names = append(names, sc.name)
	}
	return interleave(ctx, o.rounds, names, o.impls, func(round int, name, impl string) error {
		sc := byName[name]
		profile, err := o.profile(impl, name, round)
		if err != nil {
			return err
		}
		r, err := runChurn(ctx, o, sp, impl, sc, profile)
		if err != nil {
			return err
		}
		logChurn(round, name, impl, r.Conns, r.ConnsPerSec, r.P50, r.P99, r.w.cpu, r.Errors)
		return t.add(r.row(round, impl, sc, o.sources)...)
	})
}
