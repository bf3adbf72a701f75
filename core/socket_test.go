package core_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// serve starts an asyncnet server in a Loop running on its own goroutine
// and returns its address; the Loop exits when the test ends.
func serve(t *testing.T, onRead core.ReadFunc, opts ...server.Option) string {
	t.Helper()
	l := core.NewLoop()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- l.Run(func(l *core.Loop) {
			srv, err := server.TCPServer(l, "127.0.0.1:0", onRead, opts...)
			if err != nil {
				addr <- ""
				t.Error(err)
				return
			}
			addr <- srv.Addr().String()
		})
	}()
	t.Cleanup(func() {
		l.Exit()
		require.NoError(t, testutil.Recv(t, done, "Run to return"))
	})
	a := testutil.Recv(t, addr, "server")
	require.NotEmpty(t, a)
	return a
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	_, err := rand.Read(p)
	require.NoError(t, err)
	return p
}

// slowRead reads c to the end in small pieces with pauses, like a peer on a
// slow link, and returns what it read and how the stream ended.
func slowRead(c net.Conn) ([]byte, error) {
	var got bytes.Buffer
	buf := make([]byte, 32<<10)
	for i := 0; ; i++ {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			return got.Bytes(), err
		}
		if i%8 == 0 {
			time.Sleep(time.Millisecond) // the slowness under test, not synchronisation
		}
	}
}

// TestWritesFromManyGoroutines hammers one socket from many goroutines:
// every record arrives, and each goroutine's records arrive in order.
func TestWritesFromManyGoroutines(t *testing.T) {
	const writers, records = 16, 500
	addr := serve(t, echo, core.OnConnect(func(s *core.Socket) {
		go func() {
			var wg sync.WaitGroup
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range records {
						_, err := s.Write([]byte(fmt.Sprintf("%d,%d\n", g, i)))
						if err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			_ = s.Close()
		}()
	}))
	c := dial(t, addr)
	next := make([]int, writers)
	sc := bufio.NewScanner(c)
	total := 0
	for sc.Scan() {
		g, i, ok := strings.Cut(sc.Text(), ",")
		require.True(t, ok, "record %q", sc.Text())
		gi, _ := strconv.Atoi(g)
		ii, _ := strconv.Atoi(i)
		require.Equal(t, next[gi], ii, "writer %d out of order", gi)
		next[gi]++
		total++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, writers*records, total)
}

// TestWritesBeforeConnect: bytes written before the connection exists are
// sent in order, in one piece, after the connect callback (cl-async: "hai ").
func TestWritesBeforeConnect(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			note("server read " + string(data))
			_ = s.Close()
		})
		require.NoError(t, err)
		s, err := client.TCPConnect(l, srv.Addr().String(), echo,
			client.WithData([]byte("ha")),
			core.OnConnect(func(s *core.Socket) {
				note("connect")
				_, _ = s.Write([]byte("X"))
			}),
			core.OnEvent(func(s *core.Socket, ev error) {
				require.ErrorIs(t, ev, conditions.TCPEOF)
				_ = srv.Close()
			}))
		require.NoError(t, err)
		_, err = s.Write([]byte("i "))
		require.NoError(t, err)
	})
	require.Equal(t, []string{"connect", "server read hai X"}, order)
}

// outbound returns how many bytes written to s the kernel does not have:
// those the socket holds, and on gnet those in gnet's own buffer
// (memtransport's Unsent counts every byte it holds).
func outbound(s *core.Socket) int {
	n := s.Unsent()
	if c := adapters.SocketC(s); c != nil {
		n += c.OutboundBuffered()
	}
	return n
}

// TestWriteCallbackMeansKernel: the write callback fires only once the
// kernel has every byte (neither the socket nor gnet holds any), not when
// they were merely queued.
func TestWriteCallbackMeansKernel(t *testing.T) {
	const size = 8 << 20
	var backlogSeen, firedEarly atomic.Bool
	var writeCBs atomic.Int32
	startReading := make(chan struct{})
	var outboundAtCB atomic.Int64
	addr := serve(t, func(s *core.Socket, data []byte) {
		switch string(data) {
		case "go":
			_ = s.WriteSocketData(make([]byte, size), core.OnWrite(func(s *core.Socket) {
				writeCBs.Add(1)
				outboundAtCB.Store(int64(outbound(s)))
				_ = s.Close()
			}))
		case "check": // the big write was flushed when "go" returned
			backlogSeen.Store(s.Unsent() > 0)
			firedEarly.Store(writeCBs.Load() > 0)
			close(startReading)
		}
	})
	c := dial(t, addr)
	_, err := c.Write([]byte("go"))
	require.NoError(t, err)
	// Wait until the server is backlogged: the kernel buffers fill before
	// 8 MiB, so a read of "check" after the first bytes arrive proves it.
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(t, err)
	_, err = c.Write([]byte("check"))
	require.NoError(t, err)
	testutil.Recv(t, startReading, "check")
	require.True(t, backlogSeen.Load(), "8 MiB must not fit in the kernel at once")
	require.False(t, firedEarly.Load(), "write callback fired while bytes were still unsent")
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Len(t, got, size-1)
	require.Equal(t, int32(1), writeCBs.Load())
	require.Zero(t, outboundAtCB.Load(), "nothing left unsent when the write callback ran")
}

// TestGracefulCloseDeliversEverything: 8 MiB written then Close at once
// reach a slow reader whole, then end of file.
func TestGracefulCloseDeliversEverything(t *testing.T) {
	payload := randomBytes(t, 8<<20)
	addr := serve(t, func(s *core.Socket, data []byte) {
		_, _ = s.Write(payload)
		_ = s.Close()
		require.True(t, s.Closed())
		_, err := s.Write([]byte("late"))
		require.ErrorIs(t, err, conditions.SocketClosed)
		require.ErrorIs(t, err, net.ErrClosed)
	})
	c := dial(t, addr)
	_, err := c.Write([]byte("go"))
	require.NoError(t, err)
	got, err := slowRead(c)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, sha256.Sum256(payload), sha256.Sum256(got), "received %d of %d bytes", len(got), len(payload))
}

// TestForceCloseDropsUnsent: ForceClose resets the connection; the peer
// gets less than was written.
func TestForceCloseDropsUnsent(t *testing.T) {
	const size = 8 << 20
	addr := serve(t, func(s *core.Socket, data []byte) {
		_, _ = s.Write(make([]byte, size))
		_ = s.ForceClose()
		_ = s.ForceClose() // idempotent
		_ = s.Close()
	})
	c := dial(t, addr)
	_, err := c.Write([]byte("go"))
	require.NoError(t, err)
	got, err := slowRead(c)
	require.Less(t, len(got), size)
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF), "got %v", err)
}

// TestClosedSocketOperations: after Close every operation but Close
// reports conditions.SocketClosed, and Close is idempotent.
func TestClosedSocketOperations(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		s, err := core.NewSocket(l, echo)
		require.NoError(t, err)
		require.False(t, s.Closed())
		require.NoError(t, s.Close())
		require.NoError(t, s.Close())
		require.NoError(t, s.ForceClose())
		require.True(t, s.Closed())
		_, err = s.Write([]byte("x"))
		require.ErrorIs(t, err, conditions.SocketClosed)
		require.ErrorIs(t, s.WriteSocketData([]byte("x")), conditions.SocketClosed)
		require.ErrorIs(t, s.WriteSocketData(nil, core.OnWrite(func(*core.Socket) {})), conditions.SocketClosed)
		require.ErrorIs(t, s.Connect("127.0.0.1:1", nil), core.ErrInvalidArgument)
		err = s.Connect("127.0.0.1:1", func(context.Context) (net.Conn, error) { return nil, nil })
		require.ErrorIs(t, err, conditions.SocketClosed)
		require.Same(t, s, core.TCPSocket(err), "the condition carries its socket")
	})
}

// TestNoStaleWrites churns connections while another goroutine keeps
// writing to the sockets that have closed. gnet reuses descriptor numbers,
// so a write that reached a stale descriptor would land on a new
// connection: every client must receive exactly its own bytes.
func TestNoStaleWrites(t *testing.T) {
	var mu sync.Mutex
	var old []*core.Socket
	stop := make(chan struct{})
	var staleErrs atomic.Int64
	addr := serve(t, func(s *core.Socket, data []byte) {
		_, _ = s.Write(data)
		_ = s.Close()
		mu.Lock()
		old = append(old, s)
		mu.Unlock()
	})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			socks := append([]*core.Socket(nil), old...)
			mu.Unlock()
			for _, s := range socks {
				if _, err := s.Write([]byte("STALE!!!")); err != nil {
					require.ErrorIs(t, err, conditions.SocketClosed)
					staleErrs.Add(1)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
				if !assertNoErr(t, err) {
					return
				}
				id := make([]byte, 8)
				binary.BigEndian.PutUint64(id, uint64(w)<<32|uint64(i))
				_, err = c.Write(id)
				assertNoErr(t, err)
				got, err := io.ReadAll(c)
				_ = c.Close()
				assertNoErr(t, err)
				if !bytes.Equal(id, got) {
					t.Errorf("client %d/%d got %q, want its own id %x", w, i, got, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-writerDone
	require.Positive(t, staleErrs.Load(), "the stale writes were attempted")
}

func assertNoErr(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

// TestErrorClosesWithOneEvent: a reset from the peer closes the socket and
// the event callback gets conditions.TCPReset once, with the socket closed.
func TestErrorClosesWithOneEvent(t *testing.T) {
	tests := []struct {
		name  string
		close func(c *net.TCPConn)
		want  *conditions.Kind
		std   error
	}{
		{name: "reset", close: func(c *net.TCPConn) { _ = c.SetLinger(0); _ = c.Close() }, want: conditions.TCPReset, std: syscall.ECONNRESET},
		{name: "eof", close: func(c *net.TCPConn) { _ = c.CloseWrite() }, want: conditions.TCPEOF, std: io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var events []error
			var sockets []*core.Socket
			var closedInCB []bool
			addrCh := make(chan string, 1)
			read := make(chan struct{})
			l := core.NewLoop()
			go func() {
				c, err := net.DialTimeout("tcp", testutil.Recv(t, addrCh, "addr"), testutil.Timeout)
				if !assertNoErr(t, err) {
					return
				}
				defer c.Close()
				_, _ = c.Write([]byte("hello"))
				testutil.Recv(t, read, "the server's read")
				tc.close(c.(*net.TCPConn))
			}()
			require.NoError(t, testutil.RunErr(t, l, func(l *core.Loop) {
				var srv *server.Server
				var err error
				srv, err = server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
					require.Equal(t, "hello", string(data))
					close(read)
				}, core.OnEvent(func(s *core.Socket, ev error) {
					events = append(events, ev)
					sockets = append(sockets, core.TCPSocket(ev))
					closedInCB = append(closedInCB, s.Closed())
					_ = srv.Close()
				}))
				require.NoError(t, err)
				addrCh <- srv.Addr().String()
			}))
			require.Len(t, events, 1, "exactly one event")
			require.ErrorIs(t, events[0], tc.want)
			require.ErrorIs(t, events[0], tc.std)
			require.NotNil(t, sockets[0])
			require.True(t, closedInCB[0])
			require.Contains(t, events[0].Error(), "127.0.0.1:", "the message names the peer")
		})
	}
}

// TestReadChunksAreBounded: no read callback carries more than 64 KiB.
func TestReadChunksAreBounded(t *testing.T) {
	payload := randomBytes(t, 4<<20)
	var maxChunk int
	var got bytes.Buffer
	finished := make(chan struct{})
	addr := serve(t, func(s *core.Socket, data []byte) {
		maxChunk = max(maxChunk, len(data))
		got.Write(data)
		if got.Len() == len(payload) {
			close(finished)
		}
	})
	c := dial(t, addr)
	_, err := c.Write(payload)
	require.NoError(t, err)
	testutil.Recv(t, finished, "all bytes")
	require.LessOrEqual(t, maxChunk, core.MaxReadChunk)
	require.Equal(t, payload, got.Bytes())
}

// TestPeerEOFKeepsUnsentBytes: the peer sends a request and ends its side
// at once (a half close); the reply is larger than the kernel buffers, so
// gnet still holds most of it when it sees the end of file. Every byte must
// still reach the peer, then end of file.
func TestPeerEOFKeepsUnsentBytes(t *testing.T) {
	payload := randomBytes(t, 8<<20)
	events := make(chan error, 4)
	addr := serve(t, func(s *core.Socket, data []byte) {
		_, _ = s.Write(payload)
	}, core.OnEvent(func(s *core.Socket, ev error) { events <- ev }))
	c := dial(t, addr).(*net.TCPConn)
	_, err := c.Write([]byte("GET"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	require.ErrorIs(t, testutil.Recv(t, events, "end of file"), conditions.TCPEOF)
	got, err := slowRead(c)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, sha256.Sum256(payload), sha256.Sum256(got), "received %d of %d bytes", len(got), len(payload))
	require.Empty(t, events, "one event only")
}
