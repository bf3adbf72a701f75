package core

import "sync"

// Stats is a snapshot of what a Loop holds. It is the equivalent of
// cl-async's stats.
type Stats struct {
	IncomingSockets int // connected sockets accepted by servers, not yet closed (cl-async's :incoming-tcp-connections)
	OutgoingSockets int // connected sockets this program opened, not yet closed (:outgoing-tcp-connections)
	Servers         int // servers (Listeners) not yet closed
	PendingConnects int // outgoing sockets still resolving or connecting
	Timers          int // Delay and Interval timers not yet run or stopped

	BytesBufferedIn  int64 // bytes received and kept unread (reading disabled, or a stream not reading)
	BytesBufferedOut int64 // bytes written that the kernel has not taken yet: the sum of Socket.Unsent
}

// counters keeps a Loop's Stats. One mutex makes each transition (a
// pending connect becoming a connected socket) a single step, so a
// snapshot never counts a socket twice or not at all.
type counters struct {
	mu sync.Mutex
	st Stats
}

func (c *counters) update(f func(st *Stats)) {
	c.mu.Lock()
	f(&c.st)
	c.mu.Unlock()
}

// connected counts a socket that is now connected; an outgoing one stops
// being a pending connect.
func (c *counters) connected(incoming bool) {
	c.update(func(st *Stats) {
		if incoming {
			st.IncomingSockets++
		} else {
			st.OutgoingSockets++
			st.PendingConnects--
		}
	})
}

func (c *counters) disconnected(incoming bool) {
	c.update(func(st *Stats) {
		if incoming {
			st.IncomingSockets--
		} else {
			st.OutgoingSockets--
		}
	})
}

func (c *counters) pending(delta int) { c.update(func(st *Stats) { st.PendingConnects += delta }) }

func (c *counters) servers(delta int) { c.update(func(st *Stats) { st.Servers += delta }) }

func (c *counters) timers(delta int) { c.update(func(st *Stats) { st.Timers += delta }) }

// Stats returns what the Loop holds now. Safe to call from any goroutine.
func (l *Loop) Stats() Stats {
	if !l.valid() {
		return Stats{}
	}
	l.stats.mu.Lock()
	st := l.stats.st
	l.stats.mu.Unlock()
	st.BytesBufferedOut = l.bytesOut.Load()
	if l.started.Load() {
		for _, r := range l.rs() {
			st.BytesBufferedIn += r.bytesIn.Load()
			st.BytesBufferedOut += r.bytesOut.Load()
		}
	}
	return st
}
