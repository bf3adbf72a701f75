package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// counterKey is the key redis-benchmark's INCR test increments: each
// backend's value of it is how many of the benchmark's requests it
// answered.
const counterKey = "counter:__rand_int__"

// runHAProxy is -mode haproxy: the backends behind HAProxy, restarted in
// turn while redis-benchmark runs through HAProxy.
func runHAProxy(ctx context.Context, cfg config, dir string, out io.Writer) (*result, error) {
	haproxyPath, err := findHAProxy()
	if err != nil {
		return nil, err
	}
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark is not installed (make deps installs it, from Debian's redis-tools package)")
	}
	args := []string{"-addr", "127.0.0.1:0", "-proxy-protocol", "-grace", "10s"}
	backends := make([]*backend, cfg.backends)
	servers := make([]server, cfg.backends)
	defer func() {
		for _, b := range backends {
			if b != nil {
				b.kill()
			}
		}
	}()
	for i := range backends {
		name := "s" + strconv.Itoa(i+1)
		if backends[i], err = startBackend(ctx, name, cfg.resp, out, args...); err != nil {
			return nil, err
		}
		servers[i] = server{Name: name, Addr: backends[i].addr}
		fmt.Fprintf(out, "backend %s: examples/resp -proxy-protocol on %s\n", name, backends[i].addr)
	}
	h, err := startHAProxy(ctx, haproxyPath, dir, servers, out)
	if err != nil {
		return nil, err
	}
	defer h.stop()
	fmt.Fprintf(out, "haproxy on %s, every backend UP\n", h.frontend)

	if err := checkClientInfo(h.frontend, out); err != nil {
		return nil, err
	}

	res := &result{share: make([]uint64, cfg.backends)}
	load := startBenchmark(ctx, bench, h.frontend, cfg, out)
	stopped := false
	stopLoad := func() error {
		if stopped {
			return nil
		}
		stopped = true
		return load.stop(res)
	}
	defer func() { _ = stopLoad() }() // on an early return: the error says why

	for i := range backends {
		if err := pause(ctx, cfg.settle); err != nil {
			return nil, err
		}
		if err := restartBehindHAProxy(ctx, cfg, h, backends, i, res, out); err != nil {
			return nil, err
		}
	}
	if err := pause(ctx, cfg.settle); err != nil {
		return nil, err
	}
	if err := stopLoad(); err != nil {
		return nil, err
	}
	for i, b := range backends {
		n, err := counter(b.addr)
		if err != nil {
			return nil, err
		}
		res.share[i] += n
	}
	return res, reportHAProxy(h, backends, res, cfg, out)
}

// checkClientInfo asks for CLIENT INFO through HAProxy: the backend must
// report this client's address, which only the PROXY header tells it.
func checkClientInfo(frontend string, out io.Writer) error {
	c, err := net.DialTimeout("tcp", frontend, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, "CLIENT INFO\r\n"); err != nil {
		return err
	}
	info, err := readReply(bufio.NewReader(c))
	if err != nil {
		return fmt.Errorf("CLIENT INFO through haproxy: %w", err)
	}
	info = strings.TrimSpace(info)
	fmt.Fprintf(out, "CLIENT INFO through haproxy: %s\n", info)
	if want := " addr=" + c.LocalAddr().String() + " "; !strings.Contains(info, want) {
		return fmt.Errorf("CLIENT INFO through haproxy does not report this client's address (%s): the PROXY header did not arrive", c.LocalAddr())
	}
	fmt.Fprintf(out, "  = this client's address (%s), not haproxy's: the PROXY v2 header arrived\n", c.LocalAddr())
	return nil
}

// restartBehindHAProxy restarts backend i: out of rotation, drained,
// SIGTERM, a new process, back in rotation.
func restartBehindHAProxy(ctx context.Context, cfg config, h *haproxy, backends []*backend, i int, res *result, out io.Writer) error {
	old := backends[i]
	start := time.Now()
	var drained time.Duration
	if !cfg.noDrain {
		if _, err := h.api("set server resp/" + old.name + " state maint"); err != nil {
			return err
		}
		err := poll(ctx, 30*time.Second, func() (bool, error) {
			n, err := h.stat(old.name, "scur")
			return n == 0, err
		}, func() string { return "haproxy still has connections open to " + old.name })
		if err != nil {
			return err
		}
		drained = time.Since(start)
		// Nothing reaches it any more: its counter is final.
		n, err := counter(old.addr)
		if err != nil {
			return err
		}
		res.share[i] += n
	}
	took, err := old.stop(15 * time.Second)
	if err != nil {
		return err
	}
	st := old.exitStats()
	nb, err := startBackend(ctx, old.name, cfg.resp, out, "-addr", "127.0.0.1:0", "-proxy-protocol", "-grace", "10s")
	if err != nil {
		return err
	}
	backends[i] = nb
	host, port, err := net.SplitHostPort(nb.addr)
	if err != nil {
		return err
	}
	if _, err := h.api("set server resp/" + old.name + " addr " + host + " port " + port); err != nil {
		return err
	}
	if !cfg.noDrain {
		if _, err := h.api("set server resp/" + old.name + " state ready"); err != nil {
			return err
		}
	}
	if err := h.waitStatus(ctx, old.name, "UP"); err != nil {
		return err
	}
	fmt.Fprintf(out, "restarted %s: drained in %v, SIGTERM to exit %v (it had accepted %d connections, %d closed by reset), back UP on %s after %v\n",
		old.name, drained.Round(time.Millisecond), took.Round(time.Millisecond), st["accepted"], st["closed_reset"], nb.addr, time.Since(start).Round(time.Millisecond))
	return nil
}

// counter returns the value of counterKey of a backend that reads a PROXY
// header.
func counter(addr string) (uint64, error) {
	v, err := command(addr, true, "GET "+counterKey)
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

// benchmark runs redis-benchmark again and again until stopped.
type benchmark struct {
	quit                       chan struct{}
	done                       chan struct{}
	mu                         sync.Mutex
	runs, failedRuns, requests uint64
	rps                        []float64
	errs                       []string
}

// startBenchmark starts running redis-benchmark through addr: INCR, each
// request on a new connection (-k 0), so that every request is balanced
// and a restart can be seen by any of them.
func startBenchmark(ctx context.Context, path, addr string, cfg config, out io.Writer) *benchmark {
	host, port, _ := net.SplitHostPort(addr) // addr is HAProxy's, made by net.Listen
	b := &benchmark{quit: make(chan struct{}), done: make(chan struct{})}
	args := []string{"-h", host, "-p", port, "-k", "0", "-c", strconv.Itoa(cfg.clients), "-n", strconv.Itoa(cfg.requests), "-t", "incr", "-q"}
	fmt.Fprintf(out, "load: redis-benchmark %s, run after run\n", strings.Join(args, " "))
	go func() {
		defer close(b.done)
		for {
			select {
			case <-b.quit:
				return
			case <-ctx.Done():
				return
			default:
			}
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, path, args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			b.record(cfg.requests, stdout.String(), stderr.String(), err)
		}
	}()
	return b
}

// record counts one run of redis-benchmark. It failed if it exited with
// an error or printed one: redis-benchmark 7 stops at the first error
// reply or connection error ("Error: Server closed the connection",
// "Error from server: ..."), so a failed run is at least one failed
// request.
func (b *benchmark) record(n int, stdout, stderr string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runs++
	if msg := errorLine(stdout + "\n" + stderr); err != nil || msg != "" {
		b.failedRuns++
		b.errs = append(b.errs, strings.TrimSpace(fmt.Sprintf("%v %s", err, msg)))
		return
	}
	b.requests += uint64(n)
	if i := strings.LastIndex(stdout, "INCR: "); i >= 0 { // the summary, after the progress
		if f := strings.Fields(stdout[i+len("INCR: "):]); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				b.rps = append(b.rps, v)
			}
		}
	}
}

// stop waits for the run under way to end and adds the figures to res.
func (b *benchmark) stop(res *result) error {
	close(b.quit)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	res.requests += b.requests
	res.failed += b.failedRuns
	res.errors = append(res.errors, b.errs...)
	res.rps = append(res.rps, b.rps...)
	if b.runs == 0 {
		return fmt.Errorf("redis-benchmark never ran")
	}
	return nil
}

// errorLine returns the first line of what redis-benchmark printed that
// reports an error, or "".
func errorLine(s string) string {
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "Error") {
			return line
		}
	}
	return ""
}

// reportHAProxy prints the figures of the demo.
func reportHAProxy(h *haproxy, backends []*backend, res *result, cfg config, out io.Writer) error {
	st, err := h.stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nrequests answered: %d, failed: %d (a failed request stops a run of redis-benchmark: each such run counts as one); %d requests per second at the median of the runs\n",
		res.requests, res.failed, int(median(res.rps)))
	for i, e := range res.errors {
		if i == 5 {
			fmt.Fprintf(out, "  ... and %d more\n", len(res.errors)-i)
			break
		}
		fmt.Fprintf(out, "  failed run: %s\n", e)
	}
	var total, sum uint64
	for _, n := range res.share {
		total += n
	}
	if cfg.noDrain {
		// The counters of the processes stopped while in rotation were
		// not read (requests kept arriving): HAProxy's count of
		// connections is the share.
		total = 0
		for i, b := range backends {
			res.share[i], _ = strconv.ParseUint(st[b.name]["stot"], 10, 64) // empty: 0
			total += res.share[i]
		}
	}
	unit := "requests"
	if cfg.noDrain {
		unit = "conns"
	}
	for i, b := range backends {
		row := st[b.name]
		conns, _ := strconv.ParseUint(row["stot"], 10, 64) // empty: 0
		sum += conns
		fmt.Fprintf(out, "  %s: %6d %s (%4.1f %%), haproxy: %d connections, %s retries, %s redispatches, %s connect errors, %s response errors\n",
			b.name, res.share[i], unit, percent(res.share[i], total), conns, row["wretr"], row["wredis"], row["econ"], row["eresp"])
	}
	if !cfg.noDrain {
		fmt.Fprintf(out, "  the backends' INCR counters add up to %d: ", total)
		if total == res.requests {
			fmt.Fprintln(out, "every request answered exactly once")
		} else {
			fmt.Fprintf(out, "%d more than redis-benchmark counted as answered (requests of failed runs)\n", int64(total)-int64(res.requests))
		}
	}
	if len(res.share) > 0 {
		fmt.Fprintf(out, "  haproxy: %d connections in all (requests, redis-benchmark's CONFIG GETs, CLIENT INFO)\n", sum)
	}
	// The processes started last, by their own counters: every
	// connection, health checks included, came with a PROXY header.
	for _, b := range backends {
		st, err := infoStats(b.addr, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s's INFO stats since its restart: %d connections, %d commands, %d PROXY headers refused, %d closed by the peer's reset (haproxy ends its checks so)\n",
			b.name, st["total_connections_received"], st["total_commands_processed"], st["asyncnet_accept_errors"], st["asyncnet_closed_reset"])
		if st["asyncnet_accept_errors"] > 0 {
			res.failed++
			res.errors = append(res.errors, b.name+" refused connections for their PROXY header")
		}
	}
	return nil
}
