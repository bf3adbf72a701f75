// Package client is asyncnet's TCP client: cl-async's tcp-connect for Go.
//
// TCPConnect returns a core.Socket at once; name resolution and connecting
// happen in the background, and writes made meanwhile are sent once the
// connection is up:
//
//	s, err := client.TCPConnect(l, "example.com:80", func(s *core.Socket, data []byte) {
//		fmt.Printf("%s", data)
//	}, client.WithData([]byte("GET / HTTP/1.0\r\n\r\n")),
//		client.WithDialTimeout(5*time.Second),
//		core.OnEvent(func(s *core.Socket, ev error) { log.Print(ev) }))
//
// PipeConnect (cl-async's pipe-connect) does the same over a Unix domain
// socket, given its path; no server there is conditions.TCPRefused:
//
//	s, err := client.PipeConnect(l, "/run/app/app.sock", onRead, core.OnEvent(onEvent))
//
// # Concurrency
//
// Every function is safe to call from any goroutine, and also from inside
// any callback: nothing here blocks a reactor (unlike gnet's Client.Dial,
// which deadlocks when called from a loop).
//
// # Lifecycle
//
// A connecting socket counts as a pending connect in core.Stats. Once
// connected it goes to the least loaded reactor of its Loop, OnConnect runs,
// then the bytes written so far are sent. If it cannot connect, OnEvent gets
// the condition once, with the socket already closed. ForceClose cancels a
// connect under way; Close lets it finish, sends what was written, and
// closes.
package client
