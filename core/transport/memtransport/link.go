package memtransport

import (
	"sync"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// link is one in-memory TCP connection between endpoints 0 and 1: for
// each direction, the bytes in the receiver's window and how the sender
// ended it; for each endpoint, how it ended. A Conn (blocking) or a
// transport connection (driven by its reactor) is one endpoint.
//
// It follows what Linux does, where tests can tell: Close with unread
// bytes resets the connection; bytes sent to an endpoint that has closed
// reset the connection back; a reset lets the receiver read what is
// already in its window, then fails its reads and writes with
// ECONNRESET; after FIN, reads return end of file.
type link struct {
	mu   sync.Mutex // protects flow and end
	flow [2]flow    // flow[i] carries the bytes endpoint i sends
	end  [2]end
}

// flow is one direction of a link.
type flow struct {
	q      buf.Queue // sent, not read yet: the receiver's window
	window int       // how many bytes q may hold
	fin    bool      // the sender ended: end of file after q
	rst    bool      // the sender reset the connection: ECONNRESET after q
	drop   bool      // the receiver reads no more: bytes sent are dropped
	read   uint64    // bytes the receiver has read, in all
}

// end is one endpoint of a link.
type end struct {
	closed  bool          // closed: nothing more is read or written
	shut    bool          // CloseWrite: writes fail
	reset   bool          // the connection was reset: writes fail
	linger0 bool          // SetLinger(0): Close resets
	wait    chan struct{} // closed on the next change, if a blocking call waits
	notify  func()        // called on every change instead, for a reactor's endpoint (with mu held)
}

func newLink(window int) *link {
	lk := &link{}
	lk.flow[0].window, lk.flow[1].window = window, window
	return lk
}

// changedLocked tells endpoint i that something it may wait for changed.
func (lk *link) changedLocked(i int) {
	e := &lk.end[i]
	if e.notify != nil {
		e.notify()
		return
	}
	if e.wait != nil {
		close(e.wait)
		e.wait = nil
	}
}

// waitLocked returns a channel closed on endpoint i's next change.
func (lk *link) waitLocked(i int) <-chan struct{} {
	e := &lk.end[i]
	if e.wait == nil {
		e.wait = make(chan struct{})
	}
	return e.wait
}

// sendLocked hands p to the flow endpoint i sends on, as much as its
// window takes, and returns how many bytes it took. Bytes sent to an
// endpoint that reads no more are taken and dropped; if it has closed,
// the connection is reset, as TCP answers them with a reset.
func (lk *link) sendLocked(i int, p []byte) int {
	f := &lk.flow[i]
	if f.drop {
		if lk.end[1-i].closed {
			lk.resetLocked(1 - i)
		}
		return len(p)
	}
	n := min(len(p), f.window-f.q.Len())
	if n > 0 {
		_, _ = f.q.Write(p[:n])
		lk.changedLocked(1 - i)
	}
	return n
}

// sendBlocksLocked moves what the window takes of q into the flow
// endpoint i sends on, whole blocks where they fit, and returns how many
// bytes it moved (or dropped, see sendLocked).
// scratch is the caller's to reuse.
func (lk *link) sendBlocksLocked(i int, q *buf.Queue, scratch *[]*buf.Block) int {
	f := &lk.flow[i]
	if f.drop {
		n := q.Len()
		q.Reset()
		if lk.end[1-i].closed {
			lk.resetLocked(1 - i)
		}
		return n
	}
	moved := 0
	for q.Len() > 0 {
		room := f.window - f.q.Len()
		if room <= 0 {
			break
		}
		if head := q.Blocks()[0]; head.Len() <= room {
			taken := q.Take((*scratch)[:0], 1)
			moved += f.q.Push(taken)
			clear(taken)
			*scratch = taken[:0]
			continue
		}
		_, _ = f.q.Write(q.Blocks()[0].Bytes()[:room])
		q.Discard(room)
		moved += room
	}
	if moved > 0 {
		lk.changedLocked(1 - i)
	}
	return moved
}

// readLocked moves up to len(p) bytes that endpoint i receives into p.
func (lk *link) readLocked(i int, p []byte) int {
	f := &lk.flow[1-i]
	n := f.q.Read(p)
	if n > 0 {
		f.read += uint64(n)
		lk.changedLocked(1 - i) // room in its window
	}
	return n
}

// takeLocked moves every byte endpoint i receives into dst, in blocks;
// scratch is the caller's to reuse.
func (lk *link) takeLocked(i int, dst *buf.Queue, scratch *[]*buf.Block) int {
	f := &lk.flow[1-i]
	n := f.q.Len()
	if n > 0 {
		taken := f.q.Take((*scratch)[:0], n)
		dst.Push(taken)
		clear(taken)
		*scratch = taken[:0]
		f.read += uint64(n)
		lk.changedLocked(1 - i)
	}
	return n
}

// shutLocked ends endpoint i's sending side (FIN).
func (lk *link) shutLocked(i int) {
	lk.end[i].shut = true
	lk.flow[i].fin = true
	lk.changedLocked(1 - i)
}

// stopReadingLocked makes endpoint i read no more: what it has unread is
// dropped, and what is sent to it from now on.
func (lk *link) stopReadingLocked(i int) {
	f := &lk.flow[1-i]
	f.drop = true
	f.q.Reset()
	lk.changedLocked(1 - i)
	lk.changedLocked(i)
}

// closeLocked closes endpoint i: with FIN (its unread bytes dropped) if
// graceful, else with a reset. Linux resets instead of FIN when bytes are
// unread; a blocking Conn asks for that (resetIfUnread).
func (lk *link) closeLocked(i int, graceful, resetIfUnread bool) {
	e := &lk.end[i]
	if e.closed {
		return
	}
	e.closed = true
	if !graceful || e.linger0 || resetIfUnread && lk.flow[1-i].q.Len() > 0 {
		lk.resetLocked(i)
		lk.changedLocked(i)
		return
	}
	lk.flow[i].fin = true
	lk.stopReadingLocked(i)
}

// resetLocked resets the connection from endpoint i's side: the other
// endpoint reads what is in its window, then ECONNRESET, and its writes
// fail; what i had unread is dropped.
func (lk *link) resetLocked(i int) {
	if lk.flow[i].rst {
		return
	}
	lk.flow[i].rst = true
	lk.end[1-i].reset = true
	in := &lk.flow[1-i]
	in.drop = true
	in.q.Reset()
	lk.changedLocked(1 - i)
}
