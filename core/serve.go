package core

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
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
	once      sync.Once
	stop      chan struct{} // closed by Close
	accepting chan struct{} // closed when the accept goroutine has returned
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
	l.bg.Add(1)
	go x.accept()
	return x, nil
}

// Close stops accepting (cl-async's close-tcp-server): new connections are
// refused, while the sockets already accepted live on. Closing a closed
// Server does nothing. It returns the error of closing the net.Listener.
// Safe to call from any goroutine.
func (x *Server) Close() error {
	if !x.valid() {
		return zeroServer("Server.Close")
	}
	var err error
	x.once.Do(func() {
		x.closed.Store(true)
		close(x.stop)
		err = x.ln.Close()
		x.loop.untrack(x)
		x.loop.stats.servers(-1)
		x.loop.release()
	})
	return err
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

// accept runs on its own goroutine until the Server closes.
func (x *Server) accept() {
	l := x.loop
	defer l.bg.Done()
	defer close(x.accepting)
	var delay time.Duration
	for {
		nc, err := x.ln.Accept()
		if err != nil {
			if x.closed.Load() || !l.running() {
				return
			}
			x.acceptError(err)
			if !temporary(err) {
				_ = x.Close()
				return
			}
			// Out of descriptors or memory: back off as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
			case <-x.stop:
				return
			}
			continue
		}
		delay = 0
		if x.closed.Load() { // closed while this one was accepted: refuse it
			_ = nc.Close()
			return
		}
		s := newSocket(l, x.cfg, true)
		l.bg.Add(1)
		go func() {
			defer l.bg.Done()
			if err := s.attach(nc); err != nil {
				_ = nc.Close()
				s.finish()
				x.acceptError(err)
			}
		}()
	}
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
