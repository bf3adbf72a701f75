package core

import (
	"errors"
	"sync/atomic"

	"github.com/asyncnet/asyncnet/conditions"
)

// Stats is a snapshot of what a Loop holds, and of what it has done since
// it started. The first part is the equivalent of cl-async's stats; the
// Counters only ever grow.
type Stats struct {
	IncomingSockets int // connected sockets accepted by servers, not yet closed (cl-async's :incoming-tcp-connections)
	OutgoingSockets int // connected sockets this program opened, not yet closed (:outgoing-tcp-connections)
	Servers         int // servers not yet closed
	PendingConnects int // outgoing sockets still resolving or connecting
	Timers          int // Delay and Interval timers not yet run or stopped

	BytesBufferedIn  int64 // bytes received and kept unread (reading disabled, or a stream not reading)
	BytesBufferedOut int64 // bytes written that the kernel has not taken yet: the sum of Socket.Unsent

	Counters
}

// Counters count what a Loop has done since it started. Each socket's
// close is counted once, under its cause. metrics.PublishExpvar publishes
// them with the rest of Stats to expvar; package metrics/prom (a module of
// its own) exports them to Prometheus.
type Counters struct {
	Accepted        uint64 // connections the servers accepted (sockets opened)
	Connected       uint64 // outgoing connections that connected
	ConnectFailures uint64 // outgoing connects that failed, or were closed before they connected
	AcceptErrors    uint64 // accept errors, and connections refused for a bad PROXY header

	ClosedEOF      uint64 // sockets closed after the peer's end of file
	ClosedReset    uint64 // sockets closed by a reset (conditions.TCPReset)
	ClosedTimeout  uint64 // sockets closed by a read or write timeout (conditions.TCPTimeout)
	ClosedOverflow uint64 // sockets closed because a cap was reached (ErrWriteBufferFull, ErrReadBufferFull)
	ClosedByApp    uint64 // sockets the application closed (Close, ForceClose, Shutdown, Exit)
	ClosedError    uint64 // sockets closed by another error

	BytesRead     uint64 // bytes received
	BytesWritten  uint64 // bytes the kernel took
	RefusedWrites uint64 // writes refused by WithMaxWriteBuffer (each also closes its socket, unless OverflowRefuse)
}

// closeCause is what a socket's close is counted as.
type closeCause uint8

const (
	causeEOF closeCause = iota
	causeReset
	causeTimeout
	causeOverflow
	causeApp
	causeError
	numCauses
)

// causeOf classifies the close of a socket: by the application (user),
// or else by the condition ev it reports (nil for a close without one).
func causeOf(user bool, ev error) closeCause {
	switch {
	case user || ev == nil || errors.Is(ev, conditions.SocketClosed):
		return causeApp
	case errors.Is(ev, conditions.TCPEOF):
		return causeEOF
	case errors.Is(ev, conditions.TCPReset):
		return causeReset
	case errors.Is(ev, conditions.TCPTimeout):
		return causeTimeout
	case errors.Is(ev, ErrWriteBufferFull), errors.Is(ev, ErrReadBufferFull):
		return causeOverflow
	}
	return causeError
}

// reactorCounts are what one reactor's sockets did. Only the reactor
// writes them (bump: no atomic read-modify-write on the hot path); Stats
// reads them from any goroutine.
type reactorCounts struct {
	accepted, connected atomic.Uint64 // sockets opened
	closedIn, closedOut atomic.Uint64 // sockets closed
	closed              [numCauses]atomic.Uint64
	bytesRead           atomic.Uint64
	bytesWritten        atomic.Uint64
}

// bump adds n to a counter that only the calling reactor writes.
func bump(c *atomic.Uint64, n uint64) { c.Store(c.Load() + n) }

// opened counts a socket its reactor opened. Reactor only.
func (rc *reactorCounts) opened(incoming bool) {
	if incoming {
		bump(&rc.accepted, 1)
	} else {
		bump(&rc.connected, 1)
	}
}

// closedAs counts a socket its reactor closed, under its cause. Reactor
// only.
func (rc *reactorCounts) closedAs(incoming bool, cause closeCause) {
	bump(&rc.closed[cause], 1)
	if incoming {
		bump(&rc.closedIn, 1)
	} else {
		bump(&rc.closedOut, 1)
	}
}

// counters are the Loop's own counts, of what happens off the reactors.
type counters struct {
	connects      atomic.Uint64 // Socket.Connect calls that started a dial
	endedEarly    atomic.Uint64 // of those, the sockets that ended before they opened
	acceptErrors  atomic.Uint64
	refusedWrites atomic.Uint64
	nServers      atomic.Int64
	nTimers       atomic.Int64
}

// pending counts a connect that starts (delta 1) or that ends before its
// socket opened (delta -1); a socket that opens stops being pending by
// being counted as connected.
func (c *counters) pending(delta int) {
	if delta > 0 {
		c.connects.Add(uint64(delta))
	} else {
		c.endedEarly.Add(uint64(-delta))
	}
}

func (c *counters) servers(delta int) { c.nServers.Add(int64(delta)) }

func (c *counters) timers(delta int) { c.nTimers.Add(int64(delta)) }

// Stats returns what the Loop holds now, and its counters. The figures
// are read without stopping the reactors, in an order that never counts
// a socket in two places (pending and connected, say) nor none: each
// close is read before the open it follows, each open before the connect
// it follows. Safe to call from any goroutine.
func (l *Loop) Stats() Stats {
	if !l.valid() {
		return Stats{}
	}
	var st Stats
	var closedIn, closedOut uint64
	var rs []*reactor
	if l.started.Load() {
		rs = l.rs()
	}
	for _, r := range rs {
		closedIn += r.count.closedIn.Load()
		closedOut += r.count.closedOut.Load()
		for cause := range numCauses {
			n := r.count.closed[cause].Load()
			switch cause {
			case causeEOF:
				st.ClosedEOF += n
			case causeReset:
				st.ClosedReset += n
			case causeTimeout:
				st.ClosedTimeout += n
			case causeOverflow:
				st.ClosedOverflow += n
			case causeApp:
				st.ClosedByApp += n
			default:
				st.ClosedError += n
			}
		}
		st.BytesRead += r.count.bytesRead.Load()
		st.BytesWritten += r.count.bytesWritten.Load()
	}
	for _, r := range rs {
		st.Accepted += r.count.accepted.Load()
		st.Connected += r.count.connected.Load()
	}
	st.ConnectFailures = l.stats.endedEarly.Load()
	connects := l.stats.connects.Load()
	st.IncomingSockets = int(st.Accepted - closedIn)
	st.OutgoingSockets = int(st.Connected - closedOut)
	st.PendingConnects = int(connects - st.Connected - st.ConnectFailures)
	st.AcceptErrors = l.stats.acceptErrors.Load()
	st.RefusedWrites = l.stats.refusedWrites.Load()
	st.Servers = int(l.stats.nServers.Load())
	st.Timers = int(l.stats.nTimers.Load())

	st.BytesBufferedOut = l.bytesOut.Load()
	for _, r := range rs {
		st.BytesBufferedIn += r.bytesIn.Load()
		st.BytesBufferedOut += r.bytesOut.Load()
	}
	return st
}
