package client_test

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// TestOnShutdownLetsTheReplyFinish: an outgoing socket given OnShutdown
// is asked, not closed, by the Loop's Shutdown: the reply under way still
// arrives, and the socket closes when its callback says so.
func TestOnShutdownLetsTheReplyFinish(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	ended := make(chan error, 1)
	go func() { ended <- l.Wait() }()

	asked := make(chan struct{})
	var calls atomic.Int32
	var got []byte
	_, err = client.TCPConnect(l, ln.Addr().String(), func(s *core.Socket, data []byte) {
		got = append(got, data...)
		if string(got) == "the reply" {
			_ = s.Close()
		}
	}, client.OnShutdown(func(s *core.Socket) {
		require.True(t, l.InReactor())
		if calls.Add(1) == 1 {
			close(asked)
		}
	}), client.WithData([]byte("request")))
	require.NoError(t, err)
	peer, err := ln.Accept()
	require.NoError(t, err)
	defer peer.Close()
	_, err = io.ReadFull(peer, make([]byte, len("request")))
	require.NoError(t, err)

	shut := make(chan error, 1)
	go func() { shut <- l.Shutdown(context.Background()) }()
	testutil.Recv(t, asked, "OnShutdown")
	_, err = peer.Write([]byte("the reply")) // after the Shutdown began
	require.NoError(t, err)
	require.NoError(t, testutil.Recv(t, shut, "Shutdown"))
	require.NoError(t, testutil.Recv(t, ended, "the Loop's end"))
	require.Equal(t, "the reply", string(got))
	require.EqualValues(t, 1, calls.Load())
	rest, err := io.ReadAll(peer)
	require.NoError(t, err, "closed gracefully")
	require.Empty(t, rest)
}
