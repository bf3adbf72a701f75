package main

import (
	"runtime"
	"sync"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// The sampler reads the server's memory while its peers flood it:
// every sampleEvery, and every gcEvery-th time after a forced garbage
// collection, so that the live heap it sees is never older than
// sampleEvery × gcEvery even when the runtime would not collect on its own.
// Besides, a gcWatch reads the live heap after every collection, forced or
// not, which a short spike between two samples cannot escape when it
// triggers one. The peak RSS is VmHWM, which misses nothing.
const (
	sampleEvery = 50 * time.Millisecond
	gcEvery     = 4
)

// peak is the most memory the server held during a flood.
type peak struct {
	Heap    int64 `json:"heap"`    // the largest live heap sampled
	RSS     int64 `json:"rss"`     // the largest resident memory: VmHWM, which no sample can miss
	In      int64 `json:"in"`      // the largest Stats().BytesBufferedIn sampled
	Samples int   `json:"samples"` // how many samples were taken
}

// sampler samples a Loop's process while a flood runs.
type sampler struct {
	l     *core.Loop
	watch *gcWatch
	stop  chan struct{}
	done  chan struct{}
	peak  peak
	err   error
}

// startSampler starts sampling. The peak resident memory should have been
// reset (resetPeakRSS) when the flood starts.
func startSampler(l *core.Loop) *sampler {
	s := &sampler{l: l, watch: startGCWatch(), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *sampler) run() {
	defer close(s.done)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		if s.err = s.sample(); s.err != nil {
			return
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// sample takes one sample and keeps the largest figures.
func (s *sampler) sample() error {
	if s.peak.Samples%gcEvery == 0 {
		runtime.GC()
	}
	s.peak.Samples++
	heap, err := liveHeap()
	if err != nil {
		return err
	}
	r, err := rss()
	if err != nil {
		return err
	}
	s.peak.Heap = max(s.peak.Heap, heap)
	s.peak.RSS = max(s.peak.RSS, r)
	s.peak.In = max(s.peak.In, s.l.Stats().BytesBufferedIn)
	return nil
}

// finish stops sampling, takes a last sample and returns the peaks.
func (s *sampler) finish() (peak, error) {
	close(s.stop)
	<-s.done
	if s.err != nil {
		return s.peak, s.err
	}
	if err := s.sample(); err != nil {
		return s.peak, err
	}
	most, err := s.watch.finish()
	if err != nil {
		return s.peak, err
	}
	s.peak.Heap = max(s.peak.Heap, most)
	hwm, err := peakRSS()
	if err != nil {
		return s.peak, err
	}
	s.peak.RSS = max(s.peak.RSS, hwm)
	return s.peak, nil
}

// gcWatch records the largest live heap seen after a garbage collection:
// a cleanup attached to an unreachable sentinel runs once per collection,
// reads the metric, and attaches itself to a new sentinel.
type gcWatch struct {
	mu      sync.Mutex // protects the fields below
	stopped bool
	most    int64
	err     error
}

// gcSentinel is what a gcWatch's cleanup hangs on: large enough not to be
// a tiny allocation, whose cleanups may never run.
type gcSentinel struct{ _ [64]byte }

// startGCWatch starts watching collections.
func startGCWatch() *gcWatch {
	g := new(gcWatch)
	g.arm()
	return g
}

// arm attaches the cleanup to a new sentinel, dropped at once: the next
// collection finds it unreachable.
func (g *gcWatch) arm() {
	runtime.AddCleanup(new(gcSentinel), func(g *gcWatch) { g.collected() }, g)
}

// collected runs after a collection: it records the live heap and arms
// the watch again, unless it is stopped.
func (g *gcWatch) collected() {
	heap, err := liveHeap()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped || g.err != nil {
		return
	}
	if err != nil {
		g.err = err
		return
	}
	g.most = max(g.most, heap)
	g.arm()
}

// finish stops the watch and returns the largest live heap it saw.
func (g *gcWatch) finish() (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	return g.most, g.err
}
