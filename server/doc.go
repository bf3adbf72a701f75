// Package server is asyncnet's TCP server: cl-async's tcp-server for Go.
//
// TCPServer listens on an address and serves it on a core.Loop; every
// connection it accepts becomes a core.Socket whose bytes go to the read
// callback:
//
//	srv, err := server.TCPServer(l, ":7007", func(s *core.Socket, data []byte) {
//		s.Write(data)
//	}, core.OnConnect(func(s *core.Socket) { log.Print("hello ", s.RemoteAddr()) }))
//
// # Concurrency
//
// TCPServer and the methods of Server are safe to call from any goroutine.
// A server accepts on a goroutine of its own and spreads its connections
// over the reactors of its Loop (the least loaded first); their callbacks run
// on those reactors, as package core describes.
//
// # Lifecycle
//
// A server keeps its Loop's Run going until Close. Close stops accepting
// (new connections are refused) while the sockets already accepted live on.
// Exit closes the server and its sockets at once.
package server
