package main

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// loopback is where the servers listen: a free port on 127.0.0.1.
const loopback = "127.0.0.1:0"

// benchServer is the server side of a case: a Loop serving one asyncnet
// server, set up as the case's scenario says.
type benchServer struct {
	c    benchCase
	l    *core.Loop
	ran  chan error // the result of the Loop's Run
	addr string

	connects  atomic.Int64 // sockets whose connect callback ran
	delivered atomic.Int64 // bytes given to read callbacks (none is expected)
	events    eventCounter // the sockets' conditions
	problems  eventCounter // calls that failed in callbacks, by condition
	open      socketSet    // the sockets not yet closed

	fill  *filler     // write-cap only
	topUp *core.Timer // write-cap only: runs fill.topUp
}

// startServer runs a Loop serving c's scenario on a loopback port and
// returns once it listens.
func startServer(c benchCase) (*benchServer, error) {
	b := &benchServer{c: c, l: core.NewLoop(core.WithReactors(c.Loops)), ran: make(chan error, 1)}
	listening := make(chan error, 1)
	go func() {
		b.ran <- b.l.Run(func(l *core.Loop) { listening <- b.listen(l) })
	}()
	select {
	case err := <-listening:
		if err != nil {
			b.l.Exit()
			<-b.ran
			return nil, err
		}
		return b, nil
	case err := <-b.ran:
		return nil, fmt.Errorf("benchmem: the Loop stopped before serving: %v", err)
	}
}

// listen starts the scenario's server on l. It runs on a reactor.
func (b *benchServer) listen(l *core.Loop) error {
	var srv *server.Server
	var err error
	opts := b.serverOptions()
	switch b.c.Scenario {
	case writeCap:
		b.fill = newFiller(b.c.Cap, &b.open)
		if srv, err = server.TCPServer(l, loopback, b.read, opts...); err != nil {
			break
		}
		b.topUp = l.Interval(topUpEvery, b.fill.topUp)
		err = b.topUp.Err()
	case readCapStream:
		// The stream's bytes are never read: they stay in the socket.
		srv, err = server.TCPServerStream(l, loopback, func(*core.Socket, *stream.AsyncIOStream) {}, opts...)
	case readCapPaused:
		srv, err = server.TCPServer(l, loopback, b.read, opts...)
	default:
		return fmt.Errorf("benchmem: unknown scenario %q", b.c.Scenario)
	}
	if err != nil {
		return fmt.Errorf("benchmem: %s server: %w", b.c.Scenario, err)
	}
	b.addr = srv.Addr().String()
	return nil
}

// serverOptions returns the options of the case's server: the cap under
// test, and the connect and event callbacks.
//
// serverOptions are the options of the case's server. The write-cap
// sockets refuse the write at the cap and stay open
// (core.OverflowRefuse: the default closes them), so that the case
// measures sockets that stay at their cap.
func (b *benchServer) serverOptions() []core.ServerOption {
	opts := []core.ServerOption{core.OnConnect(b.connected), core.OnEvent(b.event)}
	switch b.c.Scenario {
	case writeCap:
		opts = append(opts, core.WithMaxWriteBuffer(b.c.Cap), core.WithWriteOverflow(core.OverflowRefuse))
		if b.c.Cap < core.DefaultWriteHighWatermark { // the cap may not be below the high watermark
			opts = append(opts, core.WithWriteWatermarks(b.c.Cap/4, b.c.Cap))
		}
	default:
		opts = append(opts, core.WithMaxReadBuffer(b.c.Cap))
	}
	return opts
}

// connected is the connect callback: it starts what the scenario does with
// a new socket.
func (b *benchServer) connected(s *core.Socket) {
	b.connects.Add(1)
	b.open.add(s)
	switch b.c.Scenario {
	case writeCap:
		b.fill.fill(s)
	case readCapPaused:
		if err := s.Disable(true, false); err != nil {
			b.problems.record(s, err)
		}
	}
}

// event is the event callback: it counts the condition.
func (b *benchServer) event(s *core.Socket, ev error) {
	b.events.record(s, ev)
	b.open.remove(s)
}

// fullest returns what the fullest open socket holds: unsent bytes
// (write-cap) or kept ones (the read scenarios).
func (b *benchServer) fullest() int64 {
	if b.c.Scenario == writeCap {
		return b.open.most((*core.Socket).Unsent)
	}
	return b.open.most((*core.Socket).Buffered)
}

// read is the read callback of the callback servers; none of their
// sockets should get any byte (write-cap's peers send nothing, and
// read-cap-paused's sockets do not read), so it only counts them.
func (b *benchServer) read(_ *core.Socket, data []byte) {
	b.delivered.Add(int64(len(data)))
}

// waitConnected waits until n sockets have connected.
func (b *benchServer) waitConnected(n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for b.connects.Load() < int64(n) {
		if time.Now().After(deadline) {
			return fmt.Errorf("benchmem: %d of %d connections reached the server within %v", b.connects.Load(), n, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// How write-cap waits for the unsent bytes to stop growing: no new
// maximum for settleQuiet, sampled every settlePoll, and settleLimit at
// most.
const (
	settlePoll  = 50 * time.Millisecond
	settleQuiet = time.Second
	settleLimit = 60 * time.Second
)

// waitUnsent waits until Stats().BytesBufferedOut stops growing, then
// stops the top-ups and lets the reactors flush the last writes. It
// reports whether the bytes settled within settleLimit.
func (b *benchServer) waitUnsent() bool {
	start := time.Now()
	most, grew := int64(-1), start
	ok := false
	for now := start; now.Sub(start) < settleLimit; now = time.Now() {
		if out := b.l.Stats().BytesBufferedOut; out > most {
			most, grew = out, now
		}
		if now.Sub(grew) >= settleQuiet {
			ok = true
			break
		}
		time.Sleep(settlePoll)
	}
	b.topUp.Stop() // a top-up already running goes on: give it time to end and flush
	time.Sleep(10 * core.DefaultTickInterval)
	return ok
}

// close stops the Loop, and with it the server and its sockets.
func (b *benchServer) close() error {
	b.l.Exit()
	if err := <-b.ran; err != nil {
		return fmt.Errorf("benchmem: the server's Loop: %w", err)
	}
	return nil
}
