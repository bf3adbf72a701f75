package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
)

// How the server process reads its own memory.
//
// The heap figure is runtime/metrics' "/gc/heap/live:bytes": the bytes of
// heap objects the last garbage collection found reachable. Right after
// runtime.GC it is exactly what the process keeps alive, which is what a
// cap promises to bound. MemStats.HeapAlloc would add whatever was
// allocated since that collection, and HeapInuse the unused parts of the
// spans in use (fragmentation): neither is "what the connections hold".
// Reading the metric does not stop the world, so the samplers can read it
// every 50 ms during a flood; between collections it is as of the last one.
//
// The RSS figure is VmRSS from /proc/self/status: what the operating system
// sees, including freed heap the runtime has not yet returned, goroutine
// stacks and the runtime's own structures. Its peak is VmHWM, which
// resetPeakRSS resets.

// liveHeapMetric is the runtime/metrics name of the live heap.
const liveHeapMetric = "/gc/heap/live:bytes"

// liveHeap returns the live heap as of the last garbage collection.
func liveHeap() (int64, error) {
	s := []metrics.Sample{{Name: liveHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0, fmt.Errorf("benchmem: this Go runtime has no %s metric", liveHeapMetric)
	}
	return int64(s[0].Value.Uint64()), nil
}

// procStatus returns a field of /proc/self/status given in kB (VmRSS,
// VmHWM), in bytes.
func procStatus(field string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("benchmem: reading the process's memory: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("benchmem: /proc/self/status %s: %w", field, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("benchmem: no %s in /proc/self/status", field)
}

// rss returns the process's resident memory now.
func rss() (int64, error) { return procStatus("VmRSS") }

// peakRSS returns the process's peak resident memory since it started or
// since the last resetPeakRSS.
func peakRSS() (int64, error) { return procStatus("VmHWM") }

// resetPeakRSS makes the peak resident memory (VmHWM) start again from the
// current one (Linux 4.0 and later).
func resetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("benchmem: resetting the peak RSS: %w", err)
	}
	return nil
}

// baseline is the memory of the idle server: listening, no connection yet.
// Every figure of the report is taken above it.
type baseline struct {
	Heap int64 `json:"heap"`
	RSS  int64 `json:"rss"`
}

// measureBaseline collects garbage and returns freed memory to the system
// (debug.FreeOSMemory), so that the floor is what the idle server needs,
// then reads it.
func measureBaseline() (baseline, error) {
	runtime.GC()
	debug.FreeOSMemory()
	heap, err := liveHeap()
	if err != nil {
		return baseline{}, err
	}
	r, err := rss()
	if err != nil {
		return baseline{}, err
	}
	return baseline{Heap: heap, RSS: r}, nil
}

// settled is the memory of the server once the load is over, but with its
// connections still open.
type settled struct {
	Heap        int64 `json:"heap"`         // live heap after one runtime.GC
	Heap2       int64 `json:"heap_2gc"`     // live heap after a second one: sync.Pool contents survive the first in the pools' victim caches
	RSS         int64 `json:"rss"`          // resident memory after those collections
	RSSReleased int64 `json:"rss_released"` // resident memory after debug.FreeOSMemory: what the runtime can give back is gone
}

// measureSettled collects garbage and reads the memory; then again, after
// a second collection and after returning free memory to the system. If
// profile is not "", it writes a heap profile there after the first
// collection.
func measureSettled(profile string) (settled, error) {
	var m settled
	runtime.GC()
	heap, err := liveHeap()
	if err != nil {
		return m, err
	}
	m.Heap = heap
	if profile != "" {
		if err := writeHeapProfile(profile); err != nil {
			return m, err
		}
	}
	runtime.GC()
	if m.Heap2, err = liveHeap(); err != nil {
		return m, err
	}
	if m.RSS, err = rss(); err != nil {
		return m, err
	}
	debug.FreeOSMemory()
	if m.RSSReleased, err = rss(); err != nil {
		return m, err
	}
	return m, nil
}

// writeHeapProfile writes a heap profile (go tool pprof) to file. Its
// in-use figures are as of the last garbage collection.
func writeHeapProfile(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("benchmem: heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("benchmem: heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("benchmem: heap profile: %w", err)
	}
	return nil
}
