package core

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// Parking makes Disable(read) a real pause of the TCP connection. gnet
// reads every readable connection, so a socket that only stopped
// delivering would still fill memory with what the peer sends. Instead the
// socket takes its descriptor out of the transport: nobody reads it, the
// kernel's receive buffer fills, and TCP flow control stops the sender.
// Enable hands the descriptor back to the same reactor. While parked,
// writes go to the descriptor directly, without blocking, and the reactor
// checks the descriptor every parkCheckEvery for a reset (or another error)
// from the peer, which closes the socket with its condition.
//
// A socket parks once the transport holds none of its written bytes (they
// would be dropped with the transport's connection); until then the bytes
// that arrive are kept within WithMaxReadBuffer. Where parking is not
// available (Windows), that bound is all there is.

// parkCheckEvery is how often a reactor looks for errors on the
// descriptors of its parked sockets.
const parkCheckEvery = 250 * time.Millisecond

// parking is a socket taken out of its transport.
type parking struct {
	s        *Socket
	fd       int  // the socket's descriptor, owned by the socket
	idx      int  // in its reactor's parked list
	resuming bool // handed back to the transport (fd is no longer ours)
	settling bool // waiting to learn how many bytes gnet's last flush wrote (halfclose.go)

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

// tryPark parks s if it is to be parked. If the transport still holds
// written bytes of s, they are carried over: the transport's close makes
// one last attempt to write them, the kernel's count of bytes taken (Linux)
// says how many it wrote, and the socket writes the rest itself. Where the
// kernel cannot count them, s waits until the transport holds none.
// Reactor only.
func (s *Socket) tryPark(c Conn) {
	if !s.wantPark || !s.rdPaused || s.closing || s.conn == nil {
		s.wantPark = false
		return
	}
	backlog := s.settle(c)
	if s.conn == nil {
		return
	}
	var before uint64
	if backlog > 0 {
		n, err := kernelAccepted(c.Fd())
		if err != nil {
			s.r.addWatch(s) // poll parks it once the backlog is gone
			return
		}
		before = n
	}
	s.wantPark = false
	fd, err := c.Dup()
	if err != nil {
		s.loop.log.Warn("asyncnet: cannot pause reading at the TCP level; buffering instead", "err", err)
		return
	}
	s.reportIn(s.keep(c)) // read before the pause: delivered first on resume
	s.park = &parking{s: s, fd: fd}
	s.loop.trackParked(s.park)
	s.r.addParked(s)
	s.parkingNow = true
	_ = s.r.tr.Close(c) // closedBy only forgets c; the transport writes what it can of its backlog
	s.parkingNow = false
	s.handed = 0
	if s.tmo != nil {
		s.tmo.lastAcked = 0
	}
	if backlog > 0 {
		after, err := kernelAccepted(fd)
		if err != nil {
			s.closeParked(s.conditionFor("write", fmt.Errorf("asyncnet: pausing: cannot count the bytes the kernel took: %w", err)), true)
			return
		}
		if wrote := int(min(after-before, uint64(backlog))); wrote > 0 {
			s.sentMore(wrote) // the rest of the backlog is s.inflight's to write
		}
		s.writeParked()
	}
}

// processParked is process for a parked socket. Reactor only.
func (s *Socket) processParked(state sockState, forced bool, fl flow) {
	p := s.park
	if forced {
		if !p.resuming {
			s.closeParked(nil, true)
		}
		return
	}
	if p.resuming || p.settling { // the descriptor is on its way back, or its count not known yet
		if fl.set {
			s.mu.Lock()
			s.ctl = true // apply again later
			s.mu.Unlock()
		}
		return
	}
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
		if !fl.readOff && !s.peerEOF {
			s.mu.Lock()
			s.ctl = true // the read timeout starts again once reopened
			s.mu.Unlock()
			s.unpark()
			return
		}
	}
	if state == stClosing && !s.peerEOF {
		s.unpark() // a graceful close reads and drops what the peer sent, then FIN
		return
	}
	s.writeParked()
	if s.park == p && s.unsent.Load() == 0 {
		s.parkedSent(p, state == stClosing)
	}
}

// parkedSent runs once a parked socket has nothing unsent: a half-open one
// that is closing closes (FIN), and CloseWrite sends FIN. Reactor only.
func (s *Socket) parkedSent(p *parking, closing bool) {
	if s.peerEOF && closing {
		s.closeParked(nil, false)
		return
	}
	s.shutWriteWhenSent(p.fd)
}

// writeParked writes what it can of the bytes in flight, then of the
// queue, to the descriptor. Reactor only.
func (s *Socket) writeParked() {
	p := s.park
	if p.settling {
		return // the bytes in flight wait until gnet's last flush is counted
	}
	for {
		if s.inflight.Len() == 0 {
			take := s.takeOut()
			if len(take) == 0 {
				break
			}
			s.inflight.Push(take)
			clear(take)
		}
		n, err := writeFD(p.fd, s.inflight.Blocks()[0].Bytes())
		if n > 0 {
			s.sentMore(n)
			if s.park != p {
				return
			}
		}
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			s.closeParked(s.conditionFor("write", os.NewSyscallError("write", err)), false)
			return
		}
	}
	if s.congestedA.Load() {
		s.checkDrain()
	}
	if s.unsent.Load() > 0 && s.park == p {
		s.r.addWatch(s)
	}
}

// pollParked is poll for a parked socket. Reactor only.
func (s *Socket) pollParked() bool {
	p := s.park
	if p.resuming || p.settling {
		return false
	}
	s.writeParked()
	if s.park != p {
		return false
	}
	if s.unsent.Load() == 0 {
		s.parkedSent(p, s.closeAsked())
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
	s.r.removeParked(p)
	r, fd, l := s.r, p.fd, s.loop
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		f := os.NewFile(uintptr(fd), "asyncnet-parked")
		nc, err := net.FileConn(f)
		_ = f.Close()
		if err == nil && nc.RemoteAddr() == nil {
			// The connection ended both ways while parked (after CloseWrite,
			// the peer's FIN): gnet cannot take it, and its last bytes are
			// read here.
			data, rerr := readRest(nc)
			if !l.post(func() { s.resumedEnded(data, rerr) }) {
				s.finish()
			}
			return
		}
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
	s.park = nil
	s.conn = c
	s.mu.Lock()
	s.ctl = true // timeouts and pauses as they are now
	s.scheduled = true
	s.mu.Unlock()
	if n := s.inflight.Len(); n > 0 { // taken while parked, not written yet: first in line
		s.iov = buf.Views(s.iov[:0], s.inflight.Blocks())
		_, _ = c.Writev(s.iov)
		clear(s.iov)
		if s.conn == nil {
			return true
		}
		s.handed += uint64(n)
	}
	s.process() // and the queue after them
	if s.conn != nil && !s.rdPaused {
		s.readable(c) // what arrived before and during the pause
	}
	return true
}

// readRest reads what is left of a connection that has ended, closes it,
// and returns the bytes and why reading ended (nil for end of file).
func readRest(nc net.Conn) ([]byte, error) {
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(time.Second)) // it has ended: nothing will block, but never wait for ever
	data, err := io.ReadAll(nc)
	return data, err
}

// resumedEnded finishes a socket whose connection ended both ways while it
// was parked: the bytes it had kept, then data, go to the read callback
// (unless it is closing), then the socket closes with end of file (or the
// error that ended the read). Reactor only.
func (s *Socket) resumedEnded(data []byte, rerr error) {
	if s.park == nil {
		return
	}
	s.park = nil
	s.rmu.Lock()
	_, _ = s.in.Write(data)
	s.rmu.Unlock()
	s.rdPaused = false
	s.readOffA.Store(false)
	if !s.closeAsked() {
		s.deliverKept()
	}
	why := io.EOF
	if rerr != nil {
		why = rerr
	}
	ev := s.conditionFor("read", why)
	s.endReading(nil, readDone(why, ev, s))
	s.finishClose(ev)
}

// deliverKept hands the kept bytes to the read callback of a socket with
// no connection left: in blocks, or as one notification if it does not
// drain (its stream reads them). Reactor only.
func (s *Socket) deliverKept() {
	cb := s.cbs.Load().read
	if s.dontDrain {
		if s.Buffered() > 0 {
			s.callRead(cb, nil)
		}
		return
	}
	for b := s.takeKept(); b != nil && !s.closed.Load(); b = s.takeKept() {
		s.callRead(cb, b.Bytes())
		buf.Put(b)
	}
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
	s.r.removeParked(p)
	if force {
		_ = setLingerZero(p.fd)
	}
	_ = p.Close()
	s.finishClose(ev)
}

// addParked makes r check s's descriptor for errors while s is parked.
// Reactor only.
func (r *reactor) addParked(s *Socket) {
	s.park.idx = len(r.parked)
	r.parked = append(r.parked, s)
	if len(r.parked) == 1 {
		r.refresh()
		r.addTimer(&r.parkCheck, r.now+r.loop.ticks(parkCheckEvery))
	}
}

// removeParked stops checking the descriptor of p. Reactor only.
func (r *reactor) removeParked(p *parking) {
	i := p.idx
	last := len(r.parked) - 1
	if i != last {
		r.parked[i] = r.parked[last]
		r.parked[i].park.idx = i
	}
	r.parked[last] = nil
	r.parked = r.parked[:last]
	if last == 0 {
		r.wheel.remove(&r.parkCheck)
	}
}

// parkChecker is a reactor as the owner of its parked-descriptor check.
type parkChecker reactor

// expire closes the parked sockets whose descriptor reports an error (the
// peer reset the connection, say), then checks again later. Reactor only.
func (pc *parkChecker) expire(*timerNode) {
	r := (*reactor)(pc)
	fds := r.parkFDs[:0]
	for _, s := range r.parked {
		fds = append(fds, s.park.fd)
	}
	r.parkFDs = fds
	failed := failedFDs(fds)
	gone := make([]*Socket, len(failed)) // closing one reorders r.parked
	for i, f := range failed {
		gone[i] = r.parked[f.idx]
	}
	for i, s := range gone {
		s.closeParked(s.conditionFor("read", os.NewSyscallError("read", failed[i].err)), false)
	}
	if len(r.parked) > 0 {
		r.addTimer(&r.parkCheck, r.now+r.loop.ticks(parkCheckEvery))
	}
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

// closeAsked reports whether Close was called (a graceful close is under
// way).
func (s *Socket) closeAsked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stClosing && !s.forced
}
