package adapters

import (
	"net"
	"slices"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/core/transport"
)

// Taking connections: a rule's connections become asyncnet sockets; those
// the engine accepts before the Loop has its event loops wait (pending)
// and are adopted once it has them, with what they received meanwhile,
// and their end of file if it came (ended).

// pendingTake marks a connection a rule took before the Loop was ready.
type pendingTake struct{ ru *rule }

// take makes c, which ru matched, an asyncnet socket, or keeps it (and the
// bytes it receives) until the Loop is ready. Event loop only.
func (p *Plugin) take(c gnet.Conn, ru *rule) gnet.Action {
	p.mu.Lock()
	if !p.ready {
		p.pending[c] = struct{}{}
		c.SetContext(pendingTake{ru})
		p.mu.Unlock()
		return gnet.None
	}
	p.mu.Unlock()
	r := p.reactorOf(c.EventLoop())
	ch := ru.acc.Socket()
	if r == nil || ch == nil { // the Loop has ended: nobody to serve it
		return gnet.Close
	}
	cn := newConn(r, ch)
	c.SetContext(cn)
	return cn.opened(c)
}

// adoptPending runs once the Loop is ready: it wakes the connections taken
// before, whose OnTraffic then adopts them.
func (p *Plugin) adoptPending() {
	p.mu.Lock()
	p.ready = true
	cs := make([]gnet.Conn, 0, len(p.pending))
	for c := range p.pending {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Wake(nil) // gnet ignores a connection closed meanwhile
	}
	p.mu.Lock()
	ended := p.ended
	p.ended = nil
	p.mu.Unlock()
	for _, et := range ended {
		p.enrollEnded(et)
	}
}

// endedTake is a connection a rule took before the Loop was ready whose
// peer ended its side meanwhile: gnet closes a connection at the peer's
// end of file, so it lives on as a duplicate of its descriptor, with the
// bytes gnet had read, until the Loop can take it.
type endedTake struct {
	ru   *rule
	el   gnet.EventLoop
	nc   net.Conn
	data []byte
}

// keepEnded keeps c, taken before the Loop was ready, whose peer has just
// ended its side (gnet's OnClose), for the Loop: its bytes and its end of
// file are delivered as if the Loop had been there. Event loop only.
func (p *Plugin) keepEnded(c gnet.Conn, pt pendingTake) {
	data, _ := c.Peek(-1)
	data = slices.Clone(data)
	nc, err := dupConn(c)
	if err != nil {
		p.loop.Logger().Warn("asyncnet: a connection ended before the Loop was ready and cannot be kept; its bytes are dropped",
			"remote", c.RemoteAddr(), "bytes", len(data), "err", err)
		return
	}
	et := endedTake{ru: pt.ru, el: c.EventLoop(), nc: nc, data: data}
	p.mu.Lock()
	if !p.ready {
		p.ended = append(p.ended, et)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.enrollEnded(et)
}

// enrollEnded hands et to the Loop: it is enrolled again on its event loop
// (gnet then reports the end of file), its bytes delivered first. The
// socket is made when it opens.
func (p *Plugin) enrollEnded(et endedTake) {
	r := p.reactorOf(et.el)
	if r == nil {
		_ = et.nc.Close()
		return
	}
	cn := newConn(r, &lateSocket{acc: et.ru.acc})
	_, _ = cn.keep().Write(et.data)
	hb := p.hub
	hb.bg.Add(1)
	go func() {
		defer hb.bg.Done()
		if err := r.enrollConn(et.nc, cn); err != nil {
			p.loop.Logger().Warn("asyncnet: a connection ended before the Loop was ready and cannot be handed to it; its bytes are dropped",
				"remote", et.nc.RemoteAddr(), "bytes", len(et.data), "err", err)
		}
	}()
}

// lateSocket is the ConnHandler of an endedTake: the Loop's socket is
// made when the connection opens, since a socket made is one the Loop
// waits for.
type lateSocket struct {
	acc *core.Acceptor
	transport.ConnHandler
}

func (ls *lateSocket) OnOpen(reactor int, c transport.Conn) bool {
	if ls.ConnHandler = ls.acc.Socket(); ls.ConnHandler == nil {
		return false // the Loop has ended
	}
	return ls.ConnHandler.OnOpen(reactor, c)
}

// adoptLate adopts c, taken before the Loop was ready, once it is, and
// hands it the bytes it received meanwhile. Event loop only.
func (p *Plugin) adoptLate(c gnet.Conn, pt pendingTake) gnet.Action {
	p.mu.Lock()
	ready := p.ready
	if ready {
		delete(p.pending, c)
	}
	p.mu.Unlock()
	if !ready {
		return gnet.None // the bytes stay in gnet's buffer
	}
	c.SetContext(nil)
	action := p.take(c, pt.ru)
	if cn := ownedConn(c); action == gnet.None && cn != nil && c.InboundBuffered() > 0 {
		cn.traffic()
	}
	return action
}
