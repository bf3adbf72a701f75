package adapters

import (
	"io"
	"net"
)

// newProbes returns a source of probe connections (for discoverLoops).
// Windows has no socket pairs, so they are loopback TCP connections; the
// returned io.Closer closes the listener and the accepted ends.
func newProbes() (func() (net.Conn, error), io.Closer) {
	var peers closers
	var ln net.Listener
	return func() (net.Conn, error) {
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				return nil, err
			}
			peers = append(peers, ln)
		}
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		peer, err := ln.Accept()
		if err != nil {
			_ = nc.Close()
			return nil, err
		}
		peers = append(peers, peer)
		return nc, nil
	}, &peers
}
