package main

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// peakEvery is how often the goroutine sampler looks, once started: often
// enough to see a burst of connections, and rarely enough to cost the
// server nothing measurable (a timer wake-up every 5 ms).
const peakEvery = 5 * time.Millisecond

// createdMetric counts the goroutines created since the program started
// (Go 1.26 and later; earlier runtimes do not know it).
const createdMetric = "/sched/goroutines-created:goroutines"

// goroutineStats samples the number of goroutines, for the peak of a run.
type goroutineStats struct {
	mu      sync.Mutex
	peak    int
	running bool
}

// start resets the peak to the current count and starts sampling, if it
// is not sampling already.
func (g *goroutineStats) start() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.peak = runtime.NumGoroutine()
	if g.running {
		return
	}
	g.running = true
	go func() {
		t := time.NewTicker(peakEvery)
		defer t.Stop()
		for range t.C {
			n := runtime.NumGoroutine()
			g.mu.Lock()
			g.peak = max(g.peak, n)
			g.mu.Unlock()
		}
	}()
}

// report is the answer to "stats": the goroutines now, their peak since
// "peak start" (or now, if sampling never started), and the goroutines
// created since the program started ("" if the runtime does not count
// them).
func (g *goroutineStats) report() string {
	now := runtime.NumGoroutine()
	g.mu.Lock()
	peak := now
	if g.running {
		peak = max(g.peak, now)
	}
	g.mu.Unlock()
	created := ""
	s := []metrics.Sample{{Name: createdMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		created = fmt.Sprint(s[0].Value.Uint64())
	}
	return fmt.Sprintf("OK goroutines=%d peak_goroutines=%d goroutines_created=%s", now, peak, created)
}
