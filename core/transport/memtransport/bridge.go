package memtransport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// bridge serves a net.Conn that is not a Network's (a *net.TCPConn from
// core's listeners and dialers) with two goroutines: a reader, which reads
// a chunk at a time and waits while the reactor has not taken it or the
// connection is paused (the kernel's buffer then fills and TCP holds the
// peer back), and a writer, which writes what send handed it. Unsent
// counts the bytes until the kernel took them.
//
// A paused or half-open *net.TCPConn is watched for a reset
// (failure_unix.go). A graceful close sends FIN, reads what the kernel holds unread (so that
// the close is not a reset, which would drop what is still unsent), then
// closes; the reader does it if it runs, as only one read may be under
// way.
type bridge struct {
	t    *memTransport
	nc   net.Conn
	kick func()

	mu   sync.Mutex // protects the fields below
	cond sync.Cond  // signalled on every change the goroutines wait for

	started    bool
	readerDone bool
	rq         buf.Queue // read, not taken by recv yet
	rerr       error     // why reading ended (io.EOF, a failure)
	ferr       error     // a failure noticed without reading (paused, half-open)
	paused     bool
	watching   bool      // the reader watches the connection for a failure
	wq         buf.Queue // handed by send, not written yet
	writing    int       // bytes the writer is writing now
	werr       error     // why writing failed
	closed     bool
	closeOwed  bool // a graceful close waits for the reader
}

const (
	readChunk  = 64 << 10  // the most the reader reads at a time
	writeChunk = 256 << 10 // about the most the writer writes at a time
)

// aLongTimeAgo is a read deadline that interrupts a read at once.
var aLongTimeAgo = time.Unix(1, 0)

func newBridge(t *memTransport, nc net.Conn) *bridge {
	b := &bridge{t: t, nc: nc}
	b.cond.L = &b.mu
	return b
}

func (b *bridge) start(kick func()) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.kick, b.started = kick, true
	b.mu.Unlock()
	b.t.bg.Add(2)
	go b.readLoop()
	go b.writeLoop()
}

// readLoop is the reader goroutine. It reads while the connection is
// read and the reactor has taken what it read; while it is paused, and
// after the peer's end of file (a half-open connection), it watches it for
// a failure instead. It returns once the connection is closed.
func (b *bridge) readLoop() {
	defer b.t.bg.Done()
	chunk := make([]byte, readChunk)
	b.mu.Lock()
	for !b.closed {
		switch {
		case b.ferr != nil || b.rerr != nil && !errors.Is(b.rerr, io.EOF):
			b.cond.Wait() // failed: nothing more to read or watch
		case b.paused || b.rerr != nil:
			if !b.watch() {
				b.cond.Wait()
			}
		case b.rq.Len() >= readChunk:
			b.cond.Wait()
		default:
			b.mu.Unlock()
			n, err := b.nc.Read(chunk)
			b.mu.Lock()
			b.took(chunk[:n], err)
		}
	}
	b.readerExit()
}

// took records what a read returned. Call with b.mu held.
func (b *bridge) took(p []byte, err error) {
	if b.closed {
		return
	}
	_, _ = b.rq.Write(p)
	if errors.Is(err, os.ErrDeadlineExceeded) { // an interruption of ours (resume)
		_ = b.nc.SetReadDeadline(time.Time{})
		err = nil
	}
	if err != nil && b.rerr == nil {
		b.rerr = err
	}
	if len(p) > 0 || err != nil {
		b.kick()
	}
}

// watch waits, without reading, until the connection fails or the watch
// is interrupted (resume, close), and records a failure; it reports false
// if the connection cannot be watched. Call with b.mu held; it is
// released meanwhile.
func (b *bridge) watch() bool {
	b.watching = true
	b.mu.Unlock()
	err, ok := watchFailure(b.nc)
	_ = b.nc.SetReadDeadline(time.Time{})
	b.mu.Lock()
	b.watching = false
	if err != nil && !b.closed {
		b.ferr = err
		b.kick()
	}
	return ok
}

// readerExit ends the reader, closing the connection if a graceful close
// waits for it. Call with b.mu held; it unlocks it.
func (b *bridge) readerExit() {
	b.readerDone = true
	owed := b.closeOwed
	b.closeOwed = false
	b.mu.Unlock()
	if owed {
		b.finishClose()
	}
}

// writeLoop is the writer goroutine.
func (b *bridge) writeLoop() {
	defer b.t.bg.Done()
	var blocks []*buf.Block
	var views net.Buffers
	for {
		b.mu.Lock()
		for b.wq.Len() == 0 && !b.closed {
			b.cond.Wait()
		}
		if b.closed {
			b.mu.Unlock()
			return
		}
		blocks = b.wq.Take(blocks[:0], writeChunk)
		for _, bl := range blocks {
			b.writing += bl.Len()
		}
		b.mu.Unlock()
		views = buf.Views(views[:0], blocks)
		v := views // WriteTo consumes it
		_, err := v.WriteTo(b.nc)
		clear(views)
		for i, bl := range blocks {
			buf.Put(bl)
			blocks[i] = nil
		}
		b.mu.Lock()
		b.writing = 0
		b.cond.Broadcast() // settle waits for it
		if err != nil && b.werr == nil && !b.closed {
			b.werr = err
		}
		closed := b.closed
		b.mu.Unlock()
		if !closed {
			b.kick()
		}
		if err != nil {
			return
		}
	}
}

func (b *bridge) send(q *buf.Queue) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.werr != nil {
		return b.werr
	}
	if q.Len() > 0 {
		b.wq.Push(q.Take(nil, q.Len()))
		b.cond.Broadcast()
	}
	return nil
}

func (b *bridge) held() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wq.Len() + b.writing
}

func (b *bridge) recv(in *buf.Queue) (int, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.rq.Len()
	if n > 0 {
		in.Push(b.rq.Take(nil, n))
		b.cond.Broadcast()
	}
	if err := b.failure(); err != nil {
		return n, false, err
	}
	return n, b.rerr != nil, nil
}

func (b *bridge) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failure()
}

// failure returns why the connection failed, or nil. Before it reports a
// failure it waits for a write under way to end (a failed connection's
// write returns at once), so that Unsent does not count bytes the kernel
// had taken when the failure came: the peer may have read them (as the
// kernel's own accounting would say). Call with b.mu held.
func (b *bridge) failure() error {
	err := b.ferr
	if err == nil && b.rerr != nil && !errors.Is(b.rerr, io.EOF) {
		err = b.rerr
	}
	if err == nil {
		return nil
	}
	for b.writing > 0 && !b.closed {
		b.cond.Wait()
	}
	return err
}

func (b *bridge) pause() {
	b.mu.Lock()
	b.paused = true
	b.mu.Unlock()
}

func (b *bridge) resume() {
	b.mu.Lock()
	b.paused = false
	watching := b.watching
	b.cond.Broadcast()
	b.mu.Unlock()
	if watching {
		_ = b.nc.SetReadDeadline(aLongTimeAgo) // ends the watch; the reader clears it
	}
}

// closeWriter is a net.Conn that half-closes, as *net.TCPConn does.
type closeWriter interface{ CloseWrite() error }

// shutWrite sends FIN. A connection the peer has just reset answers
// ENOTCONN; the reset is what the caller should hear of (as from gnet's
// transport), so that is what it returns: the failure seen already, else
// the socket's pending error, else ECONNRESET.
func (b *bridge) shutWrite() error {
	cw, ok := b.nc.(closeWriter)
	if !ok {
		return fmt.Errorf("memtransport: %T cannot half-close", b.nc)
	}
	err := cw.CloseWrite()
	if !errors.Is(err, syscall.ENOTCONN) {
		return err
	}
	if ferr := b.failed(); ferr != nil {
		return ferr
	}
	return &net.OpError{Op: "shutdown", Net: "tcp", Source: b.nc.LocalAddr(), Addr: b.nc.RemoteAddr(),
		Err: os.NewSyscallError("shutdown", pendingError(b.nc))}
}

func (b *bridge) close(how closeHow) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.wq.Reset()
	readerRuns := b.started && !b.readerDone
	b.closeOwed = how == closeGraceful && readerRuns
	b.cond.Broadcast()
	b.mu.Unlock()
	switch how {
	case closeReset:
		if l, ok := b.nc.(interface{ SetLinger(int) error }); ok {
			_ = l.SetLinger(0)
		}
		_ = b.nc.Close()
	case closeAbort:
		_ = b.nc.Close()
	case closeGraceful:
		if cw, ok := b.nc.(closeWriter); ok {
			_ = cw.CloseWrite()
		}
		if readerRuns {
			_ = b.nc.SetReadDeadline(aLongTimeAgo) // the reader wakes and finishes the close
		} else {
			b.finishClose()
		}
	}
}

// finishClose reads what the kernel holds unread and closes the
// connection. Only where no read is under way.
func (b *bridge) finishClose() {
	_ = b.nc.SetReadDeadline(time.Time{})
	drainUnread(b.nc)
	_ = b.nc.Close()
}

func (b *bridge) acked() (uint64, bool) { return ackedBytes(b.nc) }

func (b *bridge) localAddr() net.Addr  { return b.nc.LocalAddr() }
func (b *bridge) remoteAddr() net.Addr { return b.nc.RemoteAddr() }
