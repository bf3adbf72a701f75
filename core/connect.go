package core

import (
	"context"
	"errors"
	"net"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
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
	const call = "Socket.Connect"
	if s == nil || s.loop == nil {
		return zeroSocket(call)
	}
	if dial == nil {
		return &ArgError{Call: call, Arg: "dial", Reason: "nil DialFunc"}
	}
	ctx, cancel, err := s.startConnect(call, addr)
	if err != nil {
		return err
	}
	go s.dial(ctx, cancel, dial)
	return nil
}

// startConnect moves s from new to connecting, and counts the connect as
// pending until dialed.
func (s *Socket) startConnect(call, addr string) (context.Context, context.CancelFunc, error) {
	l := s.loop
	s.mu.Lock()
	switch {
	case s.state >= stClosing:
		err := s.closedErrLocked("connect")
		s.mu.Unlock()
		return nil, nil, err
	case s.state != stNew || s.incoming:
		s.mu.Unlock()
		return nil, nil, &ArgError{Call: call, Arg: "s", Reason: "socket is already connecting or connected"}
	case !l.running():
		s.mu.Unlock()
		return nil, nil, ErrLoopNotRunning
	}
	ctx, cancel := context.WithCancel(l.ctx)
	s.setStateLocked(stConnecting)
	s.cancelDial = cancel
	s.peer = addr
	s.mu.Unlock()

	l.stats.pending(1)
	l.bg.Add(1) // until dialed
	return ctx, cancel, nil
}

// dial runs on its own goroutine: it connects, then hands the connection to
// a reactor.
func (s *Socket) dial(ctx context.Context, cancel context.CancelFunc, dial DialFunc) {
	nc, err := dial(ctx)
	if err == nil {
		if ctx.Err() != nil {
			_ = nc.Close()
			err = ctx.Err()
		} else {
			err = s.attach(nc)
		}
	}
	s.dialed(ctx, cancel, err)
}

// dialed ends a connect, whoever made it: err is nil if the transport has
// taken the connection, else why not.
func (s *Socket) dialed(ctx context.Context, cancel context.CancelFunc, err error) {
	l := s.loop
	defer l.bg.Done()
	defer cancel()
	if s.isOpened() {
		return // open counted it as connected
	}
	if err = s.attached(err); err == nil {
		l.stats.pending(-1) // closed while it was being enrolled
		return
	}
	l.stats.pending(-1)
	if ctx.Err() != nil { // force-closed, or the Loop is exiting: no callback
		if ev := s.failure(); ev != nil && l.post(func() { s.connectFailed(ev) }) {
			return // closed by asyncnet (a refused write): its event is due
		}
		s.dialCut()
		return
	}
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

// place hands nc to a reactor: the one the transport picks if it places
// connections itself (transport.Placer), else the least loaded. It must not
// run on a reactor.
func (s *Socket) place(nc net.Conn) error {
	if p, ok := s.loop.tr.(transport.Placer); ok {
		return p.Place(nc, (*socketEvents)(s))
	}
	return s.enroll(s.loop.leastLoaded(), nc)
}

// enroll hands nc to r's transport reactor. It must not run on a reactor.
func (s *Socket) enroll(r *reactor, nc net.Conn) error {
	return r.tr.Enroll(nc, (*socketEvents)(s))
}

// errNotOpened is returned by attached when the transport took the
// connection but never opened it.
var errNotOpened = errors.New("asyncnet: the transport did not open the connection")

// attach hands the connected nc to a reactor (see place), once the Loop has
// its reactors, and waits until it has opened it. It must not run on a
// reactor.
func (s *Socket) attach(nc net.Conn) error {
	if !s.loop.awaitStarted() {
		_ = nc.Close()
		return ErrLoopNotRunning
	}
	return s.place(nc)
}

// attached settles s once the transport has taken its connection (err is
// nil) or failed to: it returns nil if s opened, or closed while it was
// being enrolled (s is finished then), else the error.
func (s *Socket) attached(err error) error {
	if err != nil {
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
