package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	asyncclient "github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
)

// BurstAsyncnet runs cfg with asyncnet's own client instead of the epoll
// one: on a Loop of loops reactors it calls client.TCPConnect cfg.Conns
// times at once, each sending its request with client.WithData, checks
// each echo in the read callback, calls cfg.Held once all have echoed (or
// failed), then closes them all with Socket.Close. Its Close phase lasts
// until every socket has closed (asyncnet has no half-close with which to
// wait for the server's FIN, as Burst does). Sources must be 0: asyncnet's
// dialer lets the kernel pick the source address.
func BurstAsyncnet(ctx context.Context, cfg BurstConfig, loops int) (BurstResult, error) {
	if err := cfg.check(); err != nil {
		return BurstResult{}, err
	}
	if cfg.Sources != 0 {
		return BurstResult{}, fmt.Errorf("load: Sources %d: asyncnet's client dials from the kernel's choice of address; want 0", cfg.Sources)
	}
	cfg.Timeout = timeoutOr(cfg.Timeout)
	b := &asyncBurst{cfg: cfg, t: newTally(time.Time{}, time.Now().Add(100*365*24*time.Hour)),
		socks: make([]*core.Socket, cfg.Conns), all: make(chan struct{})}
	l := core.NewLoop(core.WithReactors(loops))
	ran := make(chan error, 1)
	started := make(chan error, 1)
	go func() { ran <- l.Run(func(l *core.Loop) { started <- b.open(l) }) }()
	defer func() {
		l.Exit()
		<-ran
	}()
	if err := <-started; err != nil {
		return BurstResult{}, err
	}
	select {
	case <-b.all:
	case <-ctx.Done():
		return BurstResult{}, ctx.Err()
	case <-time.After(cfg.Timeout):
		b.timeOut()
	}
	var r BurstResult
	if last := b.last.Load(); last > 0 {
		r.Open = time.Unix(0, last).Sub(b.began)
	}
	if cfg.Held != nil {
		cfg.Held()
	}
	began := time.Now()
	for _, s := range b.echoed() {
		_ = s.Close()
	}
	deadline := time.After(cfg.Timeout)
	for _, s := range b.echoed() {
		select {
		case <-s.Done():
		case <-deadline:
			return BurstResult{}, fmt.Errorf("load: asyncnet's sockets did not all close within %v", cfg.Timeout)
		}
	}
	r.Close = time.Since(began)
	r.Conns, r.Errors = b.t.conns.Load(), b.t.errors()
	r.P50, r.P99, r.P999 = b.t.h.quantile(0.50), b.t.h.quantile(0.99), b.t.h.quantile(0.999)
	return r, nil
}

// asyncBurst is the state of a BurstAsyncnet run.
type asyncBurst struct {
	cfg   BurstConfig
	t     *tally
	socks []*core.Socket // by sequence number
	mu    sync.Mutex
	ended []bool // by sequence number: echoed or failed
	ok    []bool // by sequence number: echoed
	left  int    // connections neither echoed nor failed
	all   chan struct{}
	began time.Time    // the first TCPConnect call
	last  atomic.Int64 // when the last echo came, Unix nanoseconds
}

// asyncConn is a connection's state, the socket's data.
type asyncConn struct {
	seq   int
	start time.Time
	want  []byte
	got   []byte
}

// open makes every connection; it runs in the Loop's start function.
func (b *asyncBurst) open(l *core.Loop) error {
	b.ended, b.ok, b.left = make([]bool, b.cfg.Conns), make([]bool, b.cfg.Conns), b.cfg.Conns
	b.began = time.Now()
	for i := range b.cfg.Conns {
		msg := make([]byte, b.cfg.Size)
		pattern(msg)
		fill(msg, uint64(i))
		// TCPConnect in two steps, so that the socket has its state before
		// its first callback can run.
		s, err := asyncclient.InitTCPSocket(l, b.read, asyncclient.WithData(msg), core.OnEvent(b.event))
		if err != nil {
			return fmt.Errorf("load: client.InitTCPSocket: %w", err)
		}
		s.SetData(&asyncConn{seq: i, start: time.Now(), want: msg})
		b.mu.Lock()
		b.socks[i] = s
		b.mu.Unlock()
		if _, err := asyncclient.ConnectTCPSocket(s, b.cfg.Addr, asyncclient.WithDialTimeout(b.cfg.Timeout)); err != nil {
			return fmt.Errorf("load: client.ConnectTCPSocket: %w", err)
		}
	}
	return nil
}

// read collects a connection's echo and checks it once it is whole.
func (b *asyncBurst) read(s *core.Socket, data []byte) {
	c, _ := s.Data().(*asyncConn)
	if c == nil {
		return
	}
	c.got = append(c.got, data...)
	switch {
	case len(c.got) < len(c.want):
		return
	case !bytes.Equal(c.got, c.want):
		b.end(s, c.seq, errBad, errors.New("echo corrupt, or longer than the request"))
		return
	}
	now := time.Now()
	b.t.done(c.start, now)
	b.last.Store(now.UnixNano())
	b.end(s, c.seq, noFailure, nil)
}

// event counts a connection's failure.
func (b *asyncBurst) event(s *core.Socket, ev error) {
	if s == nil {
		return
	}
	if c, _ := s.Data().(*asyncConn); c != nil {
		b.end(s, c.seq, asyncKind(ev), ev)
	}
}

// asyncKind classifies an asyncnet condition.
func asyncKind(ev error) errKind {
	switch conditions.KindOf(ev) {
	case conditions.TCPRefused:
		return errRefused
	case conditions.TCPReset:
		return errReset
	case conditions.TCPTimeout:
		return errTimeout
	case conditions.TCPEOF:
		return errShort
	}
	return kindOf(ev)
}

// noFailure is the kind of an end that is an echo.
const noFailure errKind = -1

// end records that connection seq echoed (k is noFailure) or failed (with k and
// err, and is then closed at once). Only a connection's first end counts.
func (b *asyncBurst) end(s *core.Socket, seq int, k errKind, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended[seq] {
		return
	}
	b.ended[seq] = true
	if k != noFailure {
		b.t.fail(k, err)
		_ = s.ForceClose()
	} else {
		b.ok[seq] = true
	}
	if b.left--; b.left == 0 {
		close(b.all)
	}
}

// timeOut fails the connections that have neither echoed nor failed.
func (b *asyncBurst) timeOut() {
	b.mu.Lock()
	var late []int
	for i, e := range b.ended {
		if !e {
			late = append(late, i)
		}
	}
	b.mu.Unlock()
	for _, i := range late {
		b.end(b.socks[i], i, errTimeout, fmt.Errorf("no echo within %v", b.cfg.Timeout))
	}
}

// echoed returns the sockets whose echo came back.
func (b *asyncBurst) echoed() []*core.Socket {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*core.Socket
	for i, ok := range b.ok {
		if ok {
			out = append(out, b.socks[i])
		}
	}
	return out
}
