package adapters

import (
	"errors"
	"io"
	"os"

	"github.com/panjf2000/gnet/v2"
)

// A conn's life on its reactor: gnet opens it, gnet reports its traffic
// and its close; the socket asks for a pause, a half-close, a close.

// opened runs in gnet's OnOpen: gc is the connection, new or back from a
// pause.
func (cn *conn) opened(gc gnet.Conn) gnet.Action {
	cn.gc = gc
	cn.r.hub.attach()
	if cn.mode == modeResuming {
		cn.reopened()
		return gnet.None
	}
	cn.mode = modeGnet
	cn.direct = writesDirect(gc)
	cn.r.addOpen(cn)
	if !cn.ch.OnOpen(cn.r.idx, cn) {
		cn.r.removeOpen(cn)
		cn.gc, cn.mode = nil, modeClosed
		gc.SetContext(nil)
		cn.r.hub.detachOne()
		return gnet.Close
	}
	if cn.kept.Len() > 0 && cn.mode == modeGnet { // read before it was enrolled (Plugin.keepEnded)
		cn.traffic()
	}
	return gnet.None
}

// traffic runs in gnet's OnTraffic.
func (cn *conn) traffic() { cn.ch.OnTraffic(cn) }

// gnetClosed runs in gnet's OnClose: gnet has closed the connection, or is
// about to (it flushes once, then closes the descriptor, after this
// returns).
func (cn *conn) gnetClosed(err error) {
	defer cn.r.hub.detachOne() // after the handler has heard: Stop waits for it
	if cn.parkingIt {
		return // the descriptor lives on, detached
	}
	if cn.mode == modeGnet && errors.Is(err, io.EOF) {
		cn.peerEnded()
		return
	}
	cn.gc = nil
	cn.closed(err)
}

// peerEnded handles the peer's end of file: the socket keeps the
// connection open for writing (a half-open one, detached: gnet closes its
// own descriptor) or lets it close, after the bytes still unsent are
// delivered (tail.go).
func (cn *conn) peerEnded() {
	defer cn.sentSince(cn.inflight.Len())
	cn.settle()
	gc := cn.gc
	var before uint64
	countable := true
	if cn.inflight.Len() > 0 && !cn.direct { // gnet's last flush will write some: count what
		n, err := kernelAccepted(gc.Fd())
		before, countable = n, err == nil
	}
	cn.mode = modeEOF // Write only queues now: gnet is closing
	keep := cn.ch.OnEOF(cn)
	if cn.mode == modeClosed {
		return // aborted by the handler
	}
	if keep && countable && !cn.wantAbort {
		if err := cn.detachHalfOpen(gc, before); err == nil {
			return
		} else {
			cn.r.hub.log().Warn("asyncnet: cannot keep a half-open connection open", "err", err)
		}
	}
	if cn.inflight.Len() > 0 && !cn.wantAbort {
		cn.startTail(gc, before, countable)
	}
	cn.gc = nil
	cn.closed(io.EOF)
}

// closed ends cn for good and tells its handler.
func (cn *conn) closed(err error) {
	if cn.mode == modeClosed {
		return
	}
	if err == nil {
		err = cn.failErr
	}
	cn.mode = modeClosed
	cn.inflight.Reset()
	cn.kept.Reset()
	cn.r.removeOpen(cn)
	cn.ch.OnClose(cn, err)
}

// Pause stops reading once gnet holds none of the connection's bytes (on
// Linux at once, carrying gnet's backlog over).
func (cn *conn) Pause() error {
	cn.wantPause = true
	if cn.mode == modeGnet {
		cn.tryPark()
	}
	return nil
}

// Resume reads again.
func (cn *conn) Resume() error {
	cn.wantPause = false
	if cn.mode == modeParked {
		cn.unpark()
	}
	return nil
}

// CloseWrite sends FIN once everything is sent.
func (cn *conn) CloseWrite() error {
	if !canPark {
		return errNotHere
	}
	cn.wantShut = true
	cn.afterSent()
	return nil
}

// Close closes gracefully once everything is sent.
func (cn *conn) Close() error {
	cn.wantClose = true
	if cn.mode == modeParked {
		cn.unpark() // what the peer sent is read (and dropped): the close is a FIN, not a reset
		return nil
	}
	cn.afterSent()
	return nil
}

// Abort closes at once, dropping what is unsent.
func (cn *conn) Abort(reset bool) error {
	cn.wantAbort, cn.wantReset = true, cn.wantReset || reset
	switch cn.mode {
	case modeGnet:
		cn.inflight.Reset()
		if reset {
			_ = cn.gc.SetLinger(0)
		}
		cn.r.closeGnet(cn.gc) // gnetClosed reports it
	case modeParked, modeHalfOpen:
		if reset {
			_ = setLingerZero(cn.fd)
		}
		cn.closeDetached(nil)
	}
	// modeOpening, modeEOF, modeResuming: done once it is back.
	return nil
}

// afterSent does what waited for everything to be sent: a Close, a
// CloseWrite, a pause.
func (cn *conn) afterSent() {
	if cn.inflight.Len() > 0 || cn.settling {
		return // the reactor's ticks call again
	}
	switch cn.mode {
	case modeGnet:
		switch {
		case cn.wantClose:
			cn.r.closeGnet(cn.gc)
		case cn.wantShut && !cn.shutDone:
			cn.shutDown(cn.gc.Fd())
		case cn.wantPause:
			cn.tryPark()
		}
	case modeParked:
		if cn.wantShut && !cn.shutDone {
			cn.shutDown(cn.fd)
		}
	case modeHalfOpen:
		if cn.wantClose || cn.wantShut { // both sides have ended
			cn.closeDetached(nil)
		}
	}
}

// shutDown sends FIN on fd.
func (cn *conn) shutDown(fd int) {
	if err := shutdownWrite(fd); err != nil {
		cn.fail(os.NewSyscallError("shutdown", err))
		return
	}
	cn.shutDone = true
}

// fail closes cn at once because of err, wherever it is.
func (cn *conn) fail(err error) {
	cn.failErr = err
	switch cn.mode {
	case modeGnet:
		cn.inflight.Reset()
		cn.r.closeGnet(cn.gc) // gnetClosed reports failErr
	case modeParked, modeHalfOpen:
		cn.closeDetached(err)
	default:
		cn.closed(err)
	}
}
