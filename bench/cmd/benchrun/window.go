package main

import (
	"errors"
	"time"
)

// window is what a run sampled at the edges of its measuring window.
type window struct {
	cpu       time.Duration // the server's CPU time in the window
	clientCPU time.Duration // this process's (the load's) CPU time in the window
	rss       int64         // the server's resident memory at the end, KiB
	created   int64         // goroutines the server created in the window; -1: unknown
	threads   int64         // the server's OS threads at the window's end
	err       error
}

// measureWindow samples the server p and this process at the edges of a
// measuring window that opens warmup from now and lasts duration, while
// the caller runs the load. With profile set, the server writes a CPU
// profile of the window to that file. The result arrives on the returned
// channel once the window has closed.
func measureWindow(p *proc, warmup, duration time.Duration, profile string) <-chan window {
	out := make(chan window, 1)
	go func() {
		time.Sleep(warmup)
		var perr error
		if profile != "" {
			perr = p.command("cpu " + profile)
		}
		s0, errS0 := p.stats()
		c0, errC0 := p.cpu()
		l0, errL0 := selfCPU()
		time.Sleep(duration)
		c1, errC1 := p.cpu()
		l1, errL1 := selfCPU()
		s1, errS1 := p.stats()
		rss, errR := p.rssKiB()
		threads, errT := p.threads()
		if profile != "" && perr == nil {
			perr = p.command("cpu stop")
		}
		w := window{cpu: c1 - c0, clientCPU: l1 - l0, rss: rss, created: -1, threads: threads,
			err: errors.Join(errS0, errC0, errL0, errC1, errL1, errS1, errR, errT, perr)}
		if s0.created >= 0 && s1.created >= 0 {
			w.created = s1.created - s0.created
		}
		out <- w
	}()
	return out
}
