package core

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
)

// Server is a listener served by a Loop: every connection it accepts
// becomes an incoming Socket. It is the equivalent of cl-async's
// tcp-server object: server.TCPServer returns one (server.Server is the
// same type), and Loop.Serve makes one of a listener made elsewhere (a
// Unix socket, an inherited descriptor: cl-async's :fd). Its methods are
// safe to call from any goroutine; those of a nil or zero Server return an
// error, or report it closed.
type Server struct {
	loop *Loop
	ln   net.Listener
	cfg  *sockConfig // of the sockets it accepts
	st   *Settings
	addr string

	closed    atomic.Bool
	draining  atomic.Bool // Shutdown: what the listener has queued is still accepted
	once      sync.Once
	stop      chan struct{} // closed by Close
	accepting chan struct{} // closed once no socket of the server is made any more

	mu    sync.Mutex // protects acc and began, and orders begin and Close
	acc   io.Closer  // the transport's, if it accepts for the server
	began bool       // begin has run

	delay time.Duration // back-off after an accept error; touched by the accepting goroutine only
}

// Serve accepts connections from ln until the returned Server is closed:
// each becomes a Socket with onRead, the callbacks and the settings of opts
// (the options of servers, ForServer). The accepted sockets are spread over
// the Loop's reactors. Accept errors reach the OnEvent callback as
// conditions.TCPAcceptError, with a nil socket. The Server keeps Run going
// until it is closed; Exit closes it. Safe to call from any goroutine while
// l runs.
func (l *Loop) Serve(ln net.Listener, onRead ReadFunc, opts ...ServerOption) (*Server, error) {
	const call = "Loop.Serve"
	if !l.valid() {
		return nil, zeroLoop(call)
	}
	if ln == nil {
		return nil, &ArgError{Call: call, Arg: "ln", Reason: "nil listener"}
	}
	if onRead == nil {
		return nil, &ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st, err := ResolveServer(call, opts)
	if err != nil {
		return nil, err
	}
	return l.ServeWith(ln, onRead, st)
}

// ServeWith is Serve with options already resolved (ResolveServer): for
// packages that add entry points, as server does. Safe to call from any
// goroutine while l runs.
func (l *Loop) ServeWith(ln net.Listener, onRead ReadFunc, st *Settings) (*Server, error) {
	const call = "Loop.Serve"
	if !l.valid() {
		return nil, zeroLoop(call)
	}
	if ln == nil {
		return nil, &ArgError{Call: call, Arg: "ln", Reason: "nil listener"}
	}
	if onRead == nil {
		return nil, &ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	if !l.running() {
		return nil, ErrLoopNotRunning
	}
	x := &Server{loop: l, ln: ln, cfg: newSockConfig(onRead, st), st: st, addr: ln.Addr().String(),
		stop: make(chan struct{}), accepting: make(chan struct{})}
	l.hold()
	l.stats.servers(1)
	l.track(x)
	l.bg.Add(1) // until Stopped
	l.whenStarted(x.begin)
	return x, nil
}

// begin starts accepting, once the Loop has its transport: the transport
// accepts if it can (transport.Acceptor), else a goroutine of the server's.
func (x *Server) begin() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.began = true
	if x.closed.Load() { // closed before it began: Close has closed ln
		(*acceptEvents)(x).Stopped()
		return
	}
	if a, ok := x.loop.tr.(transport.Acceptor); ok {
		c, err := a.Accept(x.ln, (*acceptEvents)(x))
		if err == nil {
			x.acc = c
			return
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			x.loop.log.Warn("asyncnet: the transport cannot accept; the server accepts on a goroutine", "addr", x.addr, "err", err)
		}
	}
	go x.accept()
}

// Close stops accepting (cl-async's close-tcp-server): new connections are
// refused, while the sockets already accepted live on. Closing a closed
// Server does nothing. It returns the error of closing the net.Listener.
// (Shutdown, by contrast, first accepts the connections already queued on
// the listener.) Safe to call from any goroutine.
func (x *Server) Close() error {
	if !x.valid() {
		return zeroServer("Server.Close")
	}
	var err error
	x.once.Do(func() {
		x.mu.Lock()
		x.closed.Store(true)
		acc := x.acc
		x.mu.Unlock()
		close(x.stop)
		if acc != nil {
			err = acc.Close()
		} else {
			err = x.ln.Close()
		}
		x.closedDown()
		x.loop.release()
	})
	return err
}

// drainWindow bounds how long a server that accepts on a goroutine of its
// own (not on Linux) goes on accepting once Shutdown has begun.
const drainWindow = 20 * time.Millisecond

// drain stops accepting, as Close does, but first accepts the connections
// the kernel has already queued on the listener (with SO_REUSEPORT a
// closing listener's queue is not handed to the others: it would be
// reset). The Loop is held until the last is accepted (Stopped). It returns
// at once.
func (x *Server) drain() {
	x.once.Do(func() {
		x.mu.Lock()
		x.draining.Store(true)
		x.closed.Store(true)
		acc, began := x.acc, x.began
		x.mu.Unlock()
		close(x.stop)
		var err error
		if d, ok := acc.(transport.Drainer); ok {
			d.Drain() // closes ln once drained
		} else if acc != nil {
			err = acc.Close()
		} else if dl, ok := x.ln.(interface{ SetDeadline(time.Time) error }); began && ok {
			err = dl.SetDeadline(time.Now().Add(drainWindow)) // the accept goroutine closes ln when its Accept times out
		} else {
			err = x.ln.Close() // begin, or the accept goroutine, sees it closed
		}
		if err != nil {
			x.loop.log.Warn("asyncnet: closing a server's listener", "addr", x.addr, "err", err)
		}
		x.closedDown()
	})
}

// closedDown is the bookkeeping of a server closing.
func (x *Server) closedDown() {
	x.loop.untrack(x)
	x.loop.stats.servers(-1)
}

// Closed reports whether Close was called (cl-async's tcp-server-closed);
// a nil or zero Server is closed. Safe to call from any goroutine.
func (x *Server) Closed() bool { return !x.valid() || x.closed.Load() }

// Done returns a channel that is closed when the Server closes (Exit
// included); that of a nil or zero Server is closed. Safe to call from any
// goroutine.
func (x *Server) Done() <-chan struct{} {
	if !x.valid() {
		return closedChan
	}
	return x.stop
}

// Addr returns the address the server is bound to, with the real port when
// port 0 was asked for; nil for a nil or zero Server. Safe to call from any
// goroutine.
func (x *Server) Addr() net.Addr {
	if !x.valid() {
		return nil
	}
	return x.ln.Addr()
}

// valid reports whether x came from Loop.Serve.
func (x *Server) valid() bool { return x != nil && x.loop != nil }

// zeroServer is the error of a method called on a nil or zero Server.
func zeroServer(call string) error {
	return &ArgError{Call: call, Arg: "srv", Reason: "nil or zero Server (servers come from server.TCPServer, TCPServerStream or Loop.Serve)"}
}

// accept runs on a goroutine of its own until the Server closes, when the
// transport does not accept for it.
func (x *Server) accept() {
	h := (*acceptEvents)(x)
	defer h.Stopped()
	defer func() {
		if x.draining.Load() { // drain left ln open until now
			_ = x.ln.Close() // closed already if it was not a deadline that ended Accept
		}
	}()
	pl, _ := x.loop.tr.(transport.Placer)
	for {
		nc, err := x.ln.Accept()
		if err != nil {
			d := h.AcceptError(err)
			if d < 0 {
				return
			}
			select {
			case <-time.After(d):
			case <-x.stop:
				return
			}
			continue
		}
		ch := h.Accepted()
		if ch == nil { // closed while this one was accepted: refuse it
			_ = nc.Close()
			return
		}
		if pl != nil {
			h.Placed(ch, pl.Place(nc, ch))
			continue
		}
		x.loop.bg.Add(1)
		go func() {
			defer x.loop.bg.Done()
			h.Placed(ch, (*Socket)(ch.(*socketEvents)).enroll(x.loop.leastLoaded(), nc))
		}()
	}
}

// acceptEvents is a Server as the transport's AcceptHandler; the accept
// goroutine of a server the transport does not accept for uses it too.
// Its methods are called one at a time.
type acceptEvents Server

// Accepted makes the socket of a new connection, unless the server or the
// Loop is closing.
func (e *acceptEvents) Accepted() transport.ConnHandler {
	x := (*Server)(e)
	if x.closed.Load() && !x.draining.Load() || !x.loop.running() {
		return nil
	}
	x.delay = 0
	return (*socketEvents)(newSocket(x.loop, x.cfg, true))
}

// Placed ends the socket of a connection the transport could not open, and
// reports why.
func (e *acceptEvents) Placed(ch transport.ConnHandler, err error) {
	s := (*Socket)(ch.(*socketEvents))
	if err = s.attached(err); err != nil {
		s.finish()
		(*Server)(e).acceptError(err)
	}
}

// AcceptError reports err to the server's event callback and says how long
// to wait before accepting again: a back-off for errors that may go away by
// themselves (out of descriptors or memory, as net/http does), else never
// (the server closes).
func (e *acceptEvents) AcceptError(err error) time.Duration {
	x := (*Server)(e)
	if x.closed.Load() || !x.loop.running() {
		return -1
	}
	x.acceptError(err)
	if !temporary(err) {
		_ = x.Close()
		return -1
	}
	x.delay = min(max(2*x.delay, 5*time.Millisecond), time.Second)
	return x.delay
}

// Stopped: no socket of the server is made any more.
func (e *acceptEvents) Stopped() {
	x := (*Server)(e)
	close(x.accepting)
	if x.draining.Load() {
		x.loop.release() // drain held the Loop until now
	}
	x.loop.bg.Done()
}

// acceptError delivers err to the server's event callback on a reactor.
func (x *Server) acceptError(err error) {
	x.loop.stats.acceptErrors.Add(1)
	ev := conditions.New(conditions.TCPAcceptError, "accept", x.addr, err)
	if !x.loop.post(func() { x.loop.deliver(nil, x.st.OnEvent, ev) }) {
		x.loop.log.Warn("asyncnet: accept failed", "addr", x.addr, "err", err)
	}
}

// temporary reports whether an accept error may go away by itself.
func temporary(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
