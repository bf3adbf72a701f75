package adapters

import (
	"net"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/internal/buf"
)

// When the peer ends its side, gnet closes the connection after one try to
// flush what it still holds. A tail delivers the rest: it keeps a
// duplicate of the descriptor, waits for gnet's close, counts what gnet's
// last flush wrote (the kernel's count of bytes taken, before and after),
// and writes the remaining bytes in flight through Go's poller, on a
// goroutine of its own, holding the Loop until it is done. Stop drops it.

// tail writes what gnet left unsent of a connection that has ended.
type tail struct {
	hb      *hub
	fd      int
	before  uint64 // the kernel's count before gnet's last flush
	held    int    // what gnet held: all its last flush can have written
	direct  bool   // gnet held none of the bytes (conn.direct): nothing to count
	pending buf.Queue
	closed  chan bool // true once gnet has closed its descriptor; false if it stopped first
}

// startTail hands the bytes in flight to a tail. It runs in gnet's
// OnClose, while the descriptor is still open. Reactor only.
func (cn *conn) startTail(gc gnet.Conn, before uint64, held int, countable bool) {
	hb := cn.r.hub
	if !countable {
		hb.log().Warn("asyncnet: peer closed with bytes unsent; this platform cannot finish them", "bytes", cn.inflight.Len())
		return
	}
	fd, err := gc.Dup()
	if err != nil {
		hb.log().Warn("asyncnet: cannot keep the connection to finish unsent bytes; dropped", "bytes", cn.inflight.Len(), "err", err)
		return
	}
	t := &tail{hb: hb, fd: fd, before: before, held: held, direct: cn.direct, closed: make(chan bool, 1)}
	t.pending.Push(cn.inflight.Take(nil, cn.inflight.Len()))
	hb.holdLoop()
	hb.bg.Add(1)
	go t.run()
	// gnet's last flush and close happen when this event returns; only then
	// is the kernel's count final.
	if err := cn.r.Execute(func() { t.closed <- true }); err != nil {
		t.closed <- false
	}
}

func (t *tail) run() {
	defer t.drop()
	select {
	case ok := <-t.closed:
		if !ok {
			return
		}
	case <-t.hb.stopping: // Exit drops what is unsent
		return
	}
	if !t.direct && t.held > 0 {
		after, err := kernelAccepted(t.fd)
		if err != nil {
			t.hb.log().Warn("asyncnet: cannot count the bytes the kernel took; unsent bytes dropped", "err", err)
			return
		}
		t.pending.Discard(int(min(after-t.before, uint64(t.held), uint64(t.pending.Len()))))
	}
	if t.pending.Len() == 0 {
		return
	}
	nc, err := fileConn(t.fd, "asyncnet-tail")
	t.fd = -1
	if err != nil {
		return
	}
	stop := onStop(t.hb.stopping, func() { _ = nc.Close() }) // Stop drops the rest
	defer stop()
	defer nc.Close()
	bufs := net.Buffers(buf.Views(nil, t.pending.Blocks()))
	_, _ = bufs.WriteTo(nc)
}

// drop releases everything the tail holds.
func (t *tail) drop() {
	if t.fd >= 0 {
		_ = closeFD(t.fd)
		t.fd = -1
	}
	t.pending.Reset()
	t.hb.releaseLoop() // before Done: Stop's wait for bg must see the Loop released
	t.hb.bg.Done()
}
