package adapters

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Detaching: gnet reads every connection it holds and closes a connection
// at the peer's end of file, so a paused connection (parked) and a
// half-open one live outside gnet, on a duplicate of their descriptor that
// gnet does not know. Nobody reads a parked descriptor: the kernel's
// receive buffer fills and TCP flow control holds the peer back. Writes go
// to the descriptor directly, without blocking (the rest on the ticks);
// the reactor checks its detached descriptors for errors every
// detachedCheck. Resume hands the descriptor back to gnet, on the same
// reactor.
//
// gnet's close makes one last attempt to write what it buffered, then
// drops the rest. When it still holds bytes of ours, the kernel's count of
// bytes taken (TCP_INFO and SIOCOUTQ, Linux) before and after that close
// says how many it wrote; the rest of the bytes in flight are written from
// here. Where the kernel cannot count, a pause waits until gnet holds
// none.

// detachedCheck is how often a reactor looks for errors on its detached
// descriptors.
const detachedCheck = 250 * time.Millisecond

// tryPark takes the descriptor out of gnet if a pause is wanted and
// possible. Reactor only.
func (cn *conn) tryPark() {
	if !cn.wantPause || cn.wantClose || cn.mode != modeGnet || !canPark {
		return
	}
	defer cn.sentSince(cn.inflight.Len())
	cn.settle()
	var before uint64
	if cn.inflight.Len() > 0 {
		n, err := kernelAccepted(cn.gc.Fd())
		if err != nil {
			return // parked once gnet holds none (afterSent)
		}
		before = n
	}
	fd, err := cn.gc.Dup()
	if err != nil {
		cn.r.hub.log().Warn("asyncnet: cannot pause reading at the TCP level; buffering instead", "err", err)
		cn.wantPause = false
		return
	}
	if cn.gc.InboundBuffered() > 0 { // read before the pause: delivered first on resume
		_, _ = cn.gc.WriteTo(cn.keep())
	}
	gc := cn.gc
	cn.parkingIt = true
	cn.r.closeGnet(gc) // gnet flushes what it can and closes its descriptor; gnetClosed lets it go
	cn.parkingIt = false
	cn.gc, cn.fd, cn.mode = nil, fd, modeParked
	cn.r.addDetached(cn)
	if cn.inflight.Len() > 0 {
		cn.countWritten(before)
	}
	if cn.mode == modeParked {
		cn.writeDetached()
	}
}

// sentSince tells the socket, if the kernel took some of the inflight
// bytes in flight before, once the reactor is done with what it is doing:
// a pause happens inside the socket's own flow control, which must not be
// re-entered. Reactor only.
func (cn *conn) sentSince(inflight int) {
	if cn.mode == modeClosed || cn.inflight.Len() >= inflight {
		return
	}
	if err := cn.r.Execute(cn.sentSome); err != nil {
		cn.r.hub.log().Debug("asyncnet: cannot report sent bytes", "err", err) // stopping: nobody waits
	}
}

// countWritten counts the bytes in flight that gnet's last flush wrote
// (the kernel's count went from before to now) as sent. Reactor only.
func (cn *conn) countWritten(before uint64) {
	after, err := kernelAccepted(cn.fd)
	if err != nil {
		cn.fail(fmt.Errorf("asyncnet: cannot count the bytes the kernel took: %w", err))
		return
	}
	if wrote := int(min(after-before, uint64(cn.inflight.Len()))); wrote > 0 {
		cn.inflight.Discard(wrote)
		cn.r.progressed = true
	}
}

// detachHalfOpen keeps a connection whose peer ended its side open for
// writing, on a duplicate of gc's descriptor. It runs in gnet's OnClose:
// gnet's last flush and close come after it, and a task then counts what
// that flush wrote. Reactor only.
func (cn *conn) detachHalfOpen(gc gnet.Conn, before uint64) error {
	if !canPark {
		return errNotHere
	}
	fd, err := gc.Dup()
	if err != nil {
		return err
	}
	cn.gc, cn.fd, cn.mode, cn.peerEOF = nil, fd, modeHalfOpen, true
	cn.r.addDetached(cn)
	if cn.inflight.Len() == 0 {
		cn.afterSent()
		return nil
	}
	cn.settling = true
	err = cn.r.Execute(func() { // after gnet's close: the kernel's count is final
		cn.settling = false
		if cn.mode != modeHalfOpen {
			return
		}
		cn.countWritten(before)
		if cn.mode == modeHalfOpen {
			cn.writeDetached()
			cn.sentSome()
		}
	})
	if err != nil {
		cn.settling = false
		cn.closeDetached(err)
	}
	return nil
}

// writeDetached writes what it can of the bytes in flight to the
// detached descriptor. Reactor only.
func (cn *conn) writeDetached() {
	for cn.inflight.Len() > 0 {
		n, err := writeFD(cn.fd, cn.inflight.Blocks()[0].Bytes())
		if n > 0 {
			cn.inflight.Discard(n)
			cn.r.progressed = true
		}
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			cn.closeDetached(os.NewSyscallError("write", err))
			return
		}
	}
	if cn.inflight.Len() > 0 || cn.wantClose || cn.wantShut {
		cn.r.addWatch(cn)
	}
}

// closeDetached closes the detached descriptor and ends cn. Reactor only.
func (cn *conn) closeDetached(err error) {
	cn.r.removeDetached(cn)
	if cn.fd >= 0 {
		_ = closeFD(cn.fd)
		cn.fd = -1
	}
	cn.closed(err)
}

// unpark hands the descriptor back to gnet, on the same reactor; gnet's
// OnOpen brings it back (reopened). Reactor only.
func (cn *conn) unpark() {
	r, fd := cn.r, cn.fd
	r.removeDetached(cn)
	cn.fd, cn.mode = -1, modeResuming
	hb := r.hub
	hb.bg.Add(1)
	go func() {
		defer hb.bg.Done()
		nc, err := fileConn(fd, "asyncnet-parked")
		if err == nil && nc.RemoteAddr() == nil {
			// The connection ended both ways while parked (after
			// CloseWrite, the peer's FIN): gnet cannot take it (no peer
			// address), and its last bytes are read here.
			data, rerr := readRest(nc)
			if r.Execute(func() { cn.endedParked(data, rerr) }) != nil {
				hb.orphan(cn) // stopping: Stop ends it
			}
			return
		}
		if err == nil {
			err = r.enrollConn(nc, cn)
		}
		if err != nil && r.Execute(func() { cn.closed(err) }) != nil {
			hb.orphan(cn)
		}
	}()
}

// reopened adopts gnet's new connection for a conn back from a pause.
// Reactor only.
func (cn *conn) reopened() {
	cn.mode = modeGnet
	if cn.wantAbort {
		_ = cn.Abort(cn.wantReset)
		return
	}
	if n := cn.inflight.Len(); n > 0 { // written while it was on its way: first in line
		cn.writev(cn.inflight.Blocks())
		if cn.mode != modeGnet {
			return
		}
		cn.settle()
		cn.sentSome()
	}
	if cn.mode == modeGnet && cn.InboundBuffered() > 0 {
		cn.traffic() // what was kept at the pause
	}
	if cn.mode == modeGnet {
		cn.afterSent()
	}
}

// endedParked delivers the last bytes of a connection that ended both
// ways while parked, then its end (or the error that ended it). Reactor
// only.
func (cn *conn) endedParked(data []byte, rerr error) {
	if cn.mode != modeResuming {
		return
	}
	_, _ = cn.keep().Write(data)
	cn.mode = modeEOF
	if cn.kept.Len() > 0 && !cn.wantAbort && !cn.wantClose {
		cn.traffic()
	}
	if cn.mode == modeClosed {
		return
	}
	if rerr == nil && !cn.wantAbort && !cn.wantClose {
		cn.ch.OnEOF(cn) // it cannot stay open: the descriptor is gone
		rerr = io.EOF
	}
	cn.closed(rerr)
}

// readRest reads what is left of a connection that has ended, closes it,
// and returns the bytes and the error that ended the read (nil for end of
// file).
func readRest(nc net.Conn) ([]byte, error) {
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(time.Second)) // it has ended: nothing blocks, but never wait for ever
	return io.ReadAll(nc)
}

// closeFD closes a descriptor from gnet.Conn.Dup.
func closeFD(fd int) error { return os.NewFile(uintptr(fd), "").Close() }
