package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
)

// Errors of Pool.Do, matched with errors.Is.
var (
	// ErrNoConnection: none of the pool's connections is up (they are all
	// waiting to reconnect). Do fails at once rather than queue the
	// request behind an outage.
	ErrNoConnection = errors.New("connector: no connection to the backend is up")
	// ErrTimeout: the reply did not come within the request deadline.
	ErrTimeout = errors.New("connector: no reply within the request deadline")
	// ErrConnectionLost: the connection failed, or was replaced, before
	// the reply came. The request may or may not have been carried out.
	ErrConnectionLost = errors.New("connector: connection lost before the reply")
	// ErrClosed: the pool is closed.
	ErrClosed = errors.New("connector: pool closed")
)

// BackendError is a RESP error reply ("-ERR ..."): the backend refused the
// command.
type BackendError string

func (e BackendError) Error() string { return "backend: " + string(e) }

// PoolConfig configures a Pool.
type PoolConfig struct {
	Addr        string        // the backend, host:port
	Size        int           // connections to keep open
	Timeout     time.Duration // the request deadline
	DialTimeout time.Duration // how long one connection attempt may take
	BackoffBase time.Duration // the wait before the first attempt after a failure
	BackoffMax  time.Duration // the longest wait between attempts
}

// maxPending bounds the bytes of a reply not yet complete: a backend that
// sends more without finishing a reply is broken.
const maxPending = 1 << 20

// Pool keeps cfg.Size connections to a RESP backend (Redis) open on a
// Loop, and sends each request on one of them, round robin.
//
// Connections run on callbacks (client.InitTCPSocket and
// ConnectTCPSocket, OnConnect, a read callback, OnEvent) rather than on
// the blocking client.Dial: a pool is a set of small state machines
// (connecting, up, waiting to reconnect) driven by events and timers, which
// is what the Loop runs well, without a goroutine per connection. Requests
// are pipelined: RESP replies come in the order of the requests, so each
// connection keeps a queue of the requests waiting for theirs. Do blocks
// its caller's goroutine only.
//
// Reconnecting: when a connection fails (or cannot be made), the pool waits,
// then tries again. Attempt n after a failure waits a random time between
// d/2 and d, where d = min(BackoffMax, BackoffBase × 2^(n-1)): with the
// defaults (100ms, 5s) 50-100ms, 100-200ms, 200-400ms, ... up to 2.5-5s.
// The randomness (jitter) keeps many connections, here or in other
// clients, from hammering a backend that has just come back all at once.
// A successful connect starts the count again.
//
// The request deadline: a request whose reply has not come within Timeout
// fails with ErrTimeout, and its connection is closed and replaced (the
// requests queued behind it fail with ErrConnectionLost). RESP replies
// carry no request identifier, so a reply that came late would otherwise
// be taken for the next request's; and a backend that stopped answering
// on one connection is best asked again on a new one.
type Pool struct {
	l     *core.Loop
	cfg   PoolConfig
	out   io.Writer // where connection events are reported
	conns []*conn
	next  atomic.Uint32 // round robin
	shut  atomic.Bool   // Close was called
}

// NewPool starts cfg.Size connections to cfg.Addr on l, which must run
// until the pool is closed (core.WithStayRunning: while every connection
// is down and waiting, the Loop may hold nothing else). It reports
// connection events, one line each, to out.
func NewPool(l *core.Loop, cfg PoolConfig, out io.Writer) *Pool {
	p := &Pool{l: l, cfg: cfg, out: out}
	for i := range cfg.Size {
		p.conns = append(p.conns, &conn{p: p, id: i + 1})
	}
	for _, c := range p.conns {
		c.dial()
	}
	return p
}

// Do sends the command args (such as "INCR", "hits") on one of the pool's
// connections and waits for its reply, until the request deadline or
// until ctx ends. A RESP error reply is returned as a BackendError. See
// the errors above for the failures. Safe to call from any goroutine but
// the Loop's reactors (it blocks): there it returns core.ErrInReactor.
func (p *Pool) Do(ctx context.Context, args ...string) (Reply, error) {
	if p.l.InReactor() {
		return Reply{}, core.ErrInReactor
	}
	if p.shut.Load() {
		return Reply{}, ErrClosed
	}
	req := &request{done: make(chan result, 1)}
	if !p.send(req, encodeCommand(args...)) {
		return Reply{}, fmt.Errorf("%w (%s, %d connections)", ErrNoConnection, p.cfg.Addr, len(p.conns))
	}
	select {
	case r := <-req.done:
		if r.err == nil && r.reply.Kind == '-' {
			r.err = BackendError(r.reply.Str)
		}
		return r.reply, r.err
	case <-ctx.Done():
		return Reply{}, ctx.Err() // the reply, when it comes, is dropped
	}
}

// send sends req on the first connection that is up, from the next one
// round robin; it reports false if none is.
func (p *Pool) send(req *request, cmd []byte) bool {
	start := int(p.next.Add(1))
	for i := range p.conns {
		if p.conns[(start+i)%len(p.conns)].send(req, cmd) {
			return true
		}
	}
	return false
}

// Up returns how many connections are up.
func (p *Pool) Up() int {
	n := 0
	for _, c := range p.conns {
		c.mu.Lock()
		if c.up {
			n++
		}
		c.mu.Unlock()
	}
	return n
}

// Close stops reconnecting and closes the connections gracefully; the
// requests still waiting for a reply fail with ErrClosed. The Loop's
// Shutdown then waits for the connections to be closed.
func (p *Pool) Close() {
	p.shut.Store(true)
	for _, c := range p.conns {
		c.close()
	}
}

// backoff returns how long to wait before attempt n (n ≥ 1) after a
// failure: a random time between d/2 and d, d = min(max, base × 2^(n-1)).
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// request is a request waiting for its reply.
type request struct {
	done  chan result // gets the result, once; buffered, so sending never blocks
	timer *core.Timer // the deadline
}

// result is what a request gets.
type result struct {
	reply Reply
	err   error
}

// conn is one connection of the pool, or, while it is down, the wait
// before the next attempt to make it. Its socket's callbacks run on the
// socket's reactor, its timers on any reactor, and Do on its callers'
// goroutines: mu orders them all. The callbacks check that their socket is
// still c.s, since a socket that was replaced may still have a callback
// under way.
type conn struct {
	p  *Pool
	id int

	mu       sync.Mutex
	s        *core.Socket // the connection, nil while down
	up       bool         // s is connected
	failures int          // attempts failed since the last connect, for the backoff
	pending  []*request   // sent on s, oldest first
	in       []byte       // bytes of s not yet a whole reply
	retry    *core.Timer  // the next attempt, while down
}

// dial starts a connection. The socket is made first and stored in c.s,
// then connected, so that its callbacks always find it there.
func (c *conn) dial() {
	s, err := client.InitTCPSocket(c.p.l, c.read, core.OnConnect(c.connected), core.OnEvent(c.failed))
	if err != nil {
		fmt.Fprintf(c.p.out, "conn %d: %v\n", c.id, err) // the Loop is not running: nothing to retry on
		return
	}
	c.mu.Lock()
	if c.p.shut.Load() {
		c.mu.Unlock()
		_ = s.Close() // never connected: nothing to deliver
		return
	}
	c.s = s
	c.mu.Unlock()
	if _, err := client.ConnectTCPSocket(s, c.p.cfg.Addr, client.WithDialTimeout(c.p.cfg.DialTimeout)); err != nil {
		c.failed(s, err) // a bad address: OnEvent will not come
	}
}

// connected is the socket's OnConnect.
func (c *conn) connected(s *core.Socket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != c.s {
		return
	}
	c.up, c.failures = true, 0
	fmt.Fprintf(c.p.out, "conn %d: connected to %s\n", c.id, s.RemoteAddr())
}

// send writes cmd on the connection, if it is up, and queues req for its
// reply, with its deadline.
func (c *conn) send(req *request, cmd []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up {
		return false
	}
	if _, err := c.s.Write(cmd); err != nil {
		return false // the socket has failed: its OnEvent is on its way
	}
	c.pending = append(c.pending, req)
	s := c.s
	req.timer = c.p.l.Delay(c.p.cfg.Timeout, func() { c.expire(s, req) })
	return true
}

// read is the socket's read callback: it hands each complete reply to the
// oldest request waiting.
func (c *conn) read(s *core.Socket, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != c.s {
		return
	}
	c.in = append(c.in, data...) // data is borrowed: keep a copy
	for len(c.in) > 0 {
		reply, n, err := parseReply(c.in)
		if errors.Is(err, errIncomplete) && len(c.in) <= maxPending {
			return // the rest comes with the next read
		}
		switch {
		case errors.Is(err, errIncomplete):
			err = fmt.Errorf("a reply of more than %d bytes", maxPending)
		case err == nil && len(c.pending) == 0:
			err = fmt.Errorf("a reply to no request: %v", reply)
		}
		if err != nil {
			_ = s.ForceClose()
			c.downLocked(fmt.Errorf("the backend broke the protocol: %w", err))
			return
		}
		c.in = c.in[:copy(c.in, c.in[n:])]
		req := c.pending[0]
		c.pending = c.pending[1:]
		req.timer.Stop()
		req.done <- result{reply: reply}
	}
}

// failed is the socket's OnEvent: the connection could not be made, or
// has ended (a reset, the backend's end of file, ...).
func (c *conn) failed(s *core.Socket, ev error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != c.s {
		return
	}
	c.downLocked(ev)
}

// expire runs at req's deadline: if req is still waiting for its reply on
// s, it fails, and s is replaced.
func (c *conn) expire(s *core.Socket, req *request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != c.s || len(c.pending) == 0 {
		return // answered, or failed with its connection already
	}
	for i, r := range c.pending {
		if r == req {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			req.done <- result{err: fmt.Errorf("%w (%v, conn %d); the connection is replaced", ErrTimeout, c.p.cfg.Timeout, c.id)}
			_ = s.ForceClose() // a late reply must not be taken for the next request's
			c.downLocked(errors.New("a request timed out: replacing the connection"))
			return
		}
	}
}

// downLocked forgets c's connection (closed, or closing) for the reason
// why, fails the requests waiting on it, and schedules the next attempt.
// c.mu is held.
func (c *conn) downLocked(why error) {
	c.s, c.up, c.in = nil, false, nil
	for _, req := range c.pending {
		req.timer.Stop()
		req.done <- result{err: fmt.Errorf("%w (conn %d): %v", ErrConnectionLost, c.id, why)}
	}
	c.pending = nil
	if c.p.shut.Load() {
		return
	}
	c.failures++
	wait := backoff(c.p.cfg.BackoffBase, c.p.cfg.BackoffMax, c.failures)
	fmt.Fprintf(c.p.out, "conn %d: %v; next attempt in %v\n", c.id, why, wait.Round(time.Millisecond))
	c.retry = c.p.l.Delay(wait, c.dial)
}

// close closes the connection gracefully, or stops the wait for the next
// attempt, and fails the requests still waiting with ErrClosed.
func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retry != nil {
		c.retry.Stop()
	}
	if c.s != nil {
		_ = c.s.Close() // what was written is delivered, then end of file
	}
	c.s, c.up, c.in = nil, false, nil
	for _, req := range c.pending {
		req.timer.Stop()
		req.done <- result{err: ErrClosed}
	}
	c.pending = nil
}
