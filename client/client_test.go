package client_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
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

func echo(s *core.Socket, data []byte) { _, _ = s.Write(data) }

func ignore(*core.Socket, []byte) {}

// TestSimpleClientServer ports cl-async's tcp-simple-client-server: two
// clients (by IP and by name) each send "ha" as :data plus "i " written
// before the connection exists; the server must read "hai " in one piece
// and answer "thxlol ".
func TestSimpleClientServer(t *testing.T) {
	var serverReqs, connectNum, clientReplies int
	var serverData, clientData []string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			serverReqs++
			serverData = append(serverData, string(data))
			_, _ = s.Write([]byte("thxlol "))
		}, core.OnConnect(func(*core.Socket) { connectNum++ }))
		require.NoError(t, err)
		_, port, _ := net.SplitHostPort(srv.Addr().String())
		for _, host := range []string{"127.0.0.1", "localhost"} {
			s, err := client.TCPConnect(l, net.JoinHostPort(host, port), func(s *core.Socket, data []byte) {
				clientReplies++
				clientData = append(clientData, string(data))
				_ = s.Close()
				if clientReplies == 2 {
					_ = srv.Close()
				}
			}, core.OnEvent(func(_ *core.Socket, ev error) { t.Errorf("client event: %v", ev) }),
				client.WithData([]byte("ha")))
			require.NoError(t, err)
			_, err = s.Write([]byte("i "))
			require.NoError(t, err)
		}
	}, core.WithReactors(1))
	require.Equal(t, 2, serverReqs)
	require.Equal(t, []string{"hai ", "hai "}, serverData)
	require.Equal(t, 2, connectNum)
	require.Equal(t, 2, clientReplies)
	require.Equal(t, []string{"thxlol ", "thxlol "}, clientData)
}

// connectFail connects to addr with opts and returns the events the socket
// got (the loop ends by itself when it closes).
func connectFail(t *testing.T, addr string, opts ...client.Option) (events []error, closedInCB bool, sock *core.Socket) {
	t.Helper()
	testutil.Run(t, func(l *core.Loop) {
		var err error
		sock, err = client.TCPConnect(l, addr, ignore, append(opts,
			client.WithData([]byte("hai")),
			core.OnConnect(func(*core.Socket) { t.Error("connected") }),
			core.OnEvent(func(s *core.Socket, ev error) {
				events = append(events, ev)
				closedInCB = s.Closed()
			}))...)
		require.NoError(t, err)
	})
	return events, closedInCB, sock
}

// TestConnectRefused ports cl-async's tcp-connect-fail (as refused): one
// event, tcp-refused, with the socket closed.
func TestConnectRefused(t *testing.T) {
	addr := testutil.FreePort(t)
	events, closed, sock := connectFail(t, addr)
	require.Len(t, events, 1)
	require.ErrorIs(t, events[0], conditions.TCPRefused)
	require.ErrorIs(t, events[0], conditions.TCPError)
	require.ErrorIs(t, events[0], syscall.ECONNREFUSED)
	require.Equal(t, "asyncnet: connect "+addr+": connection refused", events[0].Error())
	require.Same(t, sock, core.TCPSocket(events[0]))
	require.True(t, closed)
}

// TestConnectTimeout ports cl-async's tcp-connect-fail (as timeout), on
// loopback: the listener's accept queue is full, so the SYN goes
// unanswered and the dial timeout fires.
func TestConnectTimeout(t *testing.T) {
	addr := testutil.FullListener(t)
	events, closed, _ := connectFail(t, addr, client.WithDialTimeout(200*time.Millisecond))
	require.Len(t, events, 1)
	require.ErrorIs(t, events[0], conditions.TCPTimeout)
	require.ErrorIs(t, events[0], os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, events[0], &ne)
	require.True(t, ne.Timeout())
	require.True(t, closed)
}

// fakeResolver answers from a table; unknown names are not found.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := f[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestDNSError(t *testing.T) {
	events, closed, _ := connectFail(t, "nosuch.test:80", client.WithResolver(fakeResolver{}))
	require.Len(t, events, 1)
	require.ErrorIs(t, events[0], conditions.DNSError)
	require.NotErrorIs(t, events[0], conditions.TCPError)
	require.Equal(t, "asyncnet: lookup nosuch.test: no such host", events[0].Error())
	var dns *net.DNSError
	require.ErrorAs(t, events[0], &dns)
	require.True(t, closed)
}

// TestHostNames connects by name to IPv4 and IPv6 servers.
func TestHostNames(t *testing.T) {
	v6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = v6.Close()
	res := fakeResolver{
		"v4.test": {netip.MustParseAddr("127.0.0.1")},
		"v6.test": {netip.MustParseAddr("::1")},
	}
	var got []string
	testutil.Run(t, func(l *core.Loop) {
		remaining := 2
		for _, tc := range []struct{ bind, name string }{{"127.0.0.1:0", "v4.test"}, {"[::1]:0", "v6.test"}} {
			srv, err := server.TCPServer(l, tc.bind, echo)
			require.NoError(t, err)
			_, port, _ := net.SplitHostPort(srv.Addr().String())
			_, err = client.TCPConnect(l, net.JoinHostPort(tc.name, port), func(s *core.Socket, data []byte) {
				got = append(got, string(data)+"@"+s.RemoteAddr().String())
				_ = s.Close()
				_ = srv.Close()
				remaining--
			}, client.WithResolver(res), client.WithData([]byte(tc.name)),
				core.OnEvent(func(_ *core.Socket, ev error) { t.Error(ev) }))
			require.NoError(t, err)
		}
	}, core.WithReactors(1))
	sort.Strings(got)
	require.Len(t, got, 2)
	require.True(t, strings.HasPrefix(got[0], "v4.test@127.0.0.1:"), got[0])
	require.True(t, strings.HasPrefix(got[1], "v6.test@[::1]:"), got[1])
}

// TestConnectFromCallback: a connect made inside another socket's read
// callback (a proxy) neither blocks nor deadlocks, with one reactor.
func TestConnectFromCallback(t *testing.T) {
	var reply string
	testutil.Run(t, func(l *core.Loop) {
		backend, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, _ = s.Write(bytes.ToUpper(data))
			_ = s.Close()
		})
		require.NoError(t, err)
		front, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			_, err := client.TCPConnect(l, backend.Addr().String(), func(b *core.Socket, resp []byte) {
				_, _ = s.Write(resp) // back to the front client
				_ = s.Close()
			}, client.WithData(data))
			require.NoError(t, err)
		})
		require.NoError(t, err)
		_, err = client.TCPConnect(l, front.Addr().String(), func(s *core.Socket, data []byte) {
			reply = string(data)
			_ = s.Close()
			_ = front.Close()
			_ = backend.Close()
		}, client.WithData([]byte("proxied")))
		require.NoError(t, err)
	}, core.WithReactors(1))
	require.Equal(t, "PROXIED", reply)
}

func TestInitThenConnect(t *testing.T) {
	var got []string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		s, err := client.InitTCPSocket(l, func(s *core.Socket, data []byte) {
			got = append(got, string(data))
			_ = s.Close()
			_ = srv.Close()
		}, client.WithData([]byte("early ")))
		require.NoError(t, err)
		_, err = s.Write([]byte("bird"))
		require.NoError(t, err)
		require.Nil(t, s.RemoteAddr())
		got2, err := client.ConnectTCPSocket(s, srv.Addr().String(), client.WithDialTimeout(time.Minute))
		require.NoError(t, err)
		require.Same(t, s, got2)
		_, err = client.ConnectTCPSocket(s, srv.Addr().String())
		require.ErrorIs(t, err, core.ErrInvalidArgument, "already connecting")
	})
	require.Equal(t, []string{"early bird"}, got)
}

func TestTCPSendIsTCPConnect(t *testing.T) {
	var got string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		_, err = client.TCPSend(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			got = string(data)
			_ = s.Close()
			_ = srv.Close()
		}, client.WithData([]byte("old name")))
		require.NoError(t, err)
	})
	require.Equal(t, "old name", got)
}

// TestWriteWithOffsets ports cl-async's write-seq-with-offset: slices of a
// buffer are written, in order.
func TestWriteWithOffsets(t *testing.T) {
	var got bytes.Buffer
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		srv, err = server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			got.Write(data)
			if got.Len() >= 6 {
				_ = s.Close()
				_ = srv.Close()
			}
		})
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), ignore, core.OnConnect(func(s *core.Socket) {
			buf := []byte("qqqabcddd")
			_, _ = s.Write(buf[3:6])
			copy(buf, "zzzzzzzzz") // Write copied: changing buf now changes nothing
			_, _ = s.Write([]byte("def"))
		}))
		require.NoError(t, err)
	})
	require.Equal(t, "abcdef", got.String())
}

// TestNoOverlap ports cl-async's (disabled) no-overlap test: four clients
// each send more than one read buffer of their own id byte; no chunk on
// either side may mix ids.
func TestNoOverlap(t *testing.T) {
	const clients, size = 4, core.MaxReadChunk + 20000
	var mu sync.Mutex // the two reactors run callbacks in parallel
	received := map[*core.Socket]int{}
	replies := map[byte]int{}
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		done := 0
		srv, err = server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			mu.Lock()
			defer mu.Unlock()
			id, _ := s.Data().(byte)
			if _, seen := received[s]; !seen {
				id = data[0]
				s.SetData(id)
			}
			if bytes.Count(data, []byte{id}) != len(data) {
				t.Errorf("server: chunk mixes ids (socket of %d)", id)
			}
			received[s] += len(data)
			if received[s] == size {
				_, _ = s.Write(bytes.Repeat([]byte{id}, size))
			}
		})
		require.NoError(t, err)
		for id := byte(1); id <= clients; id++ {
			_, err := client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
				mu.Lock()
				defer mu.Unlock()
				if bytes.Count(data, []byte{id}) != len(data) {
					t.Errorf("client %d: reply mixes ids", id)
				}
				replies[id] += len(data)
				if replies[id] == size {
					_ = s.Close()
					if done++; done == clients {
						_ = srv.Close()
					}
				}
			}, client.WithData(bytes.Repeat([]byte{id}, size)))
			require.NoError(t, err)
		}
	}, core.WithReactors(2))
	require.Len(t, replies, clients)
	for id, n := range replies {
		require.Equal(t, size, n, "client %d", id)
	}
}

func TestBadArguments(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		tests := []struct {
			name string
			l    *core.Loop
			addr string
			read core.ReadFunc
			opts []client.Option
			arg  string
		}{
			{name: "nil loop", addr: "127.0.0.1:1", read: ignore, arg: "l"},
			{name: "nil read", l: l, addr: "127.0.0.1:1", arg: "onRead"},
			{name: "no port", l: l, addr: "127.0.0.1", read: ignore, arg: "addr"},
			{name: "no host", l: l, addr: ":80", read: ignore, arg: "addr"},
			{name: "port zero", l: l, addr: "127.0.0.1:0", read: ignore, arg: "addr"},
			{name: "port range", l: l, addr: "127.0.0.1:65536", read: ignore, arg: "addr"},
			{name: "negative timeout", l: l, addr: "127.0.0.1:1", read: ignore, opts: []client.Option{client.WithDialTimeout(-time.Second)}, arg: "client.WithDialTimeout"},
			{name: "nil resolver", l: l, addr: "127.0.0.1:1", read: ignore, opts: []client.Option{client.WithResolver(nil)}, arg: "client.WithResolver"},
			{name: "nil option", l: l, addr: "127.0.0.1:1", read: ignore, opts: []client.Option{nil}, arg: "option 0"},
		}
		for _, tc := range tests {
			s, err := client.TCPConnect(tc.l, tc.addr, tc.read, tc.opts...)
			require.Nil(t, s, tc.name)
			testutil.RequireArgError(t, err, tc.arg, tc.name)
		}
		require.Equal(t, core.Stats{}, l.Stats(), "nothing was created")
	})
}

// TestReadTimeoutFromDial: with WithReadTimeoutFromDial the read timeout
// bounds the connect too, as cl-async's :read-timeout does.
func TestReadTimeoutFromDial(t *testing.T) {
	addr := testutil.FullListener(t)
	events, closed, _ := connectFail(t, addr, core.WithReadTimeout(200*time.Millisecond), client.WithReadTimeoutFromDial())
	require.Len(t, events, 1)
	require.ErrorIs(t, events[0], conditions.TCPTimeout)
	require.True(t, closed)
}

// TestConnectTCPSocketEventCallback: cl-async's connect-tcp-socket takes
// :event-cb; ConnectTCPSocket takes core.OnEvent, which replaces the
// socket's event callback.
func TestConnectTCPSocketEventCallback(t *testing.T) {
	addr := testutil.FreePort(t)
	var got error
	testutil.Run(t, func(l *core.Loop) {
		s, err := client.InitTCPSocket(l, ignore, core.OnEvent(func(*core.Socket, error) { t.Error("the old event callback ran") }))
		require.NoError(t, err)
		_, err = client.ConnectTCPSocket(s, addr, core.OnEvent(func(_ *core.Socket, ev error) { got = ev }))
		require.NoError(t, err)
	})
	require.ErrorIs(t, got, conditions.TCPRefused)
}

// TestInitTCPSocketStream: cl-async's init-tcp-socket :stream t; the
// stream's writes wait for ConnectTCPSocket.
func TestInitTCPSocketStream(t *testing.T) {
	var got string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		st, err := client.InitTCPSocketStream(l, func(s *core.Socket, st *stream.AsyncIOStream) {
			buf := make([]byte, 16)
			n, _ := st.Read(buf)
			got += string(buf[:n])
			if got == "early" {
				_ = st.Close()
				_ = srv.Close()
			}
		})
		require.NoError(t, err)
		_, err = st.Write([]byte("early"))
		require.NoError(t, err)
		_, err = client.ConnectTCPSocket(st.Socket(), srv.Addr().String())
		require.NoError(t, err)
	})
	require.Equal(t, "early", got)
}

// TestDialComposesCallbacks: client.Dial runs the OnConnect and OnEvent
// callbacks given in its options, besides what it does itself.
func TestDialComposesCallbacks(t *testing.T) {
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	defer func() {
		require.NoError(t, l.Shutdown(context.Background()))
	}()
	// The server resets the connection when the client speaks, not at
	// once: a reset before the client's side is set up is a failed Dial.
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, _ []byte) { _ = s.ForceClose() })
	require.NoError(t, err)
	connected := make(chan struct{}, 1)
	events := make(chan error, 1)
	c, err := client.Dial(l, srv.Addr().String(),
		core.OnConnect(func(*core.Socket) { connected <- struct{}{} }),
		core.OnEvent(func(_ *core.Socket, ev error) { events <- ev }))
	require.NoError(t, err)
	defer c.Close()
	testutil.Recv(t, connected, "the user's OnConnect")
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	_, err = io.ReadAll(c)
	require.Error(t, err, "the server reset the connection")
	require.ErrorIs(t, testutil.Recv(t, events, "the user's OnEvent"), conditions.TCPReset)
	require.NoError(t, srv.Close())
}
