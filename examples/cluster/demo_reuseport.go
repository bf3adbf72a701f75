package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runReusePort is -mode reuseport: the backends share one port
// (SO_REUSEPORT), no balancer; each is replaced in turn, the new process
// listening before the old one gets SIGTERM.
func runReusePort(ctx context.Context, cfg config, out io.Writer) (*result, error) {
	backends := make([]*backend, cfg.backends)
	defer func() {
		for _, b := range backends {
			if b != nil {
				b.kill()
			}
		}
	}()
	addr := "127.0.0.1:0"
	for i := range backends {
		b, err := startBackend(ctx, "p"+strconv.Itoa(i+1), cfg.resp, out, "-addr", addr, "-reuseport", "-grace", "10s")
		if err != nil {
			return nil, err
		}
		backends[i], addr = b, b.addr
	}
	migrate, _ := os.ReadFile("/proc/sys/net/ipv4/tcp_migrate_req") // absent before Linux 5.14
	fmt.Fprintf(out, "%d examples/resp -reuseport processes on %s (net.ipv4.tcp_migrate_req = %s)\n",
		cfg.backends, addr, orNone(strings.TrimSpace(string(migrate))))
	before := tcpExt()

	res := &result{share: make([]uint64, cfg.backends)}
	load := startClients(ctx, addr, cfg.clients)
	fmt.Fprintf(out, "load: %d Go clients, each a connection per INCR\n", cfg.clients)
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			load.stop(res)
		}
	}
	defer stopLoad()
	for i, old := range backends {
		if err := pause(ctx, cfg.settle); err != nil {
			return nil, err
		}
		nb, err := startBackend(ctx, old.name, cfg.resp, out, "-addr", addr, "-reuseport", "-grace", "10s")
		if err != nil {
			return nil, err
		}
		backends[i] = nb
		resetsBefore := load.resets.Load()
		took, err := old.stop(15 * time.Second)
		if err != nil {
			return nil, err
		}
		st := old.exitStats()
		res.share[i] += st["commands"]
		fmt.Fprintf(out, "replaced %s: the new process listens, SIGTERM to exit %v (it had answered %d), client resets meanwhile: %d\n",
			old.name, took.Round(time.Millisecond), st["commands"], load.resets.Load()-resetsBefore)
	}
	if err := pause(ctx, cfg.settle); err != nil {
		return nil, err
	}
	stopLoad()
	for i, b := range backends {
		if _, err := b.stop(15 * time.Second); err != nil {
			return nil, err
		}
		res.share[i] += b.exitStats()["commands"]
	}
	after := tcpExt()
	fmt.Fprintf(out, "\nrequests answered: %d; connections reset before their reply: %d; closed before their reply: %d; other failures: %d\n",
		res.requests, res.resets, res.closed, res.failed-res.resets-res.closed)
	for _, e := range res.errors {
		fmt.Fprintf(out, "  failure: %s\n", e)
	}
	var total uint64
	for _, n := range res.share {
		total += n
	}
	for i, n := range res.share {
		fmt.Fprintf(out, "  %s: %6d requests (%4.1f %%)\n", backends[i].name, n, percent(n, total))
	}
	for _, name := range []string{"TCPMigrateReqSuccess", "TCPMigrateReqFailure", "ListenOverflows", "ListenDrops"} {
		if a, ok := after[name]; ok {
			fmt.Fprintf(out, "  kernel TcpExt%s: +%d\n", name, a-before[name])
		}
	}
	return res, nil
}

func orNone(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// tcpExt returns the TcpExt counters of /proc/net/netstat (what nstat
// shows as TcpExt...), or none where there is no such file.
func tcpExt() map[string]uint64 {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) || values[0] != "TcpExt:" {
			continue
		}
		m := map[string]uint64{}
		for j := 1; j < len(names); j++ {
			if v, err := strconv.ParseUint(values[j], 10, 64); err == nil {
				m[names[j]] = v
			}
		}
		return m
	}
	return nil
}

// clients is the reuseport demo's load: goroutines that each open a
// connection, send INCR, read the reply and close, again and again,
// counting how each attempt ended.
type clients struct {
	quit                               chan struct{}
	wg                                 sync.WaitGroup
	ok, resets, closed, refused, other atomic.Uint64
	mu                                 sync.Mutex
	errs                               []string // the first other errors
}

func startClients(ctx context.Context, addr string, n int) *clients {
	c := &clients{quit: make(chan struct{})}
	for range n {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for {
				select {
				case <-c.quit:
					return
				case <-ctx.Done():
					return
				default:
				}
				c.count(incrOnce(addr))
			}
		}()
	}
	return c
}

// incrOnce sends one INCR on a new connection and reads its reply.
func incrOnce(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(conn, "INCR "+counterKey+"\r\n"); err != nil {
		return err
	}
	reply, err := readReply(bufio.NewReader(conn))
	if err != nil {
		return err
	}
	if _, err := strconv.ParseUint(reply, 10, 64); err != nil {
		return fmt.Errorf("INCR replied %q", reply)
	}
	return nil
}

// count files the end of one attempt under its kind.
func (c *clients) count(err error) {
	switch {
	case err == nil:
		c.ok.Add(1)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		c.resets.Add(1)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		c.closed.Add(1)
	case errors.Is(err, syscall.ECONNREFUSED):
		c.refused.Add(1)
	default:
		c.other.Add(1)
		c.mu.Lock()
		if len(c.errs) < 5 {
			c.errs = append(c.errs, err.Error())
		}
		c.mu.Unlock()
	}
}

// stop stops the clients and adds their figures to res.
func (c *clients) stop(res *result) {
	close(c.quit)
	c.wg.Wait()
	res.requests += c.ok.Load()
	res.resets += c.resets.Load()
	res.closed += c.closed.Load()
	res.failed += c.resets.Load() + c.closed.Load() + c.refused.Load() + c.other.Load()
	if n := c.refused.Load(); n > 0 {
		res.errors = append(res.errors, fmt.Sprintf("%d connections refused", n))
	}
	c.mu.Lock()
	res.errors = append(res.errors, c.errs...)
	c.mu.Unlock()
}
