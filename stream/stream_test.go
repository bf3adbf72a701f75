package stream_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

func TestMain(m *testing.M) { testutil.Main(testutil.OnTransport(m)) }

func ignore(*core.Socket, []byte) {}

// drain reads st until it is empty and returns what it read.
func drain(t *testing.T, st *stream.AsyncIOStream) string {
	var b bytes.Buffer
	buf := make([]byte, 1024)
	for {
		n, err := st.Read(buf)
		b.Write(buf[:n])
		if n == 0 {
			if !errors.Is(err, stream.ErrWouldBlock) && !errors.Is(err, io.EOF) {
				t.Errorf("read: %v", err)
			}
			return b.String()
		}
	}
}

// TestServerStream ports cl-async's tcp-server-stream: a stream server reads
// until the stream is empty and sees "HELLO!".
func TestServerStream(t *testing.T) {
	var serverData string
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		srv, err = server.TCPServerStream(l, "127.0.0.1:0", func(s *core.Socket, st *stream.AsyncIOStream) {
			serverData += drain(t, st)
			_ = s.Close()
			_ = srv.Close()
		})
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), ignore, client.WithData([]byte("HELLO!")))
		require.NoError(t, err)
	})
	require.Equal(t, "HELLO!", serverData)
}

// TestStreamReadWriteSequence ports cl-async's stream-read-write-sequence:
// a client stream written before it is connected; a server answering
// through an ad-hoc stream over its socket.
func TestStreamReadWriteSequence(t *testing.T) {
	var serverData, clientData string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			serverData = string(data)
			_, err := stream.NewAsyncIOStream(s).Write([]byte("don't say that"))
			require.NoError(t, err)
		})
		require.NoError(t, err)
		st, err := client.TCPConnectStream(l, srv.Addr().String(), func(s *core.Socket, st *stream.AsyncIOStream) {
			buf := make([]byte, 8096)
			n, _ := st.Read(buf)
			clientData = string(buf[:n])
			_ = s.Close()
			_ = srv.Close()
		})
		require.NoError(t, err)
		_, err = st.Write([]byte("can i have your coat?"))
		require.NoError(t, err)
	})
	require.Equal(t, "can i have your coat?", serverData)
	require.Equal(t, "don't say that", clientData)
}

// TestDontDrainPlusStream is cl-async's first stream example: a plain
// socket made with WithDontDrainReadBuffer, wrapped in a stream.
func TestDontDrainPlusStream(t *testing.T) {
	var got string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, _ = s.Write(data)
		})
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			require.Nil(t, data, "a notification only")
			got += drain(t, stream.NewAsyncIOStream(s))
			if len(got) == len("GET /") {
				_ = s.Close()
				_ = srv.Close()
			}
		}, core.WithDontDrainReadBuffer(), client.WithData([]byte("GET /")))
		require.NoError(t, err)
	})
	require.Equal(t, "GET /", got)
}

// TestPartialReadsKeepOrder: bytes not read in a callback stay, in order,
// for a later read; a callback comes again when more bytes arrive.
func TestPartialReadsKeepOrder(t *testing.T) {
	var got bytes.Buffer
	var wouldBlock error
	var callbacks int
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		srv, err = server.TCPServerStream(l, "127.0.0.1:0", func(s *core.Socket, st *stream.AsyncIOStream) {
			callbacks++
			buf := make([]byte, 3)
			n, _ := st.Read(buf) // only part of what is there
			got.Write(buf[:n])
			if callbacks == 1 {
				_, _ = s.Write([]byte("more")) // ask for the second part
			}
			if callbacks == 2 {
				l.Delay(0, func() { // later, outside the callback
					got.WriteString(drain(t, st))
					_, wouldBlock = st.Read(buf)
					_ = s.Close()
					_ = srv.Close()
				})
			}
		}, core.OnConnect(func(s *core.Socket) {
			_, wouldBlock = stream.NewAsyncIOStream(s).Read(make([]byte, 1))
			require.ErrorIs(t, wouldBlock, stream.ErrWouldBlock, "nothing has arrived yet")
		}))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			_, _ = s.Write([]byte("ABCDEFGHIJ"))
		}, client.WithData([]byte("0123456789")))
		require.NoError(t, err)
	}, core.WithReactors(1))
	require.Equal(t, "0123456789ABCDEFGHIJ", got.String())
	require.Equal(t, 2, callbacks, "one callback per arrival")
	require.ErrorIs(t, wouldBlock, stream.ErrWouldBlock)
}

// TestEOFAfterDrain: bytes that arrived before the peer closed stay
// readable in the event callback; then Read returns io.EOF.
func TestEOFAfterDrain(t *testing.T) {
	var ev, afterErr error
	var inEvent string
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		srv, err = server.TCPServerStream(l, "127.0.0.1:0", func(*core.Socket, *stream.AsyncIOStream) {
			// read nothing now
		}, core.OnEvent(func(s *core.Socket, e error) {
			ev = e
			st := stream.NewAsyncIOStream(s)
			inEvent = drain(t, st)
			_, afterErr = st.Read(make([]byte, 1))
			_ = srv.Close()
		}))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), ignore, client.WithData([]byte("bye")),
			core.OnConnect(func(s *core.Socket) { _ = s.Close() }))
		require.NoError(t, err)
	})
	require.ErrorIs(t, ev, conditions.TCPEOF)
	require.Equal(t, "bye", inEvent)
	require.ErrorIs(t, afterErr, io.EOF)
}

// TestSixteenMiBThroughStreams: a stream client sends 16 MiB; a stream
// server echoes it with WriteTo (no copy of its own); it comes back intact.
func TestSixteenMiBThroughStreams(t *testing.T) {
	payload := make([]byte, 16<<20)
	_, err := rand.Read(payload)
	require.NoError(t, err)
	h := sha256.New()
	var got int
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServerStream(l, "127.0.0.1:0", func(s *core.Socket, st *stream.AsyncIOStream) {
			_, _ = st.WriteTo(s)
		})
		require.NoError(t, err)
		st, err := client.TCPConnectStream(l, srv.Addr().String(), func(s *core.Socket, st *stream.AsyncIOStream) {
			n, _ := st.WriteTo(h)
			if got += int(n); got == len(payload) {
				_ = s.Close()
				_ = srv.Close()
			}
		})
		require.NoError(t, err)
		_, err = st.Write(payload)
		require.NoError(t, err)
	})
	require.Equal(t, len(payload), got)
	require.Equal(t, sha256.Sum256(payload), [32]byte(h.Sum(nil)))
}

// TestConcurrentReadersAndWriters: goroutines read one stream and write
// another at once; every byte is read exactly once (run with -race).
func TestConcurrentReadersAndWriters(t *testing.T) {
	const writers, readers, per = 4, 4, 64 << 10
	var count [256]atomic.Int64
	var total atomic.Int64
	done := make(chan struct{})
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServerStream(l, "127.0.0.1:0", func(*core.Socket, *stream.AsyncIOStream) {},
			core.OnConnect(func(s *core.Socket) {
				st := stream.NewAsyncIOStream(s)
				for range readers {
					go func() {
						buf := make([]byte, 777)
						for total.Load() < writers*per {
							n, err := st.Read(buf)
							for _, b := range buf[:n] {
								count[b].Add(1)
							}
							if n > 0 && total.Add(int64(n)) == writers*per {
								close(done)
							}
							if errors.Is(err, stream.ErrWouldBlock) {
								time.Sleep(100 * time.Microsecond) // a polling reader, by design of this test
							}
						}
					}()
				}
			}))
		require.NoError(t, err)
		st, err := client.TCPConnectStream(l, srv.Addr().String(), func(*core.Socket, *stream.AsyncIOStream) {})
		require.NoError(t, err)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chunk := bytes.Repeat([]byte{byte(w)}, 1024)
				for range per / len(chunk) {
					_, _ = st.Write(chunk)
				}
			}()
		}
		go func() {
			wg.Wait()
			<-done
			_ = st.Close()
			_ = srv.Close()
		}()
	})
	require.Equal(t, int64(writers*per), total.Load())
	for w := range writers {
		require.Equal(t, int64(per), count[w].Load(), "bytes of writer %d", w)
	}
}

// TestInputOutputViews: the read-only and write-only streams share the
// socket of an io stream.
func TestInputOutputViews(t *testing.T) {
	var got string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServerStream(l, "127.0.0.1:0", func(s *core.Socket, st *stream.AsyncIOStream) {
			var b bytes.Buffer
			_, _ = st.Input().WriteTo(&b)
			_, _ = st.Output().Write(bytes.ToUpper(b.Bytes()))
		})
		require.NoError(t, err)
		_, err = client.TCPConnectStream(l, srv.Addr().String(), func(s *core.Socket, st *stream.AsyncIOStream) {
			got += drain(t, st)
			if len(got) == 5 {
				require.Same(t, s, st.Socket())
				require.Zero(t, st.Buffered())
				require.NoError(t, st.Close())
				require.True(t, st.Closed())
				_ = srv.Close()
			}
		}, client.WithData([]byte("hello")))
		require.NoError(t, err)
	})
	require.Equal(t, "HELLO", got)
}

var _ hash.Hash = sha256.New()
