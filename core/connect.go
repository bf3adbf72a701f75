package core

import (
	"context"
	"errors"
	"net"

	"github.com/asyncnet/asyncnet/conditions"
)

// DialFunc opens a connection to a peer. Socket.Connect runs it on a
// goroutine of its own, with a context that is canceled if the socket is
// force-closed or the Loop exits. An error it returns reaches the socket's
// event callback: an *conditions.Error as it is, any other error classified
// by conditions.Classify.
type DialFunc func(ctx context.Context) (net.Conn, error)

// NewSocket returns an outgoing socket of l that is not connected yet;
// connect it with Connect (package client does both in TCPConnect). Writes
// made before then are sent once it connects. It accepts the options of
// outgoing sockets (ForConnect) and is the building block of
// client.InitTCPSocket, cl-async's init-tcp-socket. Safe to call from any
// goroutine while l runs.
func NewSocket(l *Loop, onRead ReadFunc, opts ...ConnectOption) (*Socket, error) {
	const call = "core.NewSocket"
	if onRead == nil {
		return nil, &ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	if !l.valid() {
		return nil, &ArgError{Call: call, Arg: "l", Reason: "nil or zero Loop"}
	}
	st, err := ResolveConnect(call, opts)
	if err != nil {
		return nil, err
	}
	return NewSocketWith(l, onRead, st)
}

// NewSocketWith is NewSocket with options already resolved (ResolveConnect):
// for packages that add entry points and read settings of their own, as
// client does, so that options are resolved once per call. Safe to call
// from any goroutine while l runs.
func NewSocketWith(l *Loop, onRead ReadFunc, st *Settings) (*Socket, error) {
	const call = "core.NewSocket"
	if !l.valid() {
		return nil, &ArgError{Call: call, Arg: "l", Reason: "nil or zero Loop"}
	}
	if onRead == nil {
		return nil, &ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	if !l.running() {
		return nil, ErrLoopNotRunning
	}
	s := newSocket(l, newSockConfig(onRead, st), false)
	l.mu.Lock()
	l.pending[s] = struct{}{}
	l.mu.Unlock()
	return s, nil
}

// Connect starts connecting s, a socket from NewSocket, by running dial in
// the background, and returns at once. addr names the peer in conditions
// until the socket is connected. Then the connect callback runs on one of
// the Loop's reactors; if dial fails, the event callback gets the condition,
// once, with the socket already closed. Safe to call from any goroutine.
func (s *Socket) Connect(addr string, dial DialFunc) error {
	if s == nil || s.loop == nil {
		return zeroSocket("Socket.Connect")
	}
	if dial == nil {
		return &ArgError{Call: "Socket.Connect", Arg: "dial", Reason: "nil DialFunc"}
	}
	l := s.loop
	s.mu.Lock()
	switch {
	case s.state >= stClosing:
		err := s.closedErrLocked("connect")
		s.mu.Unlock()
		return err
	case s.state != stNew || s.incoming:
		s.mu.Unlock()
		return &ArgError{Call: "Socket.Connect", Arg: "s", Reason: "socket is already connecting or connected"}
	case !l.running():
		s.mu.Unlock()
		return ErrLoopNotRunning
	}
	ctx, cancel := context.WithCancel(l.ctx)
	s.setStateLocked(stConnecting)
	s.cancelDial = cancel
	s.peer = addr
	s.mu.Unlock()

	l.stats.pending(1)
	l.bg.Add(1)
	go s.dial(ctx, cancel, dial)
	return nil
}

// dial runs on its own goroutine: it connects, then hands the connection to
// a reactor.
func (s *Socket) dial(ctx context.Context, cancel context.CancelFunc, dial DialFunc) {
	l := s.loop
	defer l.bg.Done()
	defer cancel()
	nc, err := dial(ctx)
	if ctx.Err() != nil { // force-closed, or the Loop is exiting: no callback
		if nc != nil {
			_ = nc.Close()
		}
		l.stats.pending(-1)
		if ev := s.failure(); ev != nil && l.post(func() { s.connectFailed(ev) }) {
			return // closed by asyncnet (a refused write): its event is due
		}
		s.dialCut()
		return
	}
	if err == nil {
		err = s.attach(nc)
		if s.isOpened() {
			return // open counted it as connected
		}
		if err == nil {
			l.stats.pending(-1) // closed while it was being enrolled
			return
		}
	}
	l.stats.pending(-1)
	ev := s.conditionFor("connect", err)
	if !l.post(func() { s.connectFailed(ev) }) {
		s.dialCut()
	}
}

// dialCut ends a socket whose connect the end of the Loop cut short. If the
// transport stopped on its own (an application's gnet engine), the socket
// gets its SocketClosed event once the reactors have stopped (stoppedDial);
// after Exit, or its own ForceClose, it gets none.
func (s *Socket) dialCut() {
	l := s.loop
	if l.trStopped.Load() {
		l.mu.Lock()
		l.cutDials = append(l.cutDials, s)
		l.mu.Unlock()
		return
	}
	s.finish()
}

// stoppedDial delivers the event of a connect cut short by the transport's
// stop. It runs after the reactors have stopped.
func (s *Socket) stoppedDial() {
	if user := s.markClosed(); !user {
		s.callEvent(s.condition(conditions.SocketClosed, "connect", errTransportStopped))
	}
	s.finish()
}

// connectFailed runs on a reactor: the socket never connected.
func (s *Socket) connectFailed(ev error) {
	if user := s.markClosed(); !user && s.loop.running() {
		s.callEvent(ev)
	}
	s.finish()
}

// failure returns the condition of a close asyncnet decided (see
// Socket.failed), or nil.
func (s *Socket) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// unpend forgets s as an outgoing socket not connected yet.
func (l *Loop) unpend(s *Socket) {
	l.mu.Lock()
	delete(l.pending, s)
	l.mu.Unlock()
}

func (s *Socket) isOpened() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r != nil
}

// enroll hands nc to r's transport reactor. It must not run on a reactor.
func (s *Socket) enroll(r *reactor, nc net.Conn) error {
	return r.tr.Enroll(nc, (*socketEvents)(s))
}

// errNotOpened is returned by attach when the transport took the
// connection but never opened it.
var errNotOpened = errors.New("asyncnet: the transport did not open the connection")

// attach hands the connected nc to the least loaded reactor and waits until
// it has opened it. It must not run on a reactor.
func (s *Socket) attach(nc net.Conn) error {
	if !s.loop.awaitStarted() {
		_ = nc.Close()
		return ErrLoopNotRunning
	}
	if err := s.enroll(s.loop.leastLoaded(), nc); err != nil {
		return err
	}
	s.mu.Lock()
	opened, state := s.r != nil, s.state
	s.mu.Unlock()
	if opened {
		return nil
	}
	if state >= stClosed || !s.loop.running() { // closed while it was being enrolled
		s.finish()
		return nil
	}
	return errNotOpened
}
