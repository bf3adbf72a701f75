package core_test

import (
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

func echo(s *core.Socket, data []byte) { _, _ = s.Write(data) }

// serverOn starts an echo server on l and returns its address.
func serverOn(l *core.Loop, opts ...server.Option) (string, error) {
	srv, err := server.TCPServer(l, "127.0.0.1:0", echo, opts...)
	if err != nil {
		return "", err
	}
	return srv.Addr().String(), nil
}

func TestRunReturnsWhenNothingIsLeft(t *testing.T) {
	ran := false
	testutil.Run(t, func(l *core.Loop) { ran = true })
	require.True(t, ran, "the start function runs")

	// A server that is closed again leaves nothing behind either.
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		require.NoError(t, srv.Close())
	})
}

func TestRunOnlyOnce(t *testing.T) {
	l := core.NewLoop()
	require.NoError(t, testutil.RunErr(t, l, nil))
	require.ErrorIs(t, l.Run(nil), core.ErrLoopNotRunning)
}

func TestExitFromAnotherGoroutine(t *testing.T) {
	l := core.NewLoop()
	serving := make(chan net.Addr, 1)
	var events atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- l.Run(func(l *core.Loop) {
			srv, err := server.TCPServer(l, "127.0.0.1:0", echo, core.OnEvent(func(*core.Socket, error) { events.Add(1) }))
			require.NoError(t, err)
			serving <- srv.Addr()
		})
	}()
	addr := testutil.Recv(t, serving, "server")
	c, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(t, err, "the echo works before Exit")

	l.Exit()
	require.NoError(t, testutil.Recv(t, done, "Run to return"))
	require.Zero(t, events.Load(), "no event callback runs on Exit")
	n, err := c.Read(make([]byte, 1))
	require.Zero(t, n)
	require.Error(t, err, "Exit closed the connection")
	l.Exit() // again: nothing happens
}

func TestExitInsideCallback(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(*core.Socket, []byte) {},
			core.OnConnect(func(*core.Socket) { l.Exit() }))
		require.NoError(t, err)
	})
}

// TestOneLoopNeverOverlaps checks cl-async's single-threaded model: with one
// reactor, no two callbacks of any socket or server run at once.
func TestOneLoopNeverOverlaps(t *testing.T) {
	var inside, overlaps, calls atomic.Int32
	guard := func() func() {
		if inside.Add(1) != 1 {
			overlaps.Add(1)
		}
		calls.Add(1)
		runtime.Gosched() // give an overlapping callback every chance
		return func() { inside.Add(-1) }
	}
	const clients, msgs = 8, 50
	testutil.Run(t, func(l *core.Loop) {
		defer guard()()
		var closed atomic.Int32
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			defer guard()()
			_, _ = s.Write(data)
		}, core.OnConnect(func(*core.Socket) { defer guard()() }),
			core.OnEvent(func(*core.Socket, error) { defer guard()() }))
		require.NoError(t, err)
		for range clients {
			got := 0
			c, err := client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
				defer guard()()
				got += len(data)
				if got == msgs {
					_ = s.Close()
					if closed.Add(1) == clients {
						_ = srv.Close()
					}
				}
			}, core.OnConnect(func(s *core.Socket) {
				defer guard()()
				for range msgs {
					_, _ = s.Write([]byte("m"))
				}
			}))
			require.NoError(t, err)
			_ = c
		}
	}, core.WithReactors(1))
	require.Greater(t, calls.Load(), int32(clients*2))
	require.Zero(t, overlaps.Load(), "callbacks overlapped")
}

// countStacks counts the goroutines whose stack contains fn.
func countStacks(fn string) int {
	n := 0
	for _, g := range strings.Split(testutil.Stacks(), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// TestServersShareReactors checks that a second server adds no event loop.
func TestServersShareReactors(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		var servers []*server.Server
		for range 3 {
			srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
			require.NoError(t, err)
			servers = append(servers, srv)
			require.Equal(t, 2, countStacks("gnet/v2.(*eventloop).run("), "event loops with %d servers", len(servers))
		}
		require.Equal(t, 3, l.Stats().Servers)
		for _, srv := range servers {
			require.NoError(t, srv.Close())
		}
	}, core.WithNumLoops(2)) // the old name keeps working
}

func TestPanicEndsRun(t *testing.T) {
	l := core.NewLoop()
	err := testutil.RunErr(t, l, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) { panic("boom") })
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(*core.Socket, []byte) {}, client.WithData([]byte("x")))
		require.NoError(t, err)
	})
	var perr *core.PanicError
	require.ErrorAs(t, err, &perr)
	require.Equal(t, "boom", perr.Value)
	require.Contains(t, err.Error(), "boom")
	require.Contains(t, string(perr.Stack), "TestPanicEndsRun", "the stack of the panic")
}

func TestPanicInStartEndsRun(t *testing.T) {
	err := testutil.RunErr(t, core.NewLoop(), func(*core.Loop) { panic(errors.New("bad start")) })
	var perr *core.PanicError
	require.ErrorAs(t, err, &perr)
	require.EqualError(t, errors.Unwrap(perr), "bad start")
}

// TestGoexitInCallback: a callback that ends its goroutine (t.FailNow on a
// reactor) stops the Loop with ErrGoexit instead of hanging it.
func TestGoexitInCallback(t *testing.T) {
	err := testutil.RunErr(t, core.NewLoop(core.WithCatchAppErrors(true)), func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) { runtime.Goexit() })
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = client.TCPConnect(l, srv.Addr().String(), func(*core.Socket, []byte) {}, client.WithData([]byte("x")))
	})
	require.ErrorIs(t, err, core.ErrGoexit)
}

func TestCatchAppErrors(t *testing.T) {
	var events []error
	var closedInEvent bool
	replies := make(chan string, 1)
	testutil.Run(t, func(l *core.Loop) {
		first := true
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			if first {
				first = false
				panic("boom")
			}
			_, _ = s.Write(data) // the loop and the socket go on
		}, core.OnEvent(func(s *core.Socket, ev error) {
			events = append(events, ev)
			if len(events) == 1 {
				closedInEvent = s.Closed()
				_, _ = s.Write([]byte("ack"))
			}
		}))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			if string(data) == "ack" {
				_, _ = s.Write([]byte("two"))
				return
			}
			replies <- string(data)
			_ = s.Close()
			_ = srv.Close()
		}, client.WithData([]byte("one")))
		require.NoError(t, err)
	}, core.WithCatchAppErrors(true))
	require.Equal(t, "two", testutil.Recv(t, replies, "reply"))
	require.Len(t, events, 2, "the panic, then the end of file")
	require.ErrorIs(t, events[1], conditions.TCPEOF)
	require.ErrorIs(t, events[0], conditions.EventError)
	require.NotErrorIs(t, events[0], conditions.TCPError)
	require.Contains(t, events[0].Error(), "boom")
	var perr *core.PanicError
	require.ErrorAs(t, events[0], &perr)
	require.False(t, closedInEvent, "a recovered panic does not close the socket")
}

func TestStats(t *testing.T) {
	const n = 3
	var during core.Stats
	l := core.NewLoop()
	require.NoError(t, testutil.RunErr(t, l, func(l *core.Loop) {
		var mu sync.Mutex
		var conns []*core.Socket
		var srv *server.Server
		connected := func(s *core.Socket) {
			mu.Lock()
			defer mu.Unlock()
			conns = append(conns, s)
			if len(conns) == 2*n { // every client and every accepted socket
				during = l.Stats()
				for _, s := range conns {
					_ = s.Close()
				}
				_ = srv.Close()
			}
		}
		var err error
		srv, err = server.TCPServer(l, "127.0.0.1:0", echo, core.OnConnect(connected))
		require.NoError(t, err)
		require.Equal(t, core.Stats{Servers: 1}, l.Stats())
		for range n {
			_, err := client.TCPConnect(l, srv.Addr().String(), echo, core.OnConnect(connected))
			require.NoError(t, err)
		}
		st := l.Stats() // the connects are pending or done, never lost
		require.Equal(t, n, st.PendingConnects+st.OutgoingSockets)
	}))
	require.Equal(t, core.Stats{IncomingSockets: n, OutgoingSockets: n, Servers: 1,
		Counters: core.Counters{Accepted: n, Connected: n}}, during)
	st := l.Stats()
	require.EqualValues(t, 2*n, st.ClosedByApp+st.ClosedEOF, "closed by the application (or the peer's end of file came first)")
	st.ClosedByApp, st.ClosedEOF = 0, 0
	require.Equal(t, core.Stats{Counters: core.Counters{Accepted: n, Connected: n}}, st, "everything closed")
}

func TestPendingConnectsStat(t *testing.T) {
	addr := testutil.FullListener(t)
	testutil.Run(t, func(l *core.Loop) {
		s, err := client.TCPConnect(l, addr, echo)
		require.NoError(t, err)
		require.Equal(t, core.Stats{PendingConnects: 1}, l.Stats())
		require.NoError(t, s.ForceClose()) // cancels the dial
	})
}

func TestLoopOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opt  core.LoopOption
		arg  string
	}{
		{name: "negative reactors", opt: core.WithReactors(-1), arg: "core.WithReactors"},
		{name: "nil logger", opt: core.WithLogger(nil), arg: "core.WithLogger"},
		{name: "zero tick", opt: core.WithTickInterval(0), arg: "core.WithTickInterval"},
		{name: "nil transport", opt: core.WithTransport(nil), arg: "core.WithTransport"},
		{name: "nil option", opt: nil, arg: "option 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := core.NewLoop(tc.opt).Run(func(*core.Loop) { t.Error("start must not run") })
			require.ErrorIs(t, err, core.ErrInvalidArgument)
			require.Contains(t, err.Error(), tc.arg)
		})
	}
}
