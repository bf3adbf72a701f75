// Package stream is asyncnet's TCP streams: cl-async's async-stream family,
// and a blocking net.Conn view of a socket.
//
// A stream reads a socket's input buffer in place. With
// client.TCPConnectStream or server.TCPServerStream (cl-async's :stream t),
// or core.WithDontDrainReadBuffer plus NewAsyncIOStream, the read callback is
// only a notification; the bytes stay until the stream reads them, and
// those not read stay for the next callback:
//
//	srv, err := server.TCPServerStream(l, ":7007", func(s *core.Socket, st *stream.AsyncIOStream) {
//		buf := make([]byte, 4096)
//		for {
//			n, err := st.Read(buf) // never blocks: ErrWouldBlock when empty
//			if n == 0 || err != nil {
//				return
//			}
//			st.Write(buf[:n])
//		}
//	})
//
// Conn is the other view: a net.Conn whose Read and Write block, for code
// written for goroutines (bufio, net/http, crypto/tls). client.Dial and
// server.Listen return them; tls.NewListener(ln, cfg) over server.Listen is
// a TLS server on asyncnet.
//
// # Concurrency
//
// Every method is safe to call from any goroutine. A stream read inside one
// of its socket's callbacks reads the socket's buffer directly (no copy); a
// read from another goroutine makes the socket copy arriving bytes where
// that goroutine can read them. Conn's blocking methods must not be called
// inside a callback: they return ErrInReactor there rather than stall the
// reactor.
//
// # Lifecycle
//
// A stream is a view of its socket and holds no state of its own: Close
// closes the socket gracefully. Bytes that arrived before the peer closed
// stay readable after the close (also in the event callback that reports
// it); then Read returns io.EOF. A Conn that reads slower than its peer
// sends stops reading the socket (TCP flow control holds the peer back)
// until it catches up.
package stream
