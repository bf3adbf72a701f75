// Package memtransport is a transport.Transport with no kernel and no
// gnet: reactors are plain goroutines, and a Network carries connections
// in memory. It makes tests deterministic (the same test runs on it and
// on gnet, as yamux tests every behaviour over several transports) and,
// since it blocks only on channels, sync.Cond and timers, a whole Loop on
// it runs inside testing/synctest's bubble, on fake time.
//
//	nw := memtransport.NewNetwork()
//	l := core.NewLoop(core.WithTransport(memtransport.New(nw)))
//	err := l.Run(func(l *core.Loop) {
//		ln, _ := nw.Listen("127.0.0.1:0")
//		srv, _ := l.Serve(ln, echo)
//		addr := ln.Addr().String()
//		s, _ := core.NewSocket(l, onRead)
//		_ = s.Connect(addr, func(ctx context.Context) (net.Conn, error) { return nw.Dial(ctx, addr) })
//		_ = srv
//	})
//
// A Network's connections behave like loopback TCP where a test can tell:
// bytes in order, a bounded window per direction (WithWindow; a reader that
// stops reading holds the writer back, which makes backpressure, Unsent,
// OnSent, write caps and write timeouts testable), half-close
// (CloseWrite, CloseRead), reset (SetLinger(0), then Close) with errors
// that match syscall.ECONNRESET, deadlines. They pass
// golang.org/x/net/nettest.TestConn. Any other net.Conn given to Enroll (a
// *net.TCPConn from core's own listeners and dialers) is served through a
// reader and a writer goroutine, so that a Loop on memtransport also
// serves real sockets.
//
// # The transport matrix
//
// asyncnet's own tests run twice: on gnet, and with
// ASYNCNET_TRANSPORT=mem on this transport, which their TestMain makes
// the default of every Loop given none (internal/testutil.OnTransport);
// `make test` does both, `make test-mem` the second alone. Served so, the
// tests' loopback sockets are bridged: they check core on a transport
// that shares none of gnet's code. A test on a Network inside
// testing/synctest's bubble (synctest.Test) runs on fake time instead:
// timers, timeouts and a slow peer are checked to the tick, with no
// sleep. Bridged sockets block in system calls, which the bubble cannot
// wait through, so they have no place in it.
//
// # Concurrency
//
// Each reactor is one goroutine that runs its connections' events and the
// functions given to Execute one at a time, in the order they came; the
// Handler's OnTick runs on a goroutine of its own. A Network, its
// listeners and its Conns are safe to use from any goroutine; a Conn
// handed to Enroll belongs to the transport from then on.
//
// # Lifecycle
//
// A connection's events, on its reactor:
//
//	| When                                   | Event                                  |
//	|----------------------------------------|----------------------------------------|
//	| Enroll                                 | OnOpen; false closes it (no OnClose)   |
//	| bytes arrive (not paused)              | OnTraffic                              |
//	| the peer took bytes after Write        | OnSent                                 |
//	| the peer ended, after its bytes        | OnEOF; false closes: OnClose(c, EOF)   |
//	| Close / both sides ended / Abort       | OnClose(c, nil)                        |
//	| the peer reset it (paused too)         | OnClose(c, err), err matches ECONNRESET|
//	| Stop                                   | OnClose(c, nil), unsent bytes dropped  |
//
// After OnEOF returns false the bytes still unsent are delivered before
// the connection closes, holding the Loop (Handler.Hold) meanwhile. Stop
// runs what the reactors have queued, closes every connection, and waits
// for the goroutines of bridged connections; nothing runs after it
// returns. The transport never stops on its own (it does not implement
// transport.Persistent).
package memtransport
