package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// samplePeaks samples this process's goroutines every 5 ms until the
// returned function is called; that function returns their peak and the
// process's OS threads then (Go does not end the threads it starts, so the
// count then is their peak; -1 where /proc/self/status is missing).
func samplePeaks() func() (goroutines int, threads int) {
	stop := make(chan struct{})
	peak := make(chan int, 1)
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		n := runtime.NumGoroutine()
		for {
			select {
			case <-t.C:
				n = max(n, runtime.NumGoroutine())
			case <-stop:
				peak <- max(n, runtime.NumGoroutine())
				return
			}
		}
	}()
	return func() (int, int) {
		close(stop)
		return <-peak, threads()
	}
}

// threads returns this process's OS threads, or -1 if it cannot tell.
func threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return -1
}
