package memtransport

import (
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// memWire is a Conn of a Network served by a reactor: the connection's
// events are changes of its link, which call kick.
type memWire struct {
	mc      *Conn
	scratch []*buf.Block
}

// errEnrolled is returned by Enroll for a Conn served already, or closed.
var errEnrolled = errors.New("memtransport: Enroll: the Conn is closed or enrolled already")

func newMemWire(mc *Conn) (*memWire, error) {
	lk := mc.lk
	lk.mu.Lock()
	defer lk.mu.Unlock()
	e := &lk.end[mc.i]
	if e.closed || e.notify != nil {
		return nil, errEnrolled
	}
	e.notify = func() {} // taken: changes wait for start
	return &memWire{mc: mc}, nil
}

func (w *memWire) start(kick func()) {
	lk := w.mc.lk
	lk.mu.Lock()
	lk.end[w.mc.i].notify = kick
	lk.mu.Unlock()
}

func (w *memWire) window() int { return w.mc.lk.flow[w.mc.i].window }

func (w *memWire) send(q *buf.Queue) error {
	if q.Len() == 0 {
		return w.failedWrite()
	}
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.end[i].reset {
		return w.mc.opErr("write", os.NewSyscallError("write", syscall.ECONNRESET))
	}
	lk.sendBlocksLocked(i, q, &w.scratch)
	return nil
}

// failedWrite returns the error a write would meet now (a reset), or nil.
func (w *memWire) failedWrite() error {
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.end[i].reset {
		return w.mc.opErr("write", os.NewSyscallError("write", syscall.ECONNRESET))
	}
	return nil
}

func (w *memWire) held() int { return 0 }

func (w *memWire) recv(in *buf.Queue) (int, bool, error) {
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	n := lk.takeLocked(i, in, &w.scratch)
	f := &lk.flow[1-i]
	switch {
	case f.fin:
		return n, true, nil
	case f.rst || lk.end[i].reset:
		return n, false, w.mc.opErr("read", os.NewSyscallError("read", syscall.ECONNRESET))
	}
	return n, false, nil
}

func (w *memWire) failed() error {
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.flow[1-i].rst || lk.end[i].reset {
		return w.mc.opErr("read", os.NewSyscallError("read", syscall.ECONNRESET))
	}
	return nil
}

// pause and resume need nothing of the link: a conn that does not recv
// leaves the bytes in the window, which fills.
func (w *memWire) pause()  {}
func (w *memWire) resume() {}

func (w *memWire) shutWrite() error {
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.end[i].reset {
		return w.mc.opErr("shutdown", os.NewSyscallError("shutdown", syscall.ECONNRESET))
	}
	lk.shutLocked(i)
	return nil
}

func (w *memWire) close(how closeHow) {
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	lk.end[i].notify = func() {} // no more kicks
	lk.closeLocked(i, how != closeReset, false)
}

func (w *memWire) acked() (uint64, bool) {
	lk, i := w.mc.lk, w.mc.i
	lk.mu.Lock()
	defer lk.mu.Unlock()
	return lk.flow[i].read, true
}

func (w *memWire) localAddr() net.Addr  { return w.mc.laddr }
func (w *memWire) remoteAddr() net.Addr { return w.mc.raddr }
