package core

// ReadFunc receives the bytes read from a socket. It is the equivalent of
// cl-async's read-cb.
//
// data is borrowed: it is valid only until the callback returns, and must be
// copied to be kept (Socket.Write copies it, so echoing it back is fine). A
// single call never carries more than MaxReadChunk bytes. With
// WithDontDrainReadBuffer the callback is only a notification: data is nil and
// the bytes stay in the socket's input buffer for a stream to read.
type ReadFunc func(s *Socket, data []byte)

// EventFunc receives the conditions of a socket: end of file, errors,
// timeouts, and (with WithCatchAppErrors) panics of its other callbacks. ev
// matches the kinds of package conditions with errors.Is. It is the
// equivalent of cl-async's event-cb.
//
// Except for a recovered panic, the socket is already closed when the
// callback runs, and it runs at most once per socket.
type EventFunc func(s *Socket, ev error)

// ConnectFunc is called once a socket is connected, before its first read
// callback. It is the equivalent of cl-async's connect-cb.
type ConnectFunc func(s *Socket)

// WriteFunc is called when the bytes of a flush have all been handed to the
// kernel. Writes made during one callback are flushed together, so it fires
// once per flush, not once per Write. It is the equivalent of cl-async's
// write-cb.
type WriteFunc func(s *Socket)

// DrainFunc is called when a congested socket's unsent bytes have fallen
// to its low watermark (see WithWriteWatermarks and Socket.Congested).
type DrainFunc func(s *Socket)

// MaxReadChunk is the most bytes a single ReadFunc call carries: gnet's read
// buffer size, and cl-async's *buffer-size*.
const MaxReadChunk = 64 << 10

// callbacks is the set of callbacks of a socket. It is replaced as a whole
// (copy on write) so that the reactor reads it with one atomic load.
type callbacks struct {
	read    ReadFunc
	event   EventFunc
	connect ConnectFunc
	write   WriteFunc
	drain   DrainFunc
}
