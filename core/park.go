package core

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/asyncnet/asyncnet/conditions"
)

// Parking makes Disable(read) a real pause of the TCP connection. gnet
// reads every readable connection, so a socket that only stopped
// delivering would still fill memory with what the peer sends. Instead the
// socket takes its descriptor out of the transport: nobody reads it, the
// kernel's receive buffer fills, and TCP flow control stops the sender.
// Enable hands the descriptor back to the same reactor. While parked,
// writes go to the descriptor directly, without blocking.
//
// A socket parks once the transport holds none of its written bytes (they
// would be dropped with the transport's connection); until then the bytes
// that arrive are kept within WithMaxReadBuffer. Where parking is not
// available (Windows), that bound is all there is.

// parking is a socket taken out of its transport.
type parking struct {
	s        *Socket
	fd       int    // the socket's descriptor, owned by the socket
	out      []byte // bytes written while parked that the kernel has not taken
	resuming bool   // handed back to the transport (fd is no longer ours)

	mu     sync.Mutex // protects closed: Close runs on the Loop's goroutine after the reactors stop
	closed bool
}

// Close closes the descriptor once; the Loop calls it when it stops.
func (p *parking) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.resuming {
		return nil
	}
	p.closed = true
	return closeFD(p.fd)
}

// tryPark parks s if it is to be parked and the transport holds none of
// its bytes; otherwise it watches s until it does. Reactor only.
func (s *Socket) tryPark(c Conn) {
	if !s.wantPark || !s.rdPaused || s.closing || s.conn == nil {
		s.wantPark = false
		return
	}
	if c.OutboundBuffered() > 0 {
		s.r.addWatch(s) // poll parks it once the backlog is gone
		return
	}
	s.wantPark = false
	fd, err := c.Dup()
	if err != nil {
		s.loop.log.Warn("asyncnet: cannot pause reading at the TCP level; buffering instead", "err", err)
		return
	}
	if c.InboundBuffered() > 0 { // read before the pause: delivered first on resume
		s.keep(c)
		s.keptIn = true
	}
	s.park = &parking{s: s, fd: fd}
	s.loop.trackParked(s.park)
	s.parkingNow = true
	_ = s.r.tr.Close(c) // closedBy only forgets c
	s.parkingNow = false
	s.handed, s.lastOut = 0, 0
	if s.tmo != nil {
		s.tmo.lastAcked = 0
	}
}

// processParked is process for a parked socket. Reactor only.
func (s *Socket) processParked(buf []byte, state sockState, forced bool, fl flow) {
	p := s.park
	if p.resuming { // the descriptor is on its way back: keep everything for reopen
		p.out = append(p.out, buf...)
		if fl.set {
			s.mu.Lock()
			s.ctl = true // apply again once reopened
			s.mu.Unlock()
		}
		return
	}
	if forced {
		s.closeParked(nil, true)
		return
	}
	p.out = append(p.out, buf...)
	if fl.set {
		s.rdPaused, s.wrPaused = fl.readOff, fl.writeOff
		if t := s.timeoutsFor(fl.read, fl.write); t != nil {
			t.rtDur, t.wtDur = fl.read, fl.write
			t.rtTicks, t.wtTicks = 0, 0
			if fl.write > 0 {
				t.wtTicks = s.loop.ticks(fl.write)
				s.r.refresh()
				t.progress = s.r.now
			}
		}
		if !fl.readOff {
			s.mu.Lock()
			s.ctl = true // the read timeout starts again once reopened
			s.mu.Unlock()
			s.unpark()
			return
		}
	}
	if state == stClosing {
		s.unpark() // a graceful close reads and drops what the peer sent, then FIN
		return
	}
	s.writeParked()
}

// writeParked writes what it can of p.out to the descriptor. Reactor only.
func (s *Socket) writeParked() {
	p := s.park
	for len(p.out) > 0 {
		n, err := writeFD(p.fd, p.out)
		if n > 0 {
			p.out = p.out[:copy(p.out, p.out[n:])]
		}
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			s.closeParked(s.conditionFor("write", os.NewSyscallError("write", err)), false)
			return
		}
	}
	out := len(p.out)
	if s.writeTicks() > 0 && out < s.lastOut {
		s.tmo.progress = s.loop.tickNow()
	}
	s.lastOut = out
	s.backlog.Store(int64(out))
	s.reportOut(out + s.heldOut)
	if s.congestedA.Load() {
		s.checkDrain(out)
	}
	if out > 0 {
		s.r.addWatch(s)
	}
}

// pollParked is poll for a parked socket. Reactor only.
func (s *Socket) pollParked() bool {
	p := s.park
	if p.resuming || len(p.out) == 0 {
		return false
	}
	s.writeParked()
	if s.park == nil || len(p.out) == 0 {
		return false
	}
	if s.writeTicks() > 0 && !s.wrPaused && s.stalled(p.fd) {
		s.closeParked(s.condition(conditions.TCPTimeout, "write", errNoWriteProgress(s.tmo.wtDur)), false)
		return false
	}
	return true
}

// unpark hands the descriptor back to the transport, on the same reactor;
// open reopens the socket. Reactor only.
func (s *Socket) unpark() {
	p := s.park
	if p.resuming {
		return
	}
	p.mu.Lock()
	p.resuming = true
	p.mu.Unlock()
	s.loop.untrackParked(p)
	r, fd, l := s.r, p.fd, s.loop
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		f := os.NewFile(uintptr(fd), "asyncnet-parked")
		nc, err := net.FileConn(f)
		_ = f.Close()
		if err == nil {
			err = s.enroll(r, nc)
		}
		if err != nil {
			if !l.post(func() { s.resumeFailed(err) }) {
				s.finish()
			}
		}
	}()
}

// reopen adopts c, the parked descriptor back from the transport. Reactor
// only.
func (s *Socket) reopen(c Conn) bool {
	p := s.park
	s.park = nil
	s.conn = c
	s.mu.Lock()
	s.ctl = true // timeouts and pauses as they are now
	s.scheduled = true
	s.mu.Unlock()
	if len(p.out) > 0 {
		b := bufPool.Get()
		b.B = append(b.B, p.out...)
		s.flush(c, b)
		if s.conn == nil {
			return true
		}
	}
	s.process()
	if s.conn != nil && !s.rdPaused {
		s.readable(c) // what arrived before and during the pause
	}
	return true
}

// resumeFailed closes a socket whose descriptor could not go back to the
// transport. Reactor only.
func (s *Socket) resumeFailed(err error) {
	if s.park == nil {
		return
	}
	s.park = nil
	s.finishClose(s.conditionFor("read", err))
}

// closeParked closes a parked socket; its event callback gets ev (if not
// nil and the application did not close it). Reactor only.
func (s *Socket) closeParked(ev error, force bool) {
	p := s.park
	s.park = nil
	s.loop.untrackParked(p)
	if force {
		_ = setLingerZero(p.fd)
	}
	_ = p.Close()
	s.finishClose(ev)
}

// trackParked registers a parked descriptor to close when the Loop stops
// (after the reactors: it must not be closed under one of them).
func (l *Loop) trackParked(p *parking) {
	l.mu.Lock()
	l.parked[p] = struct{}{}
	l.mu.Unlock()
}

func (l *Loop) untrackParked(p *parking) {
	l.mu.Lock()
	delete(l.parked, p)
	l.mu.Unlock()
}
