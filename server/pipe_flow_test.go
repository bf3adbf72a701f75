//go:build unix

package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// The behaviours of TCPServer, over a Unix socket: Shutdown, half-close,
// timeouts, the write cap, backpressure, blocking Conns.

// pattern returns n bytes that are not all alike, so that a hole or a
// reordering shows.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i/251)
	}
	return p
}

// TestPipeServerShutdown: Shutdown asks each open connection to finish
// (OnShutdown), which writes its last words and closes; Shutdown returns
// once they have all closed, and the file is gone.
func TestPipeServerShutdown(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	srv, err := server.PipeServer(l, path, echo, server.OnShutdown(func(s *core.Socket) {
		_, _ = s.Write([]byte("bye"))
		_ = s.Close()
	}))
	require.NoError(t, err)
	var conns []*net.UnixConn
	for range 3 {
		c := dialPipe(t, path)
		require.Equal(t, "hi", pipeRoundTrip(t, c, "hi"))
		conns = append(conns, c)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	for _, c := range conns {
		rest, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "bye", string(rest), "the last words, then end of file")
	}
	require.NoError(t, testutil.Recv(t, done, "Shutdown"))
	require.NoFileExists(t, path)
	_, err = net.Dial("unix", path)
	require.Error(t, err, "nobody listens any more")
}

// TestPipeServerShutdownDeadline: connections that do not finish are
// force-closed when the context ends.
func TestPipeServerShutdownDeadline(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	srv, err := server.PipeServer(l, path, echo, server.OnShutdown(func(*core.Socket) {}))
	require.NoError(t, err)
	c := dialPipe(t, path)
	require.Equal(t, "hi", pipeRoundTrip(t, c, "hi"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	_, err = io.ReadAll(c)
	require.NoError(t, err, "the connection ended")
	require.NoFileExists(t, path)
}

// TestPipeServerHalfClose: with WithAllowHalfOpen the client's end of file
// leaves the socket open for writing: the server answers the whole
// request after it; and the server's CloseWrite ends its side while it
// still reads.
func TestPipeServerHalfClose(t *testing.T) {
	t.Run("client ends first", func(t *testing.T) {
		l := testutil.Started(t)
		path := testutil.SocketPath(t)
		var got bytes.Buffer
		_, err := server.PipeServer(l, path, func(_ *core.Socket, data []byte) { got.Write(data) },
			core.WithAllowHalfOpen(),
			core.OnEvent(func(s *core.Socket, ev error) {
				if errors.Is(ev, conditions.TCPEOF) && !s.Closed() {
					// The reply goes from a goroutine of the application's,
					// after this callback, as a stream.Conn's does; written
					// inside it, it is lost (TestPipeKnownHalfOpenReplyInEOF).
					reply := "you sent " + strings.ToUpper(got.String())
					go func() {
						_, _ = s.Write([]byte(reply))
						_ = s.Close()
					}()
				}
			}))
		require.NoError(t, err)
		c := dialPipe(t, path)
		_, err = c.Write([]byte("a request in one piece"))
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		reply, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "you sent A REQUEST IN ONE PIECE", string(reply))
	})
	t.Run("server ends first", func(t *testing.T) {
		l := testutil.Started(t)
		path := testutil.SocketPath(t)
		greeting := pattern(64 << 10)
		received := make(chan []byte, 1)
		var got bytes.Buffer
		_, err := server.PipeServer(l, path, func(_ *core.Socket, data []byte) { got.Write(data) },
			core.WithAllowHalfOpen(),
			core.OnConnect(func(s *core.Socket) {
				_, _ = s.Write(greeting)
				if err := s.CloseWrite(); err != nil {
					t.Errorf("CloseWrite: %v", err) // on a reactor: not require, which must run on the test's goroutine
				}
			}),
			core.OnEvent(func(s *core.Socket, ev error) {
				if errors.Is(ev, conditions.TCPEOF) {
					received <- bytes.Clone(got.Bytes())
				}
			}))
		require.NoError(t, err)
		c := dialPipe(t, path)
		head, err := io.ReadAll(c)
		require.NoError(t, err, "the server's side ended")
		require.Equal(t, greeting, head)
		_, err = c.Write([]byte("and the client still talks"))
		require.NoError(t, err, "the server reads on after its CloseWrite")
		require.NoError(t, c.CloseWrite())
		require.Equal(t, "and the client still talks", string(testutil.Recv(t, received, "the client's words")))
	})
}

// TestPipeServerReadTimeout: an idle client is closed with TCPTimeout.
func TestPipeServerReadTimeout(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	events := make(chan error, 1)
	_, err := server.PipeServer(l, path, echo, core.WithReadTimeout(50*time.Millisecond),
		core.OnEvent(func(_ *core.Socket, ev error) { events <- ev }))
	require.NoError(t, err)
	c := dialPipe(t, path)
	ev := testutil.Recv(t, events, "the timeout")
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	_, err = io.ReadAll(c)
	require.NoError(t, err, "the server closed the connection")
}

// TestPipeServerWriteCap: a client that does not read fills the kernel's
// buffers, then the write cap; with OverflowRefuse the refused writes
// queue nothing, and once the client reads, every accepted byte arrives in
// order: no hole.
func TestPipeServerWriteCap(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	const chunk, limit = 16 << 10, 256 << 10
	type result struct {
		sent []byte
		err  error
	}
	results := make(chan result, 1)
	_, err := server.PipeServer(l, path, func(s *core.Socket, _ []byte) {
		var sent []byte
		for i := 0; ; i++ {
			p := bytes.Repeat([]byte{byte(i)}, chunk)
			if _, err := s.Write(p); err != nil {
				results <- result{sent: sent, err: err}
				_ = s.Close()
				return
			}
			sent = append(sent, p...)
		}
	}, core.WithMaxWriteBuffer(limit), core.WithWriteWatermarks(chunk, 2*chunk),
		core.WithWriteOverflow(core.OverflowRefuse))
	require.NoError(t, err)
	c := dialPipe(t, path)
	_, err = c.Write([]byte("go"))
	require.NoError(t, err)
	r := testutil.Recv(t, results, "a refused write")
	require.ErrorIs(t, r.err, core.ErrWriteBufferFull)
	require.GreaterOrEqual(t, len(r.sent), limit-chunk, "the cap was reached")
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, len(r.sent), len(got))
	require.True(t, bytes.Equal(r.sent, got), "every accepted byte, in order")
}

// TestPipeServerPause: Disable(read) holds a flooding client back in the
// kernel (the socket stops reading), not in the server's memory; Enable
// reads on, and every byte arrives.
func TestPipeServerPause(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	const limit, size = 64 << 10, 1 << 20
	paused := make(chan *core.Socket, 1)
	var got bytes.Buffer
	done := make(chan struct{})
	_, err := server.PipeServer(l, path, func(_ *core.Socket, data []byte) {
		if got.Write(data); got.Len() == size {
			close(done)
		}
	}, core.WithMaxReadBuffer(limit), core.OnConnect(func(s *core.Socket) {
		require.NoError(t, s.Disable(true, false))
		paused <- s
	}))
	require.NoError(t, err)
	c := dialPipe(t, path)
	s := testutil.Recv(t, paused, "the pause")
	want := pattern(size)
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		wrote <- err
	}()
	testutil.WaitForStacks(t, 1, "internal/poll.(*pollDesc).waitWrite") // the kernel holds the writer back
	require.False(t, s.Closed(), "no overflow: the bytes wait in the kernel")
	require.LessOrEqual(t, s.Buffered(), limit)
	require.NoError(t, s.Enable(true, false))
	require.NoError(t, testutil.Recv(t, wrote, "the client's write"))
	testutil.Recv(t, done, "every byte")
	require.True(t, bytes.Equal(want, got.Bytes()), "in order, no hole")
}

// TestPipeServerNetConn: a pipe server's sockets serve blocking code
// through stream.NetConn, as server.Listen's do: a line protocol on bufio.
func TestPipeServerNetConn(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	served := make(chan error, 1)
	_, err := server.PipeServer(l, path, func(*core.Socket, []byte) {},
		core.WithDontDrainReadBuffer(), core.WithAllowHalfOpen(),
		core.OnConnect(func(s *core.Socket) {
			conn, err := stream.NetConn(s)
			if err != nil {
				served <- err
				return
			}
			go func() { // blocking code runs off the reactor
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err == io.EOF {
						served <- nil
						return
					}
					if err != nil {
						served <- err
						return
					}
					if _, err := conn.Write([]byte(strings.ToUpper(line))); err != nil {
						served <- err
						return
					}
				}
			}()
		}))
	require.NoError(t, err)
	c := dialPipe(t, path)
	br := bufio.NewReader(c)
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		_, err := c.Write([]byte(line))
		require.NoError(t, err)
		got, err := br.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, strings.ToUpper(line), got)
	}
	require.NoError(t, c.CloseWrite())
	require.NoError(t, testutil.Recv(t, served, "the blocking handler"))
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	require.Empty(t, rest)
}
