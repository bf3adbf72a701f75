package adapters

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// conn is a connection asyncnet owns, as a transport.Conn. gnet serves it
// (gc) most of the time; gnet cannot pause a connection, nor keep one open
// after the peer's end of file, so then conn takes the descriptor out of
// gnet and serves it itself (detached): writes go straight to the
// descriptor, and its reactor checks it for errors. gnet also cannot say
// when its buffer has drained, nor close after a flush, nor finish what it
// buffered once the peer ended its side: conn keeps the bytes it hands
// gnet (inflight) until the kernel has them, and its reactor's ticks watch
// them go (watch.go).
//
// Every method runs on the connection's reactor.
//
// A conn is 144 bytes (an allocation size class), half of what asyncnet
// adds to an idle connection besides its Socket: the flags share a word,
// and what only a paused connection needs (kept) is made when it pauses.
type conn struct {
	r  *reactor
	ch transport.ConnHandler
	gc gnet.Conn // the gnet connection while attached
	fd int       // the descriptor while detached, else -1

	inflight buf.Queue  // bytes handed to gnet (or to write on fd) that the kernel may not have
	kept     *buf.Queue // bytes read from the descriptor that gnet no longer holds, ahead of gnet's; nil until some are (keep)
	failErr  error      // why the connection is being closed, if it failed
	detIdx   int        // index in r.detached while detached
	openIdx  int        // index in r.open

	mode      connMode
	wantPause bool // Pause: take the descriptor out once gnet holds none of our bytes
	wantClose bool // Close: close once everything is sent
	wantAbort bool // Abort: close at once (applied once the connection is back, if it is on its way)
	wantReset bool // Abort with a reset
	wantShut  bool // CloseWrite: FIN once everything is sent
	shutDone  bool // FIN sent
	peerEOF   bool // the peer ended its side (a half-open connection)
	settling  bool // waiting to count what gnet's last flush wrote (detach.go)
	watched   bool // in r.watch
	parkingIt bool // the gnet close under way takes the descriptor out, not closes it
	direct    bool // written with write(2) by the reactor, never through gnet's buffer (writeDirect)
}

// keep returns the queue of kept bytes, made on first use.
func (cn *conn) keep() *buf.Queue {
	if cn.kept == nil {
		cn.kept = new(buf.Queue)
	}
	return cn.kept
}

// writev hands bs to gnet in one writev (one block: in one write). Reactor
// only.
func (cn *conn) writev(bs []*buf.Block) {
	if len(bs) == 1 { // the usual case (a reply under 64 KiB): write(2) costs the kernel less than writev(2)
		_, _ = cn.gc.Write(bs[0].Bytes()) // on error gnet has closed it and called OnClose
		return
	}
	r := cn.r
	iov := buf.Views(r.iov[:0], bs)
	r.iov = nil              // lent: a close inside Writev may run callbacks that write to another conn
	_, _ = cn.gc.Writev(iov) // on error gnet has closed it and called OnClose
	clear(iov)
	r.iov = iov[:0]
}

// errNotHere is returned for what the platform cannot do (Windows: no
// pause, no half-close).
var errNotHere = errors.New("asyncnet: not supported on this platform")

// connMode is where a connection is.
type connMode uint8

const (
	modeOpening  connMode = iota // enrolled, not opened by gnet yet
	modeGnet                     // gnet serves it
	modeEOF                      // the peer ended its side; gnet is closing it (inside OnClose)
	modeParked                   // paused: detached, not read
	modeResuming                 // on its way back to gnet
	modeHalfOpen                 // the peer ended its side: detached, written only
	modeClosed                   // closed for good
)

// newConn returns a conn for ch on r.
func newConn(r *reactor, ch transport.ConnHandler) *conn {
	return &conn{r: r, ch: ch, fd: -1, detIdx: -1, openIdx: -1}
}

// Peek returns the next n bytes (all if n <= 0) without consuming them.
func (cn *conn) Peek(n int) ([]byte, error) {
	if k := cn.kept.Len(); k > 0 {
		if n <= 0 || n > k+cn.gnetBuffered() {
			n = k + cn.gnetBuffered()
		}
		if head := cn.kept.Blocks()[0].Bytes(); n <= len(head) {
			return head[:n], nil
		}
		return cn.peekAcross(n)
	}
	if cn.gc == nil {
		return nil, io.ErrShortBuffer
	}
	return cn.gc.Peek(n)
}

// peekAcross returns n bytes that span kept blocks (and maybe gnet's
// buffer), copied: a rare path (bytes kept across a pause).
func (cn *conn) peekAcross(n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for _, b := range cn.kept.Blocks() {
		out = append(out, b.Bytes()[:min(b.Len(), n-len(out))]...)
		if len(out) == n {
			return out, nil
		}
	}
	rest, err := cn.gc.Peek(n - len(out))
	return append(out, rest...), err
}

// Discard consumes n bytes (all if n <= 0).
func (cn *conn) Discard(n int) (int, error) {
	total := cn.InboundBuffered()
	if n <= 0 || n > total {
		n = total
	}
	k := min(n, cn.kept.Len())
	if k > 0 {
		cn.kept.Discard(k)
	}
	if n > k && cn.gc != nil {
		m, err := cn.gc.Discard(n - k)
		return k + m, err
	}
	return k, nil
}

// InboundBuffered returns how many bytes are buffered for reading.
func (cn *conn) InboundBuffered() int { return cn.kept.Len() + cn.gnetBuffered() }

func (cn *conn) gnetBuffered() int {
	if cn.gc == nil {
		return 0
	}
	return cn.gc.InboundBuffered()
}

// WriteTo moves every buffered byte to w.
func (cn *conn) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for cn.kept.Len() > 0 {
		n, err := w.Write(cn.kept.Blocks()[0].Bytes())
		total += int64(n)
		cn.kept.Discard(n)
		if err != nil {
			return total, err
		}
	}
	if cn.gc != nil && cn.gc.InboundBuffered() > 0 {
		n, err := cn.gc.WriteTo(w)
		total += n
		return total, err
	}
	return total, nil
}

// Room reports no limit of gnet's own: the socket bounds what it hands
// over (a fraction of its write cap).
func (cn *conn) Room() int { return 1 << 30 }

// Write takes bs over and writes what the kernel takes.
func (cn *conn) Write(bs []*buf.Block) {
	cn.inflight.Push(bs)
	switch cn.mode {
	case modeGnet:
		if cn.direct {
			cn.writeDirect()
			return
		}
		cn.writev(bs)
		if cn.mode != modeGnet {
			return
		}
		cn.settle()
	case modeParked, modeHalfOpen:
		if !cn.settling {
			cn.writeDetached()
		}
	}
	// modeOpening, modeEOF, modeResuming: written once gnet (or the
	// descriptor) can take them.
}

// Unsent returns how many bytes Write took that the kernel has not.
func (cn *conn) Unsent() int { return cn.inflight.Len() }

// Acked returns the peer's acknowledged byte count, where the platform
// tells.
func (cn *conn) Acked() (uint64, bool) {
	if fd := cn.sysFD(); fd >= 0 {
		return ackedBytes(fd)
	}
	return 0, false
}

// sysFD returns the connection's descriptor, wherever it is, or -1.
func (cn *conn) sysFD() int {
	switch {
	case cn.gc != nil:
		return cn.gc.Fd()
	case cn.fd >= 0:
		return cn.fd
	}
	return -1
}

// settle counts the bytes gnet no longer holds as taken by the kernel,
// and watches the connection while it holds some, or while a close waits.
// The caller tells the socket (sentSome, sentSince), unless the socket
// looks itself (after Write).
func (cn *conn) settle() {
	if cn.direct {
		cn.writeDirect() // gnet holds none of the bytes: what is in flight is unsent
		return
	}
	if d := cn.inflight.Len() - cn.gc.OutboundBuffered(); d > 0 {
		cn.inflight.Discard(d)
		cn.r.progressed = true
	}
	if cn.inflight.Len() > 0 {
		cn.r.addWatch(cn)
	}
}

// LocalAddr returns the local address. That of a Unix socket is asked of
// the kernel: gnet's Enroll renames it (the peer's name and a number).
func (cn *conn) LocalAddr() net.Addr {
	if cn.gc == nil {
		return nil
	}
	if _, ok := cn.gc.LocalAddr().(*net.UnixAddr); ok {
		if a := unixLocalAddr(cn.gc.Fd()); a != nil {
			return a
		}
	}
	return cn.gc.LocalAddr()
}

// RemoteAddr returns the remote address.
func (cn *conn) RemoteAddr() net.Addr {
	if cn.gc != nil {
		return cn.gc.RemoteAddr()
	}
	return nil
}

// gnetConn returns the gnet.Conn under cn, or nil while it is detached.
func (cn *conn) gnetConn() gnet.Conn { return cn.gc }

// Direct writes. gnet writes what its buffer holds once more when it
// closes a connection at the peer's end of file, and says nothing of how
// much: on Linux's TCP sockets the kernel's count of bytes taken tells
// (kernelAccepted), and what is left is finished by a tail. Where the
// kernel does not count (a Unix domain socket; TCP on other systems) the
// reactor writes a connection's bytes itself, so that gnet's buffer stays
// empty and what is in flight is exactly what is unsent: nothing gnet
// flushes at the end is lost or sent twice. Writability is learnt on the
// reactor's ticks (watch.go), fast while bytes flow.

// writeDirectAlways writes every connection directly: where the kernel
// does not count, and in tests of this path (ForceDirectWrites).
var writeDirectAlways = !kernelCounts

// writesDirect reports whether gc's bytes are written directly.
func writesDirect(gc gnet.Conn) bool {
	if !canPark {
		return false // no descriptor to write to (Windows)
	}
	if writeDirectAlways {
		return true
	}
	_, tcp := gc.LocalAddr().(*net.TCPAddr) // gnet's TCP connections all have one; anything else is written directly
	return !tcp
}

// writeDirect writes what the kernel takes of the bytes in flight to the
// connection's descriptor, and watches it while some are left. An error
// closes the connection with it (OnClose), as a failed write through gnet
// does. Reactor only.
func (cn *conn) writeDirect() {
	fd := cn.gc.Fd()
	for cn.inflight.Len() > 0 {
		n, err := writeFD(fd, cn.inflight.Blocks()[0].Bytes())
		if n > 0 {
			cn.inflight.Discard(n)
			cn.r.progressed = true
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			cn.fail(os.NewSyscallError("write", err))
			return
		}
	}
	if cn.inflight.Len() > 0 {
		cn.r.addWatch(cn)
	}
}
