package core_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// halfCloseSizes are the request and reply sizes the half-close tests use.
var halfCloseSizes = []int{0, 1, 64 << 10, 8 << 20}

// reversed returns p backwards: a reply that depends on every byte.
func reversed(p []byte) []byte {
	r := make([]byte, len(p))
	for i, b := range p {
		r[len(p)-1-i] = b
	}
	return r
}

// TestCloseWrite: an asyncnet client sends a request and shuts its write
// side; the peer reads it to end of file, then replies; the client still
// reads the whole reply, then gets end of file.
func TestCloseWrite(t *testing.T) {
	for _, size := range halfCloseSizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			req := randomBytes(t, size)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			go func() { // a plain Go peer: read to EOF, reply, close
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				got, err := io.ReadAll(c)
				if err == nil {
					_, _ = c.Write(reversed(got))
				}
			}()
			var reply bytes.Buffer
			var ev error
			testutil.Run(t, func(l *core.Loop) {
				s, err := client.TCPConnect(l, ln.Addr().String(), func(_ *core.Socket, data []byte) { reply.Write(data) },
					client.WithData(req),
					core.OnEvent(func(_ *core.Socket, e error) { ev = e }))
				require.NoError(t, err)
				require.NoError(t, s.CloseWrite())
				require.NoError(t, s.CloseWrite(), "again: nothing to do")
				_, err = s.Write([]byte("late"))
				require.ErrorIs(t, err, conditions.SocketClosed, "no write after CloseWrite")
			})
			require.ErrorIs(t, ev, conditions.TCPEOF)
			require.Equal(t, sha256.Sum256(reversed(req)), sha256.Sum256(reply.Bytes()), "the whole reply, in order")
		})
	}
}

// TestAllowHalfOpen: with WithAllowHalfOpen, a server socket whose client
// shut its write side gets TCPEOF while still open, and its reply, written
// after, reaches the client whole.
func TestAllowHalfOpen(t *testing.T) {
	for _, size := range halfCloseSizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var openAtEOF bool
			addr := serve(t, func(s *core.Socket, data []byte) {
				buf, _ := s.Data().(*bytes.Buffer)
				buf.Write(data)
			}, core.WithAllowHalfOpen(),
				core.OnConnect(func(s *core.Socket) { s.SetData(new(bytes.Buffer)) }),
				core.OnEvent(func(s *core.Socket, ev error) {
					if !errors.Is(ev, conditions.TCPEOF) {
						return
					}
					openAtEOF = !s.Closed()
					_, err := s.Write(reversed(s.Data().(*bytes.Buffer).Bytes()))
					require.NoError(t, err)
					require.NoError(t, s.Close())
				}))
			c := dial(t, addr)
			req := randomBytes(t, size)
			go func() {
				_, _ = c.Write(req)
				_ = c.(*net.TCPConn).CloseWrite()
			}()
			reply, err := io.ReadAll(c)
			require.NoError(t, err)
			require.True(t, openAtEOF, "the socket was open when TCPEOF came")
			require.Equal(t, sha256.Sum256(reversed(req)), sha256.Sum256(reply))
		})
	}
}

// TestHalfOpenWithBacklog: the peer ends its side while gnet still holds
// bytes the socket wrote; the socket carries them over (the kernel counts
// what gnet's last flush wrote) and what it writes after the end of file
// follows them, byte-exact.
func TestHalfOpenWithBacklog(t *testing.T) {
	const size = 8 << 20
	payload := randomBytes(t, size)
	eof := make(chan struct{})
	addr := serve(t, echo, core.WithAllowHalfOpen(),
		core.OnConnect(func(s *core.Socket) {
			_, err := s.Write(payload)
			require.NoError(t, err)
		}),
		core.OnEvent(func(s *core.Socket, ev error) {
			if errors.Is(ev, conditions.TCPEOF) {
				_, err := s.Write([]byte("tail"))
				require.NoError(t, err)
				require.NoError(t, s.CloseWrite())
				close(eof)
			}
		}))
	c := dial(t, addr)
	require.NoError(t, c.(*net.TCPConn).CloseWrite()) // before reading anything: the server is backlogged
	testutil.Recv(t, eof, "the server's end of file")
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(append(payload, "tail"...)), sha256.Sum256(got))
}

// TestHalfCloseBothWays: both sides of an asyncnet connection shut their
// write side in turn; each gets the other's bytes and end of file, and both
// sockets close.
func TestHalfCloseBothWays(t *testing.T) {
	var fromClient, fromServer bytes.Buffer
	var serverEv error
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(_ *core.Socket, data []byte) { fromClient.Write(data) },
			core.WithAllowHalfOpen(),
			core.OnEvent(func(s *core.Socket, ev error) {
				serverEv = ev
				_, _ = s.Write([]byte("server's last words"))
				_ = s.CloseWrite() // both directions are done: the socket closes
			}))
		require.NoError(t, err)
		s, err := client.TCPConnect(l, srv.Addr().String(), func(_ *core.Socket, data []byte) { fromServer.Write(data) },
			client.WithData([]byte("client's request")),
			core.OnEvent(func(*core.Socket, error) { _ = srv.Close() }))
		require.NoError(t, err)
		require.NoError(t, s.CloseWrite())
	})
	require.ErrorIs(t, serverEv, conditions.TCPEOF)
	require.Equal(t, "client's request", fromClient.String())
	require.Equal(t, "server's last words", fromServer.String())
}

// TestPausedSocketEndedBothWays: a paused socket shuts its write side, the
// peer reads to end of file, replies and closes: the connection has ended
// both ways while paused. Enable still delivers the whole reply, then end
// of file. (gnet cannot take such a connection back: the socket reads the
// rest itself.)
func TestPausedSocketEndedBothWays(t *testing.T) {
	for _, size := range []int{1, 64 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			reply := randomBytes(t, size)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			peerDone := make(chan struct{})
			go func() {
				defer close(peerDone)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_, _ = io.ReadAll(c) // until the socket's CloseWrite
				_, _ = c.Write(reply)
				_ = c.Close()
			}()
			var got bytes.Buffer
			var ev error
			testutil.Run(t, func(l *core.Loop) {
				_, err := client.TCPConnect(l, ln.Addr().String(), func(_ *core.Socket, data []byte) { got.Write(data) },
					core.OnConnect(func(s *core.Socket) {
						require.NoError(t, s.Disable(true, false))
						require.NoError(t, s.CloseWrite())
						go func() {
							<-peerDone // the connection has ended both ways
							require.NoError(t, s.Enable(true, false))
						}()
					}),
					core.OnEvent(func(_ *core.Socket, e error) { ev = e }))
				require.NoError(t, err)
			})
			require.ErrorIs(t, ev, conditions.TCPEOF)
			require.Equal(t, reply, got.Bytes())
		})
	}
}

// TestCloseWriteAfterPeerReset: a CloseWrite racing the peer's reset
// reports the reset (conditions.TCPReset), never a bare "not connected".
// Clients send a request and reset at once; the server replies and
// half-closes as the request arrives.
func TestCloseWriteAfterPeerReset(t *testing.T) {
	odd := make(chan error, 64)
	addr := serve(t, func(s *core.Socket, _ []byte) {
		_, _ = s.Write([]byte("reply"))
		_ = s.CloseWrite()
	}, core.OnEvent(func(_ *core.Socket, ev error) {
		if !errors.Is(ev, conditions.TCPReset) && !errors.Is(ev, conditions.TCPEOF) {
			select {
			case odd <- ev:
			default:
			}
		}
	}))
	const clients, each = 4, 400
	done := make(chan error, clients)
	for range clients {
		go func() {
			for range each {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					done <- err
					return
				}
				_, _ = c.Write([]byte("request"))
				_ = c.(*net.TCPConn).SetLinger(0) // close with a reset
				_ = c.Close()
			}
			done <- nil
		}()
	}
	for range clients {
		require.NoError(t, testutil.Recv(t, done, "a client's connections"))
	}
	select {
	case ev := <-odd:
		t.Fatalf("a reset reported as something else: %v", ev)
	default:
	}
}
