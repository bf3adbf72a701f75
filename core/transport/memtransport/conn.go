package memtransport

import (
	"io"
	"net"
	"sync/atomic"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// wire is what moves a connection's bytes: the in-memory link (memWire)
// or a net.Conn read and written by goroutines (bridge). Its methods run
// on the connection's reactor, except kick, which it calls from anywhere
// when something changed.
type wire interface {
	// start begins calling kick on every change, once the handler has
	// opened the connection.
	start(kick func())
	// send takes what it can of q now (all of it, for a bridge).
	send(q *buf.Queue) error
	// held returns how many bytes send took that the peer (the kernel)
	// has not yet.
	held() int
	// recv moves the bytes that arrived into in and returns how many;
	// ended reports the peer's end of file after them, err a failure after
	// them (a reset). It reports the end and the failure again until the
	// connection closes.
	recv(in *buf.Queue) (n int, ended bool, err error)
	// failed returns the failure (a reset) of a connection not read.
	failed() error
	pause()
	resume()
	// shutWrite sends FIN; nothing is held.
	shutWrite() error
	// close ends the connection.
	close(how closeHow)
	acked() (uint64, bool)
	localAddr() net.Addr
	remoteAddr() net.Addr
}

// closeHow is how a wire closes.
type closeHow uint8

const (
	closeGraceful closeHow = iota // FIN after everything held (nothing is); unread bytes are dropped, not reset
	closeAbort                    // at once, dropping what is held
	closeReset                    // at once, with a reset
)

// connState is where a tconn is in its life.
type connState uint8

const (
	stateOpening connState = iota // enrolled, OnOpen not run yet
	stateOpen
	stateTail   // closed for the handler (after OnEOF), still delivering its unsent bytes
	stateClosed // closed for good
)

// tconn is one connection as a transport.Conn. Every method runs on its
// reactor (kick excepted); its handler's methods are called there too.
type tconn struct {
	r       *reactor
	ch      transport.ConnHandler
	w       wire
	kicked  atomic.Bool // a service is queued on the reactor
	service func()

	in      buf.Queue // arrived, not consumed (Peek, Discard, WriteTo)
	out     buf.Queue // Write took, the wire has not
	peekBuf []byte    // Peek's copy of bytes across blocks

	state     connState
	paused    bool
	wantShut  bool // CloseWrite: FIN once nothing is unsent
	shutDone  bool // FIN sent
	wantClose bool // Close: closed once nothing is unsent
	peerEnded bool // the peer's end of file was delivered (OnEOF)
	seen      int  // Unsent as the handler last saw it (after Write, OnSent)
}

func newTConn(r *reactor, ch transport.ConnHandler, w wire) *tconn {
	c := &tconn{r: r, ch: ch, w: w}
	c.service = c.serve
	return c
}

// open runs the handler's OnOpen. Reactor only.
func (c *tconn) open() {
	c.state = stateOpen
	c.r.conns[c] = struct{}{}
	if !c.ch.OnOpen(c.r.idx, c) {
		c.state = stateClosed
		delete(c.r.conns, c)
		c.w.close(closeGraceful)
		c.out.Reset()
		return
	}
	if c.state != stateClosed {
		c.w.start(c.kick)
		c.kick()
	}
}

// kick queues a service of c on its reactor, once. Safe to call from any
// goroutine.
func (c *tconn) kick() {
	if c.kicked.CompareAndSwap(false, true) {
		if c.r.Execute(c.service) != nil {
			c.kicked.Store(false) // stopping: closeAll ends c
		}
	}
}

// serve handles what changed: bytes the peer took (OnSent, a pending
// close), bytes or an end that arrived (OnTraffic, OnEOF), a failure
// (OnClose). Reactor only.
func (c *tconn) serve() {
	c.kicked.Store(false)
	switch c.state {
	case stateTail:
		c.serveTail()
		return
	case stateOpen:
	default:
		return
	}
	if err := c.w.send(&c.out); err != nil {
		c.closeNow(err, closeAbort)
		return
	}
	if c.reportSent(); c.state != stateOpen {
		return
	}
	if c.afterSent(); c.state != stateOpen {
		return
	}
	if c.peerEnded || c.paused && !c.wantClose {
		if err := c.w.failed(); err != nil { // a reset is noticed while not reading
			c.fail(err)
		}
		return
	}
	n, ended, err := c.w.recv(&c.in)
	if n > 0 {
		if c.wantClose {
			c.in.Reset() // closing: what arrives is read and dropped
		} else if c.ch.OnTraffic(c); c.state != stateOpen || c.paused {
			return // a pause keeps the end (and a failure) for Resume
		}
	}
	switch {
	case err != nil:
		c.fail(err)
	case ended:
		c.ended()
	}
}

// reportSent calls OnSent if Unsent has shrunk since the handler last saw
// it. Reactor only.
func (c *tconn) reportSent() {
	if u := c.Unsent(); u < c.seen {
		c.seen = u
		c.ch.OnSent(c)
	}
}

// fail closes c after a failure (a reset), telling the handler first of
// the bytes the peer took before it. Reactor only.
func (c *tconn) fail(err error) {
	if c.reportSent(); c.state == stateOpen {
		c.closeNow(err, closeAbort)
	}
}

// ended delivers the peer's end of file. Reactor only.
func (c *tconn) ended() {
	c.peerEnded = true
	keep := c.ch.OnEOF(c)
	switch {
	case c.state != stateOpen: // closed by the handler
	case !keep:
		c.endTail()
	case c.shutDone: // both sides have ended
		c.closeNow(nil, closeGraceful)
	default:
		c.afterSent()
	}
}

// afterSent carries out what waited for every byte to be sent: a Close, a
// CloseWrite. Reactor only.
func (c *tconn) afterSent() {
	if c.Unsent() > 0 {
		return
	}
	switch {
	case c.wantClose:
		c.closeNow(nil, closeGraceful)
	case c.wantShut && !c.shutDone:
		if err := c.w.shutWrite(); err != nil {
			c.closeNow(err, closeAbort)
			return
		}
		c.shutDone = true
		if c.peerEnded {
			c.closeNow(nil, closeGraceful)
		}
	}
}

// closeNow closes c and tells the handler, with err (nil for a close it
// asked for). Reactor only.
func (c *tconn) closeNow(err error, how closeHow) {
	if c.state == stateClosed || c.state == stateTail {
		return
	}
	c.state = stateClosed
	delete(c.r.conns, c)
	c.out.Reset()
	c.w.close(how)
	c.ch.OnClose(c, err)
	c.in.Reset()
}

// endTail closes c for the handler after the peer's end of file
// (OnClose(c, io.EOF)); what is unsent is still delivered, holding the
// Loop, then the connection closes. Reactor only.
func (c *tconn) endTail() {
	c.in.Reset()
	if c.Unsent() == 0 {
		c.closeNow(io.EOF, closeGraceful)
		return
	}
	c.state = stateTail
	c.r.t.hold()
	c.ch.OnClose(c, io.EOF)
	c.kick()
}

// serveTail moves a tail's bytes on, and closes it once they are sent.
// Reactor only.
func (c *tconn) serveTail() {
	err := c.w.send(&c.out)
	if err == nil && c.Unsent() > 0 {
		return
	}
	how := closeGraceful
	if err != nil {
		how = closeAbort
	}
	c.finishTail(how)
}

func (c *tconn) finishTail(how closeHow) {
	c.state = stateClosed
	delete(c.r.conns, c)
	c.out.Reset()
	c.w.close(how)
	c.r.t.release()
}

// stopped closes c because the transport stops. Reactor only.
func (c *tconn) stopped() {
	switch c.state {
	case stateTail:
		c.finishTail(closeAbort)
	case stateOpen:
		c.closeNow(nil, closeAbort)
	}
}
