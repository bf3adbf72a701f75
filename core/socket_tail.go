package core

import (
	"github.com/asyncnet/asyncnet/internal/buf"
	"net"
	"os"
)

// When the peer ends its side, gnet closes the connection after one try to
// flush what it still holds. This file delivers the rest: see
// docs/design.md, "End of file with bytes unsent".

// takeOver keeps the connection alive past the transport's close so that
// the bytes not sent yet are delivered: those the transport holds (gnet
// closes the descriptor when the peer ends its side, after one try to
// flush them) and those still in the socket's queue. It runs in OnClose,
// while the descriptor is still open.
func (s *Socket) takeOver(c Conn) {
	if d := s.inflight.Len() - c.OutboundBuffered(); d > 0 {
		s.inflight.Discard(d) // in the kernel already
	}
	s.mu.Lock()
	base, counted := s.kbase, s.kbaseOK
	peer := s.peerLocked()
	var out buf.Queue
	out.Push(s.out.Take(nil, s.out.Len()))
	s.mu.Unlock()
	if s.inflight.Len() > 0 && !counted {
		s.loop.log.Warn("asyncnet: peer closed with bytes unsent; this platform cannot finish them", "peer", peer, "bytes", s.inflight.Len()+out.Len())
		out.Reset()
		return
	}
	fd, err := c.Dup()
	if err != nil {
		s.loop.log.Warn("asyncnet: cannot keep the connection to finish unsent bytes; dropped", "peer", peer, "bytes", s.inflight.Len()+out.Len(), "err", err)
		out.Reset()
		return
	}
	tail := &tailFlush{s: s, fd: fd, base: base, handed: s.handed, closed: make(chan bool, 1)}
	tail.inflight, s.inflight = s.inflight, buf.Queue{}
	tail.out = out
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

// tailFlush writes what the transport left unsent, and the socket's queue
// after it, from its own goroutine.
type tailFlush struct {
	s        *Socket
	fd       int
	base     uint64    // kernel count when the transport got the socket
	handed   uint64    // bytes handed to the transport
	inflight buf.Queue // the last bytes handed: the transport may not have sent them all
	out      buf.Queue // never handed
	nc       net.Conn
	closed   chan bool // true once the transport has closed its descriptor; false if it stopped first
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
	if t.inflight.Len() > 0 {
		accepted, err := kernelAccepted(t.fd)
		if err != nil {
			t.s.loop.log.Warn("asyncnet: cannot count the bytes the kernel took; unsent bytes dropped", "err", err)
			return
		}
		if sent := accepted - t.base; sent < t.handed {
			t.inflight.Discard(t.inflight.Len() - int(min(t.handed-sent, uint64(t.inflight.Len()))))
		} else {
			t.inflight.Reset()
		}
	}
	if t.inflight.Len()+t.out.Len() == 0 {
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
	bufs := net.Buffers(buf.Views(buf.Views(nil, t.inflight.Blocks()), t.out.Blocks()))
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
	t.inflight.Reset()
	t.out.Reset()
	if t.s != nil {
		l := t.s.loop
		t.s = nil
		l.bg.Done()
		l.release()
	}
}

// closeFD closes a descriptor from Conn.Dup.
func closeFD(fd int) error { return os.NewFile(uintptr(fd), "").Close() }
