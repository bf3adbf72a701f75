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
// PipeServer (cl-async's pipe-server) serves a Unix domain socket the same
// way, with the same callbacks, options and Shutdown; it replaces a stale
// socket file, never a live socket or a file that is not a socket, and
// removes its file when it closes:
//
//	srv, err := server.PipeServer(l, "/run/app/app.sock", echo, server.WithSocketMode(0o660))
//
// # Concurrency
//
// TCPServer, PipeServer and the methods of Server are safe to call from any goroutine.
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
