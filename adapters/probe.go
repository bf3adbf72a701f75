package adapters

import (
	"fmt"
	"io"
	"net"

	"github.com/panjf2000/gnet/v2"
)

// discover finds the event loops of an engine, for the engine of its own
// and for an application's: gnet has no API that lists them, and a loop
// with no connection is otherwise out of reach. So probe connections (Unix
// socket pairs) are registered one after the other with register, which
// hands each to the engine's balancer; each probe's OnOpen sends its event
// loop on opened. A least-connections balancer puts each probe on a loop
// that has none yet; discover stops when a probe lands on a loop already
// found (the balancer came back round) or after limit loops. The EventLoop
// handles stay valid after the probes close.
func discover(register func(nc net.Conn) error, opened <-chan gnet.EventLoop, limit int) ([]gnet.EventLoop, error) {
	newProbe, peers := newProbes()
	defer peers.Close()
	var loops []gnet.EventLoop
	seen := make(map[gnet.EventLoop]bool, limit)
	for len(loops) < limit {
		nc, err := newProbe()
		if err != nil {
			return nil, fmt.Errorf("asyncnet: probe: %w", err)
		}
		if err := register(nc); err != nil {
			return nil, fmt.Errorf("asyncnet: finding the event loops: %w", err)
		}
		el := <-opened
		if seen[el] {
			break
		}
		seen[el] = true
		loops = append(loops, el)
	}
	return loops, nil
}

// closers closes every element.
type closers []io.Closer

func (cs *closers) Close() error {
	for _, c := range *cs {
		_ = c.Close()
	}
	*cs = nil
	return nil
}
