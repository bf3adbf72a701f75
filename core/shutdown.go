package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Shutdown: a Loop, or one server, ends gracefully. Servers stop
// accepting at once; every open connection is asked to finish (a server's
// OnShutdown callback, by default Close: what was written is delivered,
// then FIN); the call waits until they have all closed, or until its
// context ends, when it force-closes the rest. Each reactor keeps a list of
// its open sockets (reactor.socks) so that the request reaches every one on
// its own goroutine; outgoing sockets still connecting are in Loop.pending.

// Shutdown stops the Loop gracefully, as net/http.Server.Shutdown does a
// server: every server stops accepting at once (after accepting what its
// listener has queued, as Server.Shutdown does) and asks each of its open
// connections to finish (its OnShutdown callback, by default a graceful
// Close); every other socket (outgoing ones, including those still
// connecting) closes gracefully, delivering what was written, unless it
// was given client.OnShutdown, which is called instead (once it is
// connected; a proxy lets its backend connection finish the reply under
// way, say); timers that
// are pending are dropped, and timers started from now on do not keep the
// Loop going. Shutdown waits until everything has closed, then Run returns
// nil, and so does Shutdown. If ctx ends first, Shutdown force-closes what
// is left (as Exit does) and returns ctx.Err().
//
// It may be called several times, and concurrently with Exit, Close and
// Server.Shutdown; each call waits for the end. Safe to call from any
// goroutine except the Loop's reactors, where it returns an error matching
// ErrInReactor (it would wait for itself). On a Loop that has not started
// it returns ErrLoopNotRunning; on one that has ended, nil.
func (l *Loop) Shutdown(ctx context.Context) error {
	const call = "Loop.Shutdown"
	if !l.valid() {
		return zeroLoop(call)
	}
	if ctx == nil {
		return &ArgError{Call: call, Arg: "ctx", Reason: "nil context"}
	}
	if l.InReactor() {
		return fmt.Errorf("asyncnet: %s: %w (it would wait for itself)", call, ErrInReactor)
	}
	if l.state.Load() == loopIdle {
		return fmt.Errorf("asyncnet: %s: %w", call, ErrLoopNotRunning)
	}
	if l.shutting.CompareAndSwap(false, true) {
		l.beginShutdown()
	}
	select {
	case <-l.ended:
		return nil
	case <-ctx.Done():
		l.Exit()
		<-l.ended
		return ctx.Err()
	}
}

// beginShutdown asks everything of the Loop to finish.
func (l *Loop) beginShutdown() {
	l.mu.Lock()
	var servers []*Server
	for c := range l.closers {
		if x, ok := c.(*Server); ok {
			servers = append(servers, x)
		}
	}
	pending := slices.Collect(maps.Keys(l.pending))
	l.mu.Unlock()
	for _, x := range servers {
		x.beginShutdown()
	}
	l.whenStarted(func() {
		for _, r := range l.rs() {
			r.post(r.shutdown)
		}
	})
	for _, s := range pending {
		if s.cfg.onShutdown == nil {
			_ = s.Close() // delivered once connected, then FIN
		} // else asked once connected (open)
	}
	l.releaseStay()
	l.releasePersistent()
}

// releaseStay releases WithStayRunning's hold, once.
func (l *Loop) releaseStay() {
	if l.stay.CompareAndSwap(true, false) {
		l.release()
	}
}

// releasePersistent releases the hold of a persistent transport, once.
func (l *Loop) releasePersistent() {
	if l.persistent.CompareAndSwap(true, false) {
		l.release()
	}
}

// shutdown asks every open socket of r to finish and drops r's timers
// that were pending when the Shutdown began (those made since, in an
// OnShutdown callback say, run when due). Reactor only.
func (r *reactor) shutdown() {
	for _, s := range slices.Clone(r.socks) { // closing one changes the list
		s.finishUp()
	}
	r.wheel.each(func(n *timerNode) {
		if t, ok := n.owner.(*Timer); ok && t.held {
			t.drop()
		}
	})
}

// shutdownServer asks the open sockets of r that cfg's server accepted to
// finish. Reactor only.
func (r *reactor) shutdownServer(cfg *sockConfig) {
	for _, s := range slices.Clone(r.socks) {
		if s.cfg == cfg {
			s.finishUp()
		}
	}
}

// forceServer force-closes the open sockets of r that cfg's server
// accepted. Reactor only.
func (r *reactor) forceServer(cfg *sockConfig) {
	for _, s := range slices.Clone(r.socks) {
		if s.cfg == cfg {
			_ = s.ForceClose()
		}
	}
}

// finishUp asks s, once, to finish: its OnShutdown callback (its
// server's, or client.OnShutdown), or else a graceful Close. Reactor only.
//
// An accepted socket that has done nothing yet (read nothing, written
// nothing) is asked once its first bytes have been read instead, or after
// firstReadGrace: its client may have sent its request already, and
// closing with a request unread would reset the connection (the kernel
// answers unread bytes with RST) where the client expects a reply. A
// socket that has written (a greeting, say) is asked at once.
func (s *Socket) finishUp() {
	if s.askedToEnd || s.isClosed() {
		return
	}
	if s.incoming && s.seenIn < 0 && s.handed == 0 && s.unsent.Load() == 0 {
		s.finishAfterFirstRead()
		return
	}
	s.finishNow()
}

// firstReadGrace is how long a Shutdown waits for the first bytes of an
// accepted socket that has done nothing yet (net/http gives a new
// connection 5 s too) before it asks it to finish all the same.
const firstReadGrace = 5 * time.Second

// finishAfterFirstRead asks s to finish once its first read callback has
// run, or after firstReadGrace. Reactor only.
func (s *Socket) finishAfterFirstRead() {
	if s.endAfterRead {
		return
	}
	s.endAfterRead = true
	r := s.r
	s.loop.Delay(firstReadGrace, func() {
		r.post(func() {
			if s.endAfterRead {
				s.endAfterRead = false
				s.finishNow()
			}
		})
	})
}

// finishNow is finishUp without the wait for a first read. Reactor only.
func (s *Socket) finishNow() {
	if s.askedToEnd || s.isClosed() {
		return
	}
	s.askedToEnd = true
	if fn := s.cfg.onShutdown; fn != nil && s.hdr == nil { // not before the application has it
		s.callSocket(fn)
		return
	}
	_ = s.Close()
}

// openedInShutdown asks s, opened while a Shutdown was under way, to
// finish: an outgoing socket at once; an incoming one (accepted as the
// Shutdown drained its server's accept queue, or on its way to a reactor
// when it began) once its first bytes have been read, so that the request
// it was opened for is served. Reactor only.
func (s *Socket) openedInShutdown(closing bool) {
	if s.incoming && !closing {
		s.finishAfterFirstRead()
		return
	}
	s.finishUp()
}

// finishAfterRead asks s to finish once its first read callback has run
// (see openedInShutdown). Reactor only.
func (s *Socket) finishAfterRead() {
	switch {
	case s.conn == nil: // closed
		s.endAfterRead = false
	case s.hdr != nil: // only (part of) a PROXY header came: wait for the request
	default:
		s.endAfterRead = false
		s.finishNow()
	}
}

// register adds s, just opened, to its reactor's list. Reactor only.
func (r *reactor) register(s *Socket) {
	s.regIdx = int32(len(r.socks))
	r.socks = append(r.socks, s)
}

// unregister removes s from its reactor's list. Reactor only.
func (r *reactor) unregister(s *Socket) {
	i, last := int(s.regIdx), len(r.socks)-1
	if i < 0 || i > last || r.socks[i] != s {
		return
	}
	if i != last {
		r.socks[i] = r.socks[last]
		r.socks[i].regIdx = int32(i)
	}
	r.socks[last] = nil
	r.socks = r.socks[:last]
	s.regIdx = -1
	if len(r.socks) == 0 && cap(r.socks) > 1024 {
		r.socks = nil // let a burst's array go
	}
}

// Shutdown stops the server gracefully: it stops accepting at once, once
// it has accepted the connections already queued on its listener (which
// closing it would reset; each is asked to finish once its first bytes
// have been read), asks each of its open connections to finish (the
// OnShutdown callback given to its entry point, by default a graceful
// Close; a connection that has read and written nothing yet, once its
// first bytes have been read or after 5 s), and waits until they have all
// closed. If ctx ends first, it force-closes the rest and returns
// ctx.Err(). It may be called several times, and concurrently with Close
// and the Loop's Shutdown and Exit. Safe to call from any goroutine except
// the Loop's reactors, where it returns an error matching ErrInReactor.
func (x *Server) Shutdown(ctx context.Context) error {
	const call = "Server.Shutdown"
	if !x.valid() {
		return zeroServer(call)
	}
	if ctx == nil {
		return &ArgError{Call: call, Arg: "ctx", Reason: "nil context"}
	}
	l := x.loop
	if l.InReactor() {
		return fmt.Errorf("asyncnet: %s: %w (it would wait for itself)", call, ErrInReactor)
	}
	x.beginShutdown()
	<-x.accepting // no socket of this server is made after this
	drained := x.cfg.drained()
	select {
	case <-drained:
		return nil
	case <-l.ended:
		return nil
	case <-ctx.Done():
	}
	if l.post(func() {
		for _, r := range l.rs() {
			r.post(func() { r.forceServer(x.cfg) })
		}
	}) {
		select {
		case <-drained:
		case <-l.ended:
		}
	}
	return ctx.Err()
}

// beginShutdown stops accepting and asks the server's sockets to finish,
// once.
func (x *Server) beginShutdown() {
	if !x.cfg.shutting.CompareAndSwap(false, true) {
		return
	}
	x.drain()
	l := x.loop
	l.whenStarted(func() {
		for _, r := range l.rs() {
			r.post(func() { r.shutdownServer(x.cfg) })
		}
	})
}
