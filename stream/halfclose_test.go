package stream_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/stream"
)

// TestConnCloseWrite: a Conn from client.Dial sends a request and shuts its
// write side, then reads the whole reply, as a *net.TCPConn would; a Conn
// from server.Listen reads to end of file and still writes its reply.
func TestConnCloseWrite(t *testing.T) {
	for _, size := range []int{0, 1, 64 << 10, 8 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			l := runLoop(t)
			ln := listen(t, l)
			req := bytes.Repeat([]byte("request!"), size/8+1)[:size]
			served := make(chan error, 1)
			go func() { // the server: read to EOF, reply with what it read, close
				c, err := ln.Accept()
				if err != nil {
					served <- err
					return
				}
				defer c.Close()
				got, err := io.ReadAll(c)
				if err == nil {
					_, err = c.Write(got)
				}
				served <- err
			}()
			c, err := client.Dial(l, ln.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			go func() {
				_, _ = c.Write(req)
				_ = c.CloseWrite()
			}()
			reply, err := io.ReadAll(c)
			require.NoError(t, err)
			require.NoError(t, testutil.Recv(t, served, "the server"))
			require.True(t, bytes.Equal(req, reply), "the reply, whole")
			_, err = c.Write([]byte("late"))
			require.Error(t, err, "no write after CloseWrite")
		})
	}
}

// TestConnCloseRead: after CloseRead, Read reports end of file and what
// the peer sends is dropped, never holding the peer back; writing goes on.
func TestConnCloseRead(t *testing.T) {
	l := runLoop(t)
	ln := listen(t, l)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	peer, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer peer.Close()
	c := testutil.Recv(t, accepted, "the connection").(*stream.Conn)
	defer c.Close()
	require.NoError(t, c.CloseRead())
	n, err := c.Read(make([]byte, 10))
	require.Zero(t, n)
	require.ErrorIs(t, err, io.EOF)
	_, err = peer.Write(make([]byte, 16<<20)) // more than any buffer: it is being dropped
	require.NoError(t, err)
	_, err = c.Write([]byte("still writing"))
	require.NoError(t, err)
	buf := make([]byte, len("still writing"))
	_, err = io.ReadFull(peer, buf)
	require.NoError(t, err)
	require.Equal(t, "still writing", string(buf))
}
