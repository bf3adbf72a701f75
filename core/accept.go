package core

// Acceptor makes incoming sockets for connections a transport accepted
// itself: package adapters' Plugin hands asyncnet the connections an
// application's gnet engine accepts this way. Servers (Serve, TCPServer)
// accept on their own and do not need one.
type Acceptor struct {
	l   *Loop
	cfg *sockConfig
}

// NewAcceptor returns an Acceptor whose sockets have onRead and the
// callbacks and settings of opts (the options of servers, ForServer). It
// may be made before the Loop runs. Safe to call from any goroutine.
func (l *Loop) NewAcceptor(onRead ReadFunc, opts ...ServerOption) (*Acceptor, error) {
	const call = "Loop.NewAcceptor"
	if !l.valid() {
		return nil, zeroLoop(call)
	}
	if onRead == nil {
		return nil, &ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st, err := ResolveServer(call, opts)
	if err != nil {
		return nil, err
	}
	return &Acceptor{l: l, cfg: newSockConfig(onRead, st)}, nil
}

// Socket returns the ConnHandler of a new incoming socket, or nil if the
// Loop is not running. The transport keeps it with the connection and calls
// its OnOpen on the connection's reactor, as for an enrolled connection.
// Safe to call from any goroutine.
func (a *Acceptor) Socket() ConnHandler {
	if !a.l.started.Load() || !a.l.running() {
		return nil
	}
	return (*socketEvents)(newSocket(a.l, a.cfg, true))
}
