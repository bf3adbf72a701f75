package memtransport

import (
	"io"
	"net"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// The transport.Conn methods of conn. They run on the connection's
// reactor, as the SPI says; core's Socket.Read also calls the reading ones
// from another goroutine while the reactor is inside one of the
// connection's callbacks, which is safe: nothing else touches c.in then.

// Peek returns the next n buffered bytes (all if n <= 0) without
// consuming them, or io.ErrShortBuffer if fewer are buffered. The bytes are
// borrowed until Discard.
func (c *tconn) Peek(n int) ([]byte, error) {
	total := c.in.Len()
	switch {
	case n > total:
		return nil, io.ErrShortBuffer
	case n <= 0:
		n = total
	}
	if n == 0 {
		return nil, nil
	}
	if head := c.in.Blocks()[0].Bytes(); n <= len(head) {
		return head[:n], nil
	}
	c.peekBuf = c.peekBuf[:0]
	for _, b := range c.in.Blocks() {
		c.peekBuf = append(c.peekBuf, b.Bytes()[:min(b.Len(), n-len(c.peekBuf))]...)
		if len(c.peekBuf) == n {
			break
		}
	}
	return c.peekBuf, nil
}

// Discard consumes n buffered bytes (all if n <= 0 or n is more).
func (c *tconn) Discard(n int) (int, error) {
	if total := c.in.Len(); n <= 0 || n > total {
		n = total
	}
	c.in.Discard(n)
	return n, nil
}

// InboundBuffered returns how many bytes are buffered.
func (c *tconn) InboundBuffered() int { return c.in.Len() }

// WriteTo writes the buffered bytes to w, block by block, consuming
// those w took.
func (c *tconn) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for c.in.Len() > 0 {
		n, err := w.Write(c.in.Blocks()[0].Bytes())
		total += int64(n)
		c.in.Discard(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// holdBridged is how many unsent bytes a bridged connection is willing to
// hold (Room); a Network's connection holds one window.
const holdBridged = 256 << 10

// Room returns how many more bytes Write should be given now.
func (c *tconn) Room() int {
	limit := holdBridged
	if mw, ok := c.w.(*memWire); ok {
		limit = mw.window()
	}
	return max(0, limit-c.Unsent())
}

// Write takes bs over and sends what the peer's window (the kernel) takes
// at once. Once the connection is closed, or its writing side, the blocks
// go back to the pool.
func (c *tconn) Write(bs []*buf.Block) {
	if c.state != stateOpen || c.wantShut || c.wantClose {
		for _, b := range bs {
			buf.Put(b)
		}
		return
	}
	c.out.Push(bs)
	if err := c.w.send(&c.out); err != nil {
		c.closeNow(err, closeAbort)
		return
	}
	c.seen = c.Unsent()
}

// Unsent returns how many bytes Write took that the peer's window (the
// kernel) has not.
func (c *tconn) Unsent() int { return c.out.Len() + c.w.held() }

// Acked returns how many bytes the peer has read (in memory), or
// acknowledged (TCP, on Linux).
func (c *tconn) Acked() (uint64, bool) { return c.w.acked() }

// Pause stops reading at once: the peer's window fills (the kernel's
// buffer, for a bridged connection) and holds its writes back. A reset
// is still reported.
func (c *tconn) Pause() error {
	if !c.paused && c.state == stateOpen {
		c.paused = true
		c.w.pause()
	}
	return nil
}

// Resume reads again: what arrived meanwhile comes with OnTraffic, then
// the peer's end of file, after the current event.
func (c *tconn) Resume() error {
	if c.paused {
		c.paused = false
		if c.state == stateOpen {
			c.w.resume()
			c.kick()
		}
	}
	return nil
}

// CloseWrite sends FIN once nothing is unsent; once the peer has ended its
// side too, the connection closes (OnClose(c, nil)).
func (c *tconn) CloseWrite() error {
	if c.state != stateOpen || c.wantShut {
		return nil
	}
	c.wantShut = true
	c.afterSent()
	return nil
}

// Close closes the connection once nothing is unsent: FIN, then
// OnClose(c, nil). Meanwhile what arrives is read and dropped (a paused
// connection reads again), so that the close is a FIN, not a reset.
func (c *tconn) Close() error {
	if c.state != stateOpen || c.wantClose {
		return nil
	}
	c.wantClose = true
	if c.paused {
		c.w.resume()
	}
	c.afterSent()
	if c.state == stateOpen {
		c.kick()
	}
	return nil
}

// Abort closes the connection at once, dropping what is unsent, with a
// reset if reset is true; OnClose(c, nil) runs before it returns.
func (c *tconn) Abort(reset bool) error {
	how := closeAbort
	if reset {
		how = closeReset
	}
	c.closeNow(nil, how)
	return nil
}

// LocalAddr returns the local address.
func (c *tconn) LocalAddr() net.Addr { return c.w.localAddr() }

// RemoteAddr returns the peer's address.
func (c *tconn) RemoteAddr() net.Addr { return c.w.remoteAddr() }
