// Package core is asyncnet's event loop and socket: the Loop that runs
// callbacks on gnet's reactors, the Socket, the callback types and the
// options they share. It is cl-async's event loop and socket for Go.
//
// Entry points live in packages client (TCPConnect) and server
// (TCPServer); core does not depend on gnet, which package adapters plugs
// in.
//
//	err := core.StartEventLoop(func(l *core.Loop) {
//		srv, err := server.TCPServer(l, "127.0.0.1:7007", func(s *core.Socket, data []byte) {
//			if _, err := s.Write(data); err != nil { // echo; data is only valid during the call, Write copies it
//				return // closed; the event callback says why
//			}
//		})
//		if err != nil {
//			log.Print(err)
//			return
//		}
//		_ = srv // srv.Close() lets the loop end once its connections have closed
//	})
//
// # Concurrency
//
// A Loop runs N reactors (WithReactors; default GOMAXPROCS). Every server
// and outgoing connection of the Loop is served by those same reactors.
// Each socket belongs to one reactor, and all of its callbacks run on that
// reactor's goroutine, one at a time. Callbacks of different sockets may run
// in parallel on different reactors; with WithReactors(1) nothing ever runs
// in parallel: the start function, every callback of every socket and
// server, all on one goroutine, as in cl-async.
//
// Every method of Loop, Socket and Server is safe to call from any
// goroutine. Inside a callback on the socket's own reactor a Socket method
// takes effect when the callback returns, without crossing goroutines;
// writes made in one callback go out together, in one system call. From
// another goroutine it is handed to the reactor. The writes of one goroutine
// always reach the peer in order. Callbacks must not block: a blocked
// callback stalls every socket of its reactor.
//
// # Lifecycle
//
// A socket's callbacks run in this order:
//
//	| State                         | Callback    | Notes                                        |
//	|-------------------------------|-------------|----------------------------------------------|
//	| connecting (outgoing only)    |             | writes are buffered                          |
//	| connected                     | OnConnect   | once; buffered writes are sent after it      |
//	| bytes arrive                  | ReadFunc    | any number of times, ≤ MaxReadChunk each     |
//	| a flush reaches the kernel    | OnWrite     | once per flush                               |
//	| congestion has drained        | OnDrain     | after Congested turned true (backpressure)   |
//	| peer EOF (WithAllowHalfOpen)  | OnEvent     | TCPEOF, the socket still open for writing    |
//	| Shutdown under way            | OnShutdown  | a server's sockets; default: Close           |
//	| peer EOF, error, timeout      | OnEvent     | once, with the socket already closed         |
//	| Close / ForceClose / Exit     |             | no callback: the program asked for it        |
//
// A connect that fails goes straight to OnEvent (conditions.TCPRefused,
// conditions.TCPTimeout, conditions.DNSError, ...). Close is graceful: what
// was written is delivered, then FIN; ForceClose resets the connection.
// CloseWrite sends FIN after what was written and goes on reading. When the
// peer ends its side, the bytes already written are still delivered before
// the connection closes; with WithAllowHalfOpen the socket stays open for
// writing until this side closes it.
//
// A write is copied into the socket's queue; the bytes not yet taken by the
// kernel are capped (WithMaxWriteBuffer), and a write past the cap is
// refused and, unless WithWriteOverflow says otherwise, closes the socket
// with a condition: a stream never has a hole in it. Congested and OnDrain
// tell a producer when to pause. A condition with no event callback goes
// to WithDefaultEventHandler, or is logged (WithLogger).
//
// With WithDontDrainReadBuffer the read callback is a notification and the
// bytes stay in the socket for Socket.Read (package stream builds its streams
// and its net.Conn on it). Read and write timeouts (WithReadTimeout,
// Socket.SetTimeouts) close the socket with conditions.TCPTimeout, and TCP
// keepalive (WithTCPKeepAlive, 15s by default) notices a peer that
// vanished. Socket.Disable pauses reading (the peer is held back by TCP
// flow control) or writing; Socket.Enable resumes.
//
// # Timers
//
// Loop.Delay and Loop.Interval run a function on one of the Loop's
// reactors, with the precision of one tick (WithTickInterval, 10ms by
// default). A pending timer keeps Run going.
//
// # The Loop's life
//
// Start returns once its start function has run. A Loop's Run returns when
// no server, socket, pending connect or timer is left (with
// WithStayRunning: only after Exit or Shutdown). Shutdown ends it
// gracefully: servers stop accepting, every connection finishes (a
// server's OnShutdown, by default Close), timers are dropped, and Run
// returns nil once everything has closed (or, when Shutdown's context
// ends, after the rest is force-closed). Exit closes everything at once and
// runs no more callbacks.
package core
