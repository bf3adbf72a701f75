package core

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// Socket is one TCP connection of a Loop, incoming or outgoing. It is the
// equivalent of cl-async's socket (tcp-socket).
//
// Every method is safe to call from any goroutine. Inside a callback on the
// socket's own reactor a method takes effect when the callback returns, with
// no hop between goroutines; from another goroutine it is handed to the
// reactor. Either way the writes of one goroutine reach the peer in order.
//
// A Socket is closed by Close, ForceClose, an error, a timeout, the peer's
// end of file, or Exit; then every method but Close, ForceClose, Closed,
// Data and SetData returns an error matching conditions.SocketClosed, and
// the socket never touches its file descriptor again.
//
// The fields are ordered so that the flags pack into two words: a socket
// is 416 bytes (an allocation size class), which is most of what asyncnet
// adds to an idle connection (docs/benchmarks-idle.md).
type Socket struct {
	loop *Loop
	cfg  *sockConfig               // callbacks and limits, shared with the server's other sockets
	cbs  atomic.Pointer[callbacks] // &cfg.cbs, or the socket's own after WriteSocketData

	unsent     atomic.Int64  // bytes written that the kernel has not taken yet, wherever they are
	stateA     atomic.Uint32 // state, for readers without mu (Closed, the reactor's read loop)
	congestedA atomic.Bool   // Congested(): mirrors congested
	readOffA   atomic.Bool   // mirrors readOff, for the reactor's read loop
	incoming   bool
	dontDrain  bool

	mu sync.Mutex // protects the fields below
	// Flags first, to share a word.
	state      sockState // see the table above sockState; set with setStateLocked
	scheduled  bool      // s is queued on r (or will be processed at open)
	userClosed bool      // Close or ForceClose was called: no closing event
	wrShut     bool      // CloseWrite was called (the writing side's state; see wrPhase)
	// Flow control as the application asked for it; the reactor applies it.
	readOff   bool // Disable(read)
	writeOff  bool // Disable(write)
	ctl       bool // these, and the timeouts, changed since the reactor last looked
	congested bool // unsent bytes reached the high watermark, not yet back to the low one

	r          *reactor  // owning reactor, set when the transport opens it
	out        buf.Queue // written bytes not yet handed to the transport
	written    uint64    // bytes written so far: the write callback's marks count them
	done       chan struct{}
	data       any
	peer       string // the dial address of an outgoing socket; else see peerLocked
	laddr      net.Addr
	raddr      net.Addr
	cancelDial context.CancelFunc
	failed     error // the condition of a close asyncnet decided off the reactor (a refused write)

	readTimeout  time.Duration
	writeTimeout time.Duration

	inState      // kept bytes, for Read (protected by rmu)
	reactorState // fields only the owning reactor touches
}

// A socket's life is one state word, state, which any goroutine moves on
// under mu (stateA mirrors it for readers without the lock). It only ever
// moves down this table:
//
//	state         entered by                                     leaves for
//	stNew         NewSocket; accepted, not opened yet            Connecting, Open, Closed
//	stConnecting  Connect (its dial runs)                        Open, Closing, Closed
//	stOpen        the transport opened it (OnOpen)               Closing, Aborting, Closed
//	stClosing     Close: the written bytes go out, then FIN      Aborting, Closed
//	stAborting    ForceClose, a refused write: unsent dropped    Closed
//	stClosed      the connection is gone (OnClose), or never was Done
//	stDone        its event delivered; the Loop's hold released  -
//
// Closed reports true from stClosing on. Two directions may end first
// without closing the socket, and are flags beside the word: wrShut
// (CloseWrite: FIN once what was written has gone; set in any state before
// stClosing) and, on the reactor, peerEOF (the peer ended its side and
// WithAllowHalfOpen keeps the socket open for writing). On the reactor,
// wr follows the writing side of the connection itself (wrPhase); the
// other fields are bookkeeping (scheduled, ctl, evDone, askedToEnd,
// refillQueued) or flow control (readOff, writeOff, rdPaused, wrPaused,
// congested), not states.
type sockState uint8

const (
	stNew        sockState = iota // created, not connecting yet (NewSocket), or accepted and not opened yet
	stConnecting                  // resolving and connecting
	stOpen                        // connected
	stClosing                     // Close called: flushing what was written, then FIN
	stAborting                    // ForceClose or an overflow: closed at once, unsent bytes dropped
	stClosed                      // the connection is gone: nothing more happens
	stDone                        // finished: the Loop's hold is released, Done is closed
)

// setStateLocked moves s to st. Call with s.mu held.
func (s *Socket) setStateLocked(st sockState) {
	s.state = st
	s.stateA.Store(uint32(st))
}

// isClosed reports whether the socket is closing or closed, without mu.
func (s *Socket) isClosed() bool { return s.stateA.Load() >= uint32(stClosing) }

// newSocket returns a socket of l with the callbacks and settings of st.
// The Loop holds it until finish.
func newSocket(l *Loop, cfg *sockConfig, incoming bool) *Socket {
	s := &Socket{
		loop:         l,
		cfg:          cfg,
		incoming:     incoming,
		dontDrain:    cfg.dontDrain,
		readTimeout:  cfg.readTimeout,
		writeTimeout: cfg.writeTimeout,
		ctl:          cfg.readTimeout > 0 || cfg.writeTimeout > 0, // applied once connected
	}
	s.seenIn = -1 // nothing read yet
	s.cbs.Store(&cfg.cbs)
	cfg.live.Add(1)
	l.hold()
	return s
}

// drained returns a channel closed once every socket made with cfg has
// finished.
func (cfg *sockConfig) drained() <-chan struct{} {
	cfg.drainMu.Lock()
	defer cfg.drainMu.Unlock()
	if cfg.drainCh == nil {
		cfg.drainCh = make(chan struct{})
		if cfg.live.Load() == 0 {
			close(cfg.drainCh)
		}
	}
	return cfg.drainCh
}

// release counts a socket made with cfg as finished.
func (cfg *sockConfig) release() {
	if cfg.live.Add(-1) != 0 {
		return
	}
	cfg.drainMu.Lock()
	defer cfg.drainMu.Unlock()
	if cfg.drainCh != nil {
		select {
		case <-cfg.drainCh:
		default:
			close(cfg.drainCh)
		}
	}
}

// sockConfig is what the sockets of one server (or of one connect) share,
// made once from its Settings, so that a socket does not carry copies.
type sockConfig struct {
	cbs        callbacks
	maxRead    int // WithMaxReadBuffer
	maxWrite   int // WithMaxWriteBuffer
	low, high  int // WithWriteWatermarks
	handLimit  int // the most written bytes the transport holds for a socket at a time (see handLimitFor)
	overflow   OverflowPolicy
	onShutdown func(*Socket) // server.OnShutdown or client.OnShutdown
	halfOpen   bool          // WithAllowHalfOpen
	proxy      bool          // server.WithProxyProtocol

	st           *Settings    // the settings it was made from (Socket.Settings)
	live         atomic.Int64 // sockets made with this config, not finished yet
	shutting     atomic.Bool  // its server is shutting down
	drainMu      sync.Mutex   // protects drainCh
	drainCh      chan struct{}
	dontDrain    bool
	readTimeout  time.Duration
	writeTimeout time.Duration
}

func newSockConfig(onRead ReadFunc, st *Settings) *sockConfig {
	maxWrite := st.maxWriteBuffer()
	return &sockConfig{
		cbs:          callbacks{read: onRead, event: st.OnEvent, connect: st.OnConnect, write: st.OnWrite, drain: st.OnDrain},
		maxRead:      st.maxReadBuffer(),
		maxWrite:     maxWrite,
		low:          st.lowWatermark(),
		high:         st.highWatermark(),
		handLimit:    handLimitFor(maxWrite),
		overflow:     st.Overflow,
		st:           st,
		onShutdown:   st.OnShutdown,
		halfOpen:     st.AllowHalfOpen,
		proxy:        st.ProxyProtocol,
		dontDrain:    st.DontDrainReadBuffer,
		readTimeout:  st.ReadTimeout,
		writeTimeout: st.WriteTimeout,
	}
}

// Close closes the socket gracefully: the bytes already written are
// delivered, then the peer gets end of file, then the socket is closed.
// Closed reports true at once and no callback of the socket runs after the
// close completes (read callbacks stop at once). Closing a closed socket
// does nothing. It is the equivalent of cl-async's close-socket. Safe to
// call from any goroutine.
func (s *Socket) Close() error {
	if s == nil || s.loop == nil {
		return zeroSocket("Socket.Close")
	}
	s.close(false)
	return nil
}

// ForceClose closes the socket at once, dropping the bytes not yet sent;
// the peer sees a reset. Closing a closed socket does nothing. It is the
// equivalent of cl-async's close-socket :force t. Safe to call from any
// goroutine.
func (s *Socket) ForceClose() error {
	if s == nil || s.loop == nil {
		return zeroSocket("Socket.ForceClose")
	}
	s.close(true)
	return nil
}

func (s *Socket) close(force bool) {
	s.mu.Lock()
	s.closeLocked(force, true)
}

// closeLocked closes s: gracefully, or at once if force. user says that the
// application asked for it (then no event is delivered). Call with s.mu
// held; it unlocks it.
func (s *Socket) closeLocked(force, user bool) {
	if s.state >= stAborting || (s.state == stClosing && !force) {
		s.mu.Unlock()
		return
	}
	s.userClosed = s.userClosed || user
	if force {
		s.dropOutLocked()
	}
	switch s.state {
	case stNew:
		s.setStateLocked(stClosed)
		s.dropOutLocked()
		ev := s.failed
		s.mu.Unlock()
		if ev == nil || !s.loop.post(func() { s.connectFailed(ev) }) {
			s.finish()
		}
		return
	case stConnecting:
		if force {
			s.setStateLocked(stClosed)
			cancel := s.cancelDial
			s.mu.Unlock()
			cancel() // the dial goroutine finishes the socket
			return
		}
		s.setStateLocked(stClosing) // flushed and closed once connected
		s.mu.Unlock()
		return
	}
	if force {
		s.setStateLocked(stAborting)
	} else {
		s.setStateLocked(stClosing)
	}
	r := s.scheduleLocked()
	s.mu.Unlock()
	if r != nil {
		r.mark(s)
	}
}

// Closed reports whether the socket is closed, or closing after Close. It is
// the equivalent of cl-async's socket-closed-p. Safe to call from any
// goroutine.
func (s *Socket) Closed() bool { return s == nil || s.loop == nil || s.isClosed() }

// Data returns the value stored with SetData (nil if none). It is the
// equivalent of cl-async's socket-data. Safe to call from any goroutine.
func (s *Socket) Data() any {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData stores v with the socket, for the application's own use (a proxy
// keeps the other socket there, for example). Safe to call from any
// goroutine.
func (s *Socket) SetData(v any) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// LocalAddr returns the local address, or nil before the socket is
// connected. Safe to call from any goroutine.
func (s *Socket) LocalAddr() net.Addr {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.laddr
}

// RemoteAddr returns the peer's address, or nil before the socket is
// connected. Safe to call from any goroutine.
func (s *Socket) RemoteAddr() net.Addr {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raddr
}

// Loop returns the Loop the socket belongs to. Safe to call from any
// goroutine.
func (s *Socket) Loop() *Loop {
	if s == nil {
		return nil
	}
	return s.loop
}

// KeepsReads reports whether the socket keeps the bytes it receives for
// Read (WithDontDrainReadBuffer: streams and NetConn need it), rather than
// handing them to its read callback (the default). Safe to call from any
// goroutine.
func (s *Socket) KeepsReads() bool { return s != nil && s.dontDrain }

// Settings returns a copy of the settings the socket was made with (its
// entry point's options, resolved): for packages that add entry points,
// such as client.ConnectTCPSocket, which dials with the settings given to
// client.InitTCPSocket. Safe to call from any goroutine.
func (s *Socket) Settings() Settings {
	if s == nil || s.cfg == nil || s.cfg.st == nil {
		return Settings{}
	}
	return *s.cfg.st
}

// Incoming reports whether the socket was accepted by a server (true) or
// connected by this program (false). Safe to call from any goroutine.
func (s *Socket) Incoming() bool { return s != nil && s.incoming }

// Conn returns the transport's side of the connection, or nil when the
// socket is not connected. It may only be used on the socket's reactor,
// inside its callbacks, and using it to read or write bypasses the Socket:
// it is for transports and their tools (adapters.SocketC returns the
// gnet.Conn under it). Must be called on the socket's reactor.
func (s *Socket) Conn() transport.Conn {
	if s == nil {
		return nil
	}
	return s.conn
}

// TCPSocket returns the socket a condition happened on, or nil. It is the
// equivalent of cl-async's tcp-socket accessor.
func TCPSocket(ev error) *Socket {
	var ce *conditions.Error
	if !errors.As(ev, &ce) {
		return nil
	}
	s, _ := ce.Socket.(*Socket)
	return s
}

// scheduleLocked marks s for processing and returns the reactor to notify,
// or nil if s is already queued or not connected yet (it is processed when
// it connects). Call with s.mu held.
func (s *Socket) scheduleLocked() *reactor {
	if s.scheduled || s.r == nil {
		return nil
	}
	s.scheduled = true
	return s.r
}

// closedErrLocked returns the error of an operation on a closed socket.
func (s *Socket) closedErrLocked(op string) error {
	return &conditions.Error{Kind: conditions.SocketClosed, Op: op, Addr: s.peerLocked(), Socket: s}
}

// peerLocked names the peer in conditions: the connected remote address,
// else the address being dialed. (Computed when needed: most sockets never
// report a condition.)
func (s *Socket) peerLocked() string {
	if s.raddr != nil {
		return s.raddr.String()
	}
	return s.peer
}

// condition returns a condition of kind k on s.
func (s *Socket) condition(k *conditions.Kind, op string, err error) *conditions.Error {
	s.mu.Lock()
	peer := s.peerLocked()
	s.mu.Unlock()
	return &conditions.Error{Kind: k, Op: op, Addr: peer, Socket: s, Err: err}
}

// markClosed records that s is closed for good and drops what it had not
// flushed; it reports whether the application had closed it.
func (s *Socket) markClosed() (userClosed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state < stClosed {
		s.setStateLocked(stClosed)
	}
	s.dropOutLocked()
	s.addUnsentLocked(-s.unsent.Load()) // and those in flight: the connection is gone
	return s.userClosed
}

// finish releases the Loop's hold on s, once, and closes Done.
func (s *Socket) finish() {
	s.mu.Lock()
	done := s.state == stDone
	s.setStateLocked(stDone)
	ch := s.done
	s.mu.Unlock()
	if !done {
		if ch != nil {
			close(ch)
		}
		if !s.incoming {
			s.loop.unpend(s)
		}
		s.cfg.release()
		s.loop.release()
	}
}

// Done returns a channel that is closed once the socket is closed for good,
// whatever closed it (Exit included) and after its event callback, if any.
// Safe to call from any goroutine.
func (s *Socket) Done() <-chan struct{} {
	if s == nil || s.loop == nil {
		return closedChan // never opened: as good as closed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		if s.state == stDone {
			return closedChan
		}
		s.done = make(chan struct{}) // most sockets are never asked: made on demand
	}
	return s.done
}

// closedChan is the Done channel of a socket that finished before anyone asked.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()
