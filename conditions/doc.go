// Package conditions holds cl-async's condition classes as Go errors.
//
// Every condition asyncnet delivers to an event callback, or returns from a
// call, is an [*Error]. Its [Kind] says what happened; kinds form the same
// hierarchy as cl-async's condition classes, and [errors.Is] follows it:
//
//	EventInfo
//	├── EventError
//	│   ├── DNSError
//	│   └── TCPError (also a TCPInfo)
//	│       ├── TCPTimeout          matches os.ErrDeadlineExceeded; a net.Error with Timeout() == true
//	│       ├── TCPRefused          matches syscall.ECONNREFUSED
//	│       ├── TCPReset            matches syscall.ECONNRESET
//	│       ├── TCPAcceptError
//	│       ├── SocketClosed        matches net.ErrClosed
//	│       └── TCPServerBindError
//	└── TCPInfo
//	    ├── TCPEOF                  matches io.EOF
//	    └── TCPError …
//
// So errors.Is(ev, conditions.TCPError) is true for a refused connect and
// false for an end of file, and errors.Is(ev, io.EOF) is true for the latter.
//
// An [*Error] names the operation and the address ("asyncnet: connect
// 127.0.0.1:9: connection refused"), carries the socket it happened on (read
// it with core.TCPSocket), and unwraps to the operating-system error, so
// errors.Is(ev, syscall.ECONNRESET) works, and so does errors.As with a
// target of type **net.OpError (var op *net.OpError; errors.As(ev, &op)).
//
// # Concurrency
//
// Kinds and errors are immutable once delivered: safe to use from any goroutine.
package conditions
