package core

import (
	"net"
	"os"

	"github.com/valyala/bytebufferpool"
)

// When the peer ends its side, gnet closes the connection after one try to
// flush what it still holds. This file delivers the rest: see
// docs/design.md, "End of file with bytes unsent".

// takeOver keeps the connection alive past the transport's close so that
// the bytes it did not send are delivered: gnet closes the descriptor when
// the peer ends its side, after one try to flush. It runs in OnClose, while
// the descriptor is still open.
func (s *Socket) takeOver(c Conn) {
	s.mu.Lock()
	base, ok := s.kbase, s.kbaseOK
	peer := s.peerLocked()
	s.mu.Unlock()
	if !ok {
		s.loop.log.Warn("asyncnet: peer closed with bytes unsent; this platform cannot finish them", "peer", peer, "bytes", c.OutboundBuffered())
		return
	}
	fd, err := c.Dup()
	if err != nil {
		s.loop.log.Warn("asyncnet: cannot keep the connection to finish unsent bytes", "err", err)
		return
	}
	tail := &tailFlush{s: s, fd: fd, base: base, handed: s.handed, chunks: s.retained, closed: make(chan bool, 1)}
	s.retained, s.retainedLen = nil, 0
	l := s.loop
	l.hold()
	l.bg.Add(1)
	go tail.run()
	// The transport's last flush and close happen when this event returns;
	// only then is the kernel's count final.
	if err := s.r.tr.Execute(func() { tail.closed <- true }); err != nil {
		tail.closed <- false
	}
}

// tailFlush writes what the transport left unsent, from its own goroutine.
type tailFlush struct {
	s      *Socket
	fd     int
	base   uint64 // kernel count when the transport got the socket
	handed uint64 // bytes handed to the transport
	chunks []*bytebufferpool.ByteBuffer
	nc     net.Conn
	closed chan bool // true once the transport has closed its descriptor; false if it stopped first
}

func (t *tailFlush) run() {
	defer t.drop()
	select {
	case ok := <-t.closed:
		if !ok {
			return
		}
	case <-t.s.loop.ctx.Done(): // Exit drops what is unsent
		return
	}
	accepted, err := kernelAccepted(t.fd)
	if err != nil {
		t.s.loop.log.Warn("asyncnet: cannot count the bytes the kernel took; unsent bytes dropped", "err", err)
		return
	}
	sent := accepted - t.base
	if sent >= t.handed {
		return
	}
	unsent := t.handed - sent
	bufs := tailOf(t.chunks, unsent)
	if bufs == nil {
		t.s.loop.log.Error("asyncnet: unsent bytes are no longer held; dropped", "unsent", unsent)
		return
	}
	f := os.NewFile(uintptr(t.fd), "asyncnet-tail")
	nc, err := net.FileConn(f)
	_ = f.Close()
	t.fd = -1
	if err != nil {
		return
	}
	t.nc = nc
	t.s.loop.track(nc) // Exit drops the rest
	defer t.s.loop.untrack(nc)
	_, _ = bufs.WriteTo(nc)
}

// drop releases everything the flush holds.
func (t *tailFlush) drop() {
	if t.fd >= 0 {
		_ = closeFD(t.fd)
		t.fd = -1
	}
	if t.nc != nil {
		_ = t.nc.Close()
		t.nc = nil
	}
	for _, b := range t.chunks {
		bufPool.Put(b)
	}
	t.chunks = nil
	if t.s != nil {
		l := t.s.loop
		t.s = nil
		l.bg.Done()
		l.release()
	}
}

// closeFD closes a descriptor from Conn.Dup.
func closeFD(fd int) error { return os.NewFile(uintptr(fd), "").Close() }

// tailOf returns the last n bytes of chunks, or nil if they hold fewer.
func tailOf(chunks []*bytebufferpool.ByteBuffer, n uint64) net.Buffers {
	var out net.Buffers
	for i := len(chunks) - 1; i >= 0 && n > 0; i-- {
		b := chunks[i].B
		if uint64(len(b)) >= n {
			b = b[uint64(len(b))-n:]
		}
		out = append(net.Buffers{b}, out...)
		n -= uint64(len(b))
	}
	if n > 0 {
		return nil
	}
	return out
}
