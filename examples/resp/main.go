// Command resp is a small Redis-protocol (RESP2) server on asyncnet: an
// in-memory key-value store that redis-cli, redis-benchmark and Redis
// client libraries talk to.
//
//	go run ./examples/resp                       # serve on 127.0.0.1:6380
//	redis-cli -p 6380 SET greeting hello         # OK
//	redis-cli -p 6380 GET greeting               # hello
//	redis-benchmark -p 6380 -t ping,set,get,incr -q
//
// Commands: PING, ECHO, SET key value [EX seconds | PX milliseconds], GET,
// DEL key..., INCR, EXPIRE key seconds, TTL, DBSIZE, SELECT 0, QUIT, and
// enough of COMMAND, CLIENT, HELLO and CONFIG GET for clients that ask
// about the server when they connect. INFO reports the Loop's counters
// (INFO stats: connections accepted, closes by cause, bytes, commands) and
// CLIENT INFO the client's address. Requests may be arrays of bulk
// strings (what client libraries send) or inline commands (what a person
// types into telnet), and may be pipelined: many requests in one read, a
// request split across reads; the replies go out in order.
//
// # Why callbacks
//
// The server uses server.TCPServer's read callback, not TCPServerStream.
// RESP is a pipelined request/reply protocol: a read usually holds several
// whole requests and perhaps the start of the next one. The callback gets
// the bytes where they are, the parser answers every whole request in
// place (its arguments are slices of those bytes, not copies), the replies
// to the whole read go out in one write, and only the unfinished end of
// the read is copied, to wait for the rest. A stream would copy every byte
// into a buffer of the program's own (it has Read, not a way to look at the
// bytes in place) and gain nothing: no request blocks waiting for input.
//
// # Concurrency, memory, backpressure
//
// Connections are spread over all the Loop's reactors (one per CPU), so
// the store is a map behind one mutex (store.go says why that and not
// another way). Each request is bounded (protocol.go: 64 MiB, a million
// arguments, 64 KiB for an inline line): past a bound the client gets
// "-ERR Protocol error: ..." and the connection closes. A client that
// pipelines requests faster than it reads the replies is paused once its
// replies are congested (Socket.Disable), so TCP holds it back, and read
// again once they have drained (core.OnDrain).
//
// # Behind a balancer, beside other processes
//
// -proxy-protocol makes the server read a PROXY protocol header (v1 or v2,
// HAProxy's send-proxy-v2) at the start of each connection, so that CLIENT
// INFO reports the client's address, not the balancer's; only use it
// behind a balancer that sends one. -reuseport lets several processes
// listen on one port (SO_REUSEPORT), the kernel spreading connections
// among them. examples/cluster runs three processes both ways, restarting
// them in turn under load; docs/scaling.md has the figures.
//
// # Stopping
//
// SIGINT or SIGTERM starts Loop.Shutdown: the server stops accepting, each
// connection answers the requests it has read (the last one perhaps still
// arriving), sends the replies and closes; the process prints its
// counters ("stats: accepted=... commands=...") and exits 0 once all have
// closed, or 1 if -grace passes first (the rest are cut off). It exits 1
// at once if it cannot listen on -addr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:6380", "address to listen on")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "on SIGTERM, how long connections may take to finish")
	flag.BoolVar(&cfg.proxyProtocol, "proxy-protocol", false, "read a PROXY protocol header (v1 or v2) first on each connection: only behind a balancer that sends one")
	flag.BoolVar(&cfg.reusePort, "reuseport", false, "listen with SO_REUSEPORT, so that several processes share -addr")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // from now on a second Ctrl-C ends the process at once
	}()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	addr          string
	grace         time.Duration // how long a Shutdown may take
	proxyProtocol bool          // server.WithProxyProtocol
	reusePort     bool          // server.WithReusePort
}

// run serves RESP on cfg.addr until ctx ends, then shuts down gracefully,
// giving connections cfg.grace to finish. It prints "listening on ADDR"
// to stdout once it listens, and its counters once it has shut down.
func run(ctx context.Context, cfg config, stdout io.Writer) error {
	// Without core.WithStayRunning a Loop ends once nothing is left to
	// serve: here, once the server is shut down and its last connection
	// has closed, which is what the process waits for.
	l := core.NewLoop()
	var srv *server.Server
	var proc *process
	var err error
	if startErr := l.Start(func(l *core.Loop) { srv, proc, err = listen(l, cfg) }); startErr != nil {
		return startErr
	}
	if err != nil { // conditions.TCPServerBindError: address in use, ...
		l.Exit()
		_ = l.Wait() // it served nothing: there is nothing more to report
		return err
	}
	ended := make(chan error, 1)
	go func() { ended <- l.Wait() }()
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", srv.Addr()); err != nil {
		l.Exit()
		<-ended
		return err
	}

	select {
	case err := <-ended: // a callback panicked
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.grace)
	defer cancel()
	if err := l.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: connections still open after %v were cut off: %w", cfg.grace, err)
	}
	if err := <-ended; err != nil {
		return err
	}
	st := l.Stats()
	_, err = fmt.Fprintf(stdout, "stats: accepted=%d commands=%d closed_eof=%d closed_reset=%d closed_timeout=%d closed_by_app=%d accept_errors=%d\n",
		st.Accepted, proc.served.Load(), st.ClosedEOF, st.ClosedReset, st.ClosedTimeout, st.ClosedByApp, st.AcceptErrors)
	return err
}

// listen starts the RESP server on l. Its connections share one store.
func listen(l *core.Loop, cfg config) (*server.Server, *process, error) {
	st := newStore(l)
	proc := &process{loop: l, started: time.Now()}
	opts := []server.Option{
		core.OnConnect(func(s *core.Socket) {
			s.SetData(&conn{store: st, proc: proc, id: proc.nextID.Add(1), peer: newPeer(s)})
		}),
		core.OnDrain(onDrain),
		core.OnEvent(onEvent),
		server.OnShutdown(onShutdown),
		// A reply may be as big as a value (64 MiB), on top of the 1 MiB
		// of replies that make a connection congested: the cap on unsent
		// bytes must leave room for both, or GET of a big value would be
		// refused and close the connection.
		core.WithMaxWriteBuffer(maxRequestBytes + core.DefaultWriteHighWatermark + 2*flushBytes),
	}
	if cfg.proxyProtocol {
		opts = append(opts, server.WithProxyProtocol())
	}
	if cfg.reusePort {
		opts = append(opts, server.WithReusePort())
	}
	srv, err := server.TCPServer(l, cfg.addr, onRead, opts...)
	return srv, proc, err
}
