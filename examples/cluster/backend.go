package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// backend is one examples/resp process. It prints "listening on ADDR"
// once it listens and "stats: ..." when it has shut down; its log (stderr)
// goes to the demo's log, each line prefixed with the backend's name.
type backend struct {
	name string
	addr string // where it listens
	cmd  *exec.Cmd

	exited chan struct{} // closed once it has exited
	err    error         // then: how it exited

	mu    sync.Mutex
	stats string // its "stats: ..." line, once printed
}

// startBackend starts the resp program with args and waits until it
// listens (or ctx ends, or it exits).
func startBackend(ctx context.Context, name, resp string, log io.Writer, args ...string) (*backend, error) {
	b := &backend{name: name, cmd: exec.Command(resp, args...), exited: make(chan struct{})}
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	listening := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if addr, ok := strings.CutPrefix(line, "listening on "); ok {
				listening <- addr
			} else if strings.HasPrefix(line, "stats: ") {
				b.mu.Lock()
				b.stats = line
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintf(log, "  [%s] %s\n", name, sc.Text())
		}
	}()
	go func() {
		wg.Wait() // the pipes are read to their end before Wait closes them
		b.err = b.cmd.Wait()
		close(b.exited)
	}()
	select {
	case b.addr = <-listening:
		return b, nil
	case <-b.exited:
		return nil, fmt.Errorf("%s exited before listening: %v", name, b.err)
	case <-ctx.Done():
		b.kill()
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM (the backend's Shutdown) and waits for it to exit; it
// returns how long that took. An exit status other than 0 is an error.
func (b *backend) stop(timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("%s: SIGTERM: %w", b.name, err)
	}
	select {
	case <-b.exited:
	case <-time.After(timeout):
		b.kill()
		return time.Since(start), fmt.Errorf("%s did not exit within %v of SIGTERM", b.name, timeout)
	}
	if b.err != nil {
		return time.Since(start), fmt.Errorf("%s: %w", b.name, b.err)
	}
	return time.Since(start), nil
}

// kill ends the backend at once, if it still runs, and waits for it.
func (b *backend) kill() {
	if err := b.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return // it could not be signalled: it is not ours to wait for
	}
	<-b.exited
}

// exitStats returns the counters the backend printed when it shut down,
// by name ("accepted", "commands", ...).
func (b *backend) exitStats() map[string]uint64 {
	b.mu.Lock()
	line := b.stats
	b.mu.Unlock()
	return parseFields(strings.TrimPrefix(line, "stats: "), " ", "=")
}
