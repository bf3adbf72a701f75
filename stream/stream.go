package stream

import (
	"io"

	"github.com/asyncnet/asyncnet/core"
)

// ErrWouldBlock is returned by Read when no byte is buffered and the
// socket is open: read again in the next read callback. It is
// core.ErrWouldBlock.
var ErrWouldBlock = core.ErrWouldBlock

// ReadFunc is the read callback of a stream socket (client.TCPConnectStream,
// server.TCPServerStream). It is only a notification: the bytes stay in the
// socket's input buffer until st reads them; those not read now stay for
// the next call, which comes when more bytes arrive. It is the equivalent
// of cl-async's read-cb with :stream t.
type ReadFunc func(s *core.Socket, st *AsyncIOStream)

// AsyncStream is what every stream has: its socket. It is the equivalent of
// cl-async's async-stream. A stream holds no state of its own, so any
// number of them may wrap one socket; their methods are safe to call from
// any goroutine.
type AsyncStream struct {
	s *core.Socket
}

// Socket returns the socket the stream wraps (cl-async's stream-socket).
func (st *AsyncStream) Socket() *core.Socket { return st.s }

// Buffered returns how many bytes are waiting to be read.
func (st *AsyncStream) Buffered() int { return st.s.Buffered() }

// Close closes the stream's socket gracefully: what was written is
// delivered, then the peer gets end of file.
func (st *AsyncStream) Close() error { return st.s.Close() }

// Closed reports whether the socket is closed (cl-async's open-stream-p,
// negated).
func (st *AsyncStream) Closed() bool { return st.s.Closed() }

// AsyncInputStream is a stream that reads (cl-async's async-input-stream).
type AsyncInputStream struct{ AsyncStream }

// AsyncOutputStream is a stream that writes (cl-async's
// async-output-stream).
type AsyncOutputStream struct{ AsyncStream }

// AsyncIOStream is a stream that reads and writes (cl-async's
// async-io-stream).
type AsyncIOStream struct{ AsyncStream }

// NewAsyncInputStream returns a stream that reads s: (make-instance
// 'async-input-stream :socket s). s must keep what it receives
// (core.WithDontDrainReadBuffer), or the bytes go to its read callback
// instead.
func NewAsyncInputStream(s *core.Socket) *AsyncInputStream {
	return &AsyncInputStream{AsyncStream{s}}
}

// NewAsyncOutputStream returns a stream that writes to s.
func NewAsyncOutputStream(s *core.Socket) *AsyncOutputStream {
	return &AsyncOutputStream{AsyncStream{s}}
}

// NewAsyncIOStream returns a stream that reads and writes s: (make-instance
// 'async-io-stream :socket s), cl-async's first stream example. See
// NewAsyncInputStream for reading.
func NewAsyncIOStream(s *core.Socket) *AsyncIOStream {
	return &AsyncIOStream{AsyncStream{s}}
}

// Read reads the buffered bytes into p. It never blocks: with nothing
// buffered it returns (0, ErrWouldBlock) while the socket is open, and
// io.EOF once the peer has closed and every byte has been read. Inside the
// socket's callbacks it reads the socket's input buffer directly; from
// other goroutines it is safe too (see core.Socket.Read). It is
// cl-async's read-sequence.
func (st *AsyncInputStream) Read(p []byte) (int, error) { return st.s.Read(p) }

// WriteTo writes the buffered bytes to w without an intermediate copy and
// returns how many; it does not wait for more.
func (st *AsyncInputStream) WriteTo(w io.Writer) (int64, error) { return st.s.WriteTo(w) }

// Write writes p to the socket (copied, in order, buffered until the socket
// is connected; see core.Socket.Write). It is cl-async's write-sequence.
func (st *AsyncOutputStream) Write(p []byte) (int, error) { return st.s.Write(p) }

// Read reads the buffered bytes into p; see AsyncInputStream.Read.
func (st *AsyncIOStream) Read(p []byte) (int, error) { return st.s.Read(p) }

// WriteTo writes the buffered bytes to w; see AsyncInputStream.WriteTo.
func (st *AsyncIOStream) WriteTo(w io.Writer) (int64, error) { return st.s.WriteTo(w) }

// Write writes p to the socket; see AsyncOutputStream.Write.
func (st *AsyncIOStream) Write(p []byte) (int, error) { return st.s.Write(p) }

// Input returns a read-only view of the stream.
func (st *AsyncIOStream) Input() *AsyncInputStream { return &AsyncInputStream{st.AsyncStream} }

// Output returns a write-only view of the stream.
func (st *AsyncIOStream) Output() *AsyncOutputStream { return &AsyncOutputStream{st.AsyncStream} }
