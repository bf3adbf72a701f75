package adapters

import (
	"fmt"
	"io"
	"net"

	"github.com/panjf2000/gnet/v2"
)

// discoverLoops returns the n event loops of cli. gnet has no API that
// lists them, and a loop with no connection is otherwise out of reach, so n
// probe connections (from newProbe) are enrolled one after the other: the
// client's least-connections balancing puts each on a loop that has none
// yet. The caller closes the probes' peers afterwards; the EventLoop handles
// stay valid.
func discoverLoops(cli *gnet.Client, opened <-chan gnet.EventLoop, n int, newProbe func() (net.Conn, error)) ([]gnet.EventLoop, error) {
	loops := make([]gnet.EventLoop, 0, n)
	seen := make(map[gnet.EventLoop]bool, n)
	for range n {
		nc, err := newProbe()
		if err != nil {
			return nil, fmt.Errorf("asyncnet: probe: %w", err)
		}
		if _, err := cli.EnrollContext(nc, probeConn{}); err != nil { // returns after OnOpen
			return nil, fmt.Errorf("asyncnet: probe: %w", err)
		}
		el := <-opened
		if seen[el] {
			return nil, fmt.Errorf("asyncnet: probe landed twice on one event loop")
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
