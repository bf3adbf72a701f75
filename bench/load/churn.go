package load

import (
	"context"
	"fmt"
	"net"
	"time"
)

// CloseMode says how a churn client ends a connection once it has its
// reply.
type CloseMode int

const (
	// CloseFIN closes the socket normally: the client sends FIN first, so
	// the client's side of the connection keeps the TIME_WAIT state.
	CloseFIN CloseMode = iota
	// CloseRST sets SO_LINGER to 0 before closing: the client sends a reset
	// and neither side keeps a TIME_WAIT state.
	CloseRST
)

func (m CloseMode) String() string {
	if m == CloseRST {
		return "rst"
	}
	return "fin"
}

// ParseCloseMode reads "fin" or "rst".
func ParseCloseMode(s string) (CloseMode, error) {
	switch s {
	case "fin":
		return CloseFIN, nil
	case "rst":
		return CloseRST, nil
	}
	return 0, fmt.Errorf("load: close mode %q: want fin or rst", s)
}

// ChurnConfig describes a run of short-lived connections: Clients clients,
// each looping connect, send one Size-byte request, read its echo and check
// it, close.
type ChurnConfig struct {
	Addr     string        // the echo server, a loopback address
	Clients  int           // concurrent clients, >= 1
	Size     int           // request (and reply) size in bytes, >= 8
	Close    CloseMode     // how each connection ends
	Warmup   time.Duration // churn before measuring
	Duration time.Duration // measuring time, > 0
	Sources  int           // IPv4 source addresses to spread over, 127.0.0.2 and up (0: the kernel picks, 127.0.0.1)
	Timeout  time.Duration // a connection's limit from connect to reply (0: DefaultTimeout)
}

// DefaultTimeout is a connection's limit from connect to reply when the
// configuration sets none: long enough for a few SYN retransmissions (1 s,
// then 3 s) when a listen queue overflows.
const DefaultTimeout = 10 * time.Second

// ChurnResult is what a churn run measured.
type ChurnResult struct {
	Conns          int64         // connections whose reply came back in the measuring window
	Elapsed        time.Duration // the measuring window
	ConnsPerSec    float64
	P50, P99, P999 time.Duration // from the connect call to the whole reply
	Errors         Errors        // over the whole run: warm-up, window and drain
}

// BurstConfig describes a burst: Conns connections opened as fast as the
// client can, each echoing one Size-byte message and then held open until
// all have, then closed together.
type BurstConfig struct {
	Addr    string
	Conns   int
	Size    int
	Sources int           // as ChurnConfig.Sources
	Timeout time.Duration // a connection's limit from connect to reply, and the close phase's (0: DefaultTimeout)
	// Held, if set, is called once every connection is open and has its
	// echo (or has failed), before any is closed.
	Held func()
}

// BurstResult is what a burst measured.
type BurstResult struct {
	Conns          int64         // connections opened and echoed
	Open           time.Duration // from the first connect call to the last reply
	Close          time.Duration // from the first shutdown to the server's last FIN
	P50, P99, P999 time.Duration // from the connect call to the whole reply
	Errors         Errors
}

// checkTarget checks what churn and burst configurations share.
func checkTarget(addr string, size, sources int) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("load: Addr %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil || !ip.IsLoopback():
		return fmt.Errorf("load: Addr %q: only loopback addresses are loaded", addr)
	case size < 8:
		return fmt.Errorf("load: Size %d: want at least 8 (a sequence number)", size)
	case sources < 0 || sources > 250:
		return fmt.Errorf("load: Sources %d: want 0..250", sources)
	case sources > 0 && ip.To4() == nil:
		return fmt.Errorf("load: Sources %d: source addresses are IPv4 loopback ones; %q is IPv6", sources, addr)
	}
	return nil
}

func (c *ChurnConfig) check() error {
	switch {
	case c.Clients < 1:
		return fmt.Errorf("load: Clients %d: want at least 1", c.Clients)
	case c.Duration <= 0 || c.Warmup < 0 || c.Timeout < 0:
		return fmt.Errorf("load: Duration %v, Warmup %v, Timeout %v: want a positive duration and the others >= 0",
			c.Duration, c.Warmup, c.Timeout)
	}
	return checkTarget(c.Addr, c.Size, c.Sources)
}

func (c *BurstConfig) check() error {
	switch {
	case c.Conns < 1:
		return fmt.Errorf("load: Conns %d: want at least 1", c.Conns)
	case c.Timeout < 0:
		return fmt.Errorf("load: Timeout %v: want >= 0", c.Timeout)
	}
	return checkTarget(c.Addr, c.Size, c.Sources)
}

func timeoutOr(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultTimeout
	}
	return d
}

// Churn runs cfg: it churns connections for the warm-up and the measuring
// window, lets those still open finish (within cfg.Timeout), and returns
// what it measured. Failed connections are counted in the result's Errors,
// and their clients go on with a new connection; an error is returned only
// if the load itself cannot run.
func Churn(ctx context.Context, cfg ChurnConfig) (ChurnResult, error) {
	if err := cfg.check(); err != nil {
		return ChurnResult{}, err
	}
	cfg.Timeout = timeoutOr(cfg.Timeout)
	from := time.Now().Add(cfg.Warmup)
	t := newTally(from, from.Add(cfg.Duration))
	if err := churn(ctx, cfg, t); err != nil {
		return ChurnResult{}, err
	}
	r := ChurnResult{Conns: t.conns.Load(), Elapsed: cfg.Duration, Errors: t.errors()}
	r.ConnsPerSec = float64(r.Conns) / r.Elapsed.Seconds()
	r.P50, r.P99, r.P999 = t.h.quantile(0.50), t.h.quantile(0.99), t.h.quantile(0.999)
	return r, nil
}

// Burst runs cfg and returns what it measured. As for Churn, failed
// connections are counted, not returned as an error.
func Burst(ctx context.Context, cfg BurstConfig) (BurstResult, error) {
	if err := cfg.check(); err != nil {
		return BurstResult{}, err
	}
	cfg.Timeout = timeoutOr(cfg.Timeout)
	t := newTally(time.Time{}, time.Now().Add(100*365*24*time.Hour)) // every reply counts
	r, err := burst(ctx, cfg, t)
	if err != nil {
		return BurstResult{}, err
	}
	r.Conns, r.Errors = t.conns.Load(), t.errors()
	r.P50, r.P99, r.P999 = t.h.quantile(0.50), t.h.quantile(0.99), t.h.quantile(0.999)
	return r, nil
}
