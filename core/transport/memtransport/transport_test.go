package memtransport_test

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core/transport/memtransport"
	"github.com/asyncnet/asyncnet/core/transport/transporttest"
)

// TestConformanceMemory runs the conformance suite on the in-memory
// network's connections.
func TestConformanceMemory(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transporttest.Setup {
		nw := memtransport.NewNetwork()
		ln, err := nw.Listen("127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		return transporttest.Setup{
			Transport: memtransport.New(nw),
			Pair: func() (net.Conn, net.Conn, error) {
				peer, err := nw.Dial(context.Background(), ln.Addr().String())
				if err != nil {
					return nil, nil, err
				}
				local, err := ln.Accept()
				return local, peer, err
			},
		}
	})
}

// TestConformanceTCP runs the conformance suite on loopback TCP
// connections, which memtransport bridges with goroutines.
func TestConformanceTCP(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transporttest.Setup {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		return transporttest.Setup{
			Transport: memtransport.New(nil),
			Pair: func() (net.Conn, net.Conn, error) {
				peer, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return nil, nil, err
				}
				local, err := ln.Accept()
				return local, peer, err
			},
		}
	})
}
