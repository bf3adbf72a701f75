// Package load is a closed-loop TCP echo load generator: N connections,
// each keeping D messages of S bytes in flight, for a time T after a
// warm-up. It measures messages per second and round-trip latency
// percentiles, and checks every echo (its sequence number and last byte).
//
// On Linux it drives every connection from one thread with epoll and raw
// descriptors, so that the load costs about as little CPU per message as
// the leanest server it measures (a goroutine per connection costs twice
// that). Elsewhere it uses a goroutine per connection.
package load

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one load run.
type Config struct {
	Addr     string        // the echo server, a loopback address
	Conns    int           // connections to open
	Active   int           // of which this many send (0: all); the others echo once and idle
	Size     int           // message size in bytes, >= 8
	Depth    int           // messages in flight per active connection, >= 1
	Warmup   time.Duration // load before measuring
	Duration time.Duration // measuring time, > 0
	Dialers  int           // connections dialed at once (0: 64)
}

// Result is what a run measured (over Duration, after Warmup).
type Result struct {
	Msgs           int64         // round trips completed while measuring
	Elapsed        time.Duration // the measuring window
	MsgsPerSec     float64
	P50, P99, P999 time.Duration // round-trip latency
}

func (c *Config) check() error {
	switch {
	case c.Conns < 1:
		return fmt.Errorf("load: Conns %d: want at least 1", c.Conns)
	case c.Active < 0 || c.Active > c.Conns:
		return fmt.Errorf("load: Active %d: want 0..Conns (%d)", c.Active, c.Conns)
	case c.Size < 8:
		return fmt.Errorf("load: Size %d: want at least 8 (a sequence number)", c.Size)
	case c.Depth < 1:
		return fmt.Errorf("load: Depth %d: want at least 1", c.Depth)
	case c.Duration <= 0 || c.Warmup < 0:
		return fmt.Errorf("load: Duration %v, Warmup %v: want a positive duration and a warm-up >= 0", c.Duration, c.Warmup)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("load: Addr %q: %w", c.Addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("load: Addr %q: only loopback addresses are loaded", c.Addr)
	}
	return nil
}

// Pool is a set of connected connections.
type Pool struct {
	cfg   Config
	conns []conn // the platform's connection: a descriptor on Linux
}

// Connect opens cfg.Conns connections to cfg.Addr and has each echo one
// message, so that the server holds them all; Close closes them.
func Connect(ctx context.Context, cfg Config) (*Pool, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, conns: make([]conn, cfg.Conns)}
	dialers := cfg.Dialers
	if dialers <= 0 {
		dialers = 64
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, dialers)
	opened := make([]bool, cfg.Conns)
	for w := range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := make([]byte, cfg.Size)
			pattern(msg)
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Conns || ctx.Err() != nil {
					return
				}
				c, err := dial(ctx, cfg.Addr)
				if err == nil {
					p.conns[i], opened[i] = c, true
					err = echoOnce(c, msg, uint64(i))
				}
				if err != nil {
					errs[w] = fmt.Errorf("load: connection %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		for i, c := range p.conns {
			if opened[i] {
				closeConn(c)
			}
		}
		return nil, err
	}
	return p, nil
}

// echoOnce sends one message and checks its echo.
func echoOnce(c conn, msg []byte, seq uint64) error {
	fill(msg, seq)
	got := make([]byte, len(msg))
	if err := roundTrip(c, msg, got); err != nil {
		return err
	}
	return check(got, seq)
}

// Close closes every connection.
func (p *Pool) Close() {
	for _, c := range p.conns {
		closeConn(c)
	}
	p.conns = nil
}

// Run loads the pool's active connections (the first cfg.Active) for the
// warm-up and the measuring window, then returns what it measured. The
// connections stay open, idle.
func (p *Pool) Run(ctx context.Context) (Result, error) {
	cfg := p.cfg
	active := cfg.Active
	if active == 0 {
		active = cfg.Conns
	}
	from := time.Now().Add(cfg.Warmup)
	until := from.Add(cfg.Duration)
	var h hist
	n, err := drive(ctx, p.conns[:active], cfg, from, until, &h)
	if err != nil {
		return Result{}, err
	}
	r := Result{
		Msgs:    n,
		Elapsed: cfg.Duration,
		P50:     h.quantile(0.50),
		P99:     h.quantile(0.99),
		P999:    h.quantile(0.999),
	}
	r.MsgsPerSec = float64(r.Msgs) / r.Elapsed.Seconds()
	return r, nil
}

// drainTime is how long the echoes still in flight when the window ends
// may take to come back.
const drainTime = 10 * time.Second

// fill stamps msg with seq: in its first 8 bytes and its last byte. The
// bytes between keep whatever pattern they had.
func fill(msg []byte, seq uint64) {
	binary.LittleEndian.PutUint64(msg, seq)
	if n := len(msg) - 1; n >= 8 {
		msg[n] = byte(seq) + byte(n)
	}
}

// pattern fills msg with bytes that are not all alike.
func pattern(msg []byte) {
	for i := range msg {
		msg[i] = byte(i*7 + 1)
	}
}

// check verifies an echoed message: its sequence number, and its last byte
// (checking every byte would load the client more than the server).
func check(msg []byte, want uint64) error {
	if got := binary.LittleEndian.Uint64(msg); got != want {
		return fmt.Errorf("echo out of order or corrupt: message %d came back as %d", want, got)
	}
	if n := len(msg) - 1; n >= 8 && msg[n] != byte(want)+byte(n) {
		return fmt.Errorf("echo corrupt: message %d's last byte is %d, want %d", want, msg[n], byte(want)+byte(n))
	}
	return nil
}
