package load

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ends is an echo server that reports how each of its connections ended.
type ends struct {
	accepted atomic.Int64
	ended    chan error // the read error that ended each connection
	mu       sync.Mutex
	peers    map[string]bool // remote IP addresses seen
}

func newEnds(t *testing.T) (*ends, string) {
	e := &ends{ended: make(chan error, 1<<20), peers: map[string]bool{}}
	addr := serve(t, func(c net.Conn) {
		e.accepted.Add(1)
		e.mu.Lock()
		e.peers[c.RemoteAddr().(*net.TCPAddr).IP.String()] = true
		e.mu.Unlock()
		e.ended <- echo(c, false)
	})
	return e, addr
}

// collect waits for the end of every connection accepted so far (the
// clients have closed them all) and counts end of file and resets.
func (e *ends) collect(t *testing.T) (eof, reset int) {
	for range e.accepted.Load() {
		switch err := <-e.ended; {
		case errors.Is(err, io.EOF):
			eof++
		case errors.Is(err, syscall.ECONNRESET):
			reset++
		default:
			t.Fatalf("a connection ended with %v", err)
		}
	}
	return eof, reset
}

func churnConfig(addr string) ChurnConfig {
	return ChurnConfig{Addr: addr, Clients: 4, Size: 64, Duration: 200 * time.Millisecond}
}

func TestChurnCountsConnections(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      CloseMode
		wantReset bool
	}{
		{name: "fin", mode: CloseFIN, wantReset: false},
		{name: "rst", mode: CloseRST, wantReset: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, addr := newEnds(t)
			cfg := churnConfig(addr)
			cfg.Close = tc.mode
			r, err := Churn(context.Background(), cfg)
			require.NoError(t, err)
			require.Zero(t, r.Errors.Total(), r.Errors.String())
			require.Positive(t, r.Conns)
			require.InDelta(t, float64(r.Conns)/0.2, r.ConnsPerSec, 1)
			require.Positive(t, r.P50)
			require.LessOrEqual(t, r.P50, r.P99)
			require.LessOrEqual(t, r.P99, r.P999)
			// Connections finishing after the window (the drain) are not counted.
			require.GreaterOrEqual(t, srv.accepted.Load(), r.Conns)
			eof, reset := srv.collect(t)
			if tc.wantReset {
				require.Zero(t, eof)
				require.EqualValues(t, srv.accepted.Load(), reset)
			} else {
				require.Zero(t, reset)
				require.EqualValues(t, srv.accepted.Load(), eof)
			}
		})
	}
}

func TestChurnSpreadsSourceAddresses(t *testing.T) {
	srv, addr := newEnds(t)
	cfg := churnConfig(addr)
	cfg.Sources = 3
	r, err := Churn(context.Background(), cfg)
	require.NoError(t, err)
	require.Zero(t, r.Errors.Total(), r.Errors.String())
	require.GreaterOrEqual(t, r.Conns, int64(3))
	srv.collect(t)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	require.Equal(t, map[string]bool{"127.0.0.2": true, "127.0.0.3": true, "127.0.0.4": true}, srv.peers)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// halfEcho reads a 64-byte request, echoes half of it and closes.
func halfEcho(c net.Conn) {
	buf := make([]byte, 64)
	if _, err := io.ReadFull(c, buf); err == nil {
		_, _ = c.Write(buf[:32])
	}
}

func TestChurnCountsFailures(t *testing.T) {
	silent := func(c net.Conn) { _, _ = io.Copy(io.Discard, c) } // reads, never answers
	for _, tc := range []struct {
		name  string
		addr  func(t *testing.T) string
		count func(e Errors) int64
		first string
	}{
		{
			name:  "bad reply",
			addr:  func(t *testing.T) string { return echoServer(t, true) },
			count: func(e Errors) int64 { return e.Bad },
			first: "corrupt",
		},
		{
			name:  "short reply",
			addr:  func(t *testing.T) string { return serve(t, halfEcho) },
			count: func(e Errors) int64 { return e.Short },
			first: "closed the connection",
		},
		{
			name:  "refused",
			addr:  closedPort,
			count: func(e Errors) int64 { return e.Refused },
			first: "refused",
		},
		{
			name:  "timeout",
			addr:  func(t *testing.T) string { return serve(t, silent) },
			count: func(e Errors) int64 { return e.Timeout },
			first: "no reply",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := churnConfig(tc.addr(t))
			cfg.Duration, cfg.Timeout = 100*time.Millisecond, 20*time.Millisecond
			r, err := Churn(context.Background(), cfg)
			require.NoError(t, err, "failed connections are counted, not returned")
			require.Zero(t, r.Conns)
			require.Positive(t, tc.count(r.Errors), r.Errors.String())
			require.Equal(t, tc.count(r.Errors), r.Errors.Total(), r.Errors.String())
			require.Contains(t, r.Errors.First, tc.first)
			require.Contains(t, r.Errors.String(), tc.first)
		})
	}
}

func TestBurst(t *testing.T) {
	srv, addr := newEnds(t)
	const conns = 200
	held := 0
	r, err := Burst(context.Background(), BurstConfig{Addr: addr, Conns: conns, Size: 64, Sources: 2, Held: func() {
		held++
		require.EqualValues(t, conns, srv.accepted.Load(), "every connection is open when Held runs")
	}})
	require.NoError(t, err)
	require.Equal(t, 1, held)
	require.Zero(t, r.Errors.Total(), r.Errors.String())
	require.EqualValues(t, conns, r.Conns)
	require.Positive(t, r.Open)
	require.Positive(t, r.Close)
	require.Positive(t, r.P50)
	require.LessOrEqual(t, r.P50, r.P999)
	eof, reset := srv.collect(t)
	require.Equal(t, conns, eof)
	require.Zero(t, reset)
}

func TestBurstCountsFailures(t *testing.T) {
	r, err := Burst(context.Background(), BurstConfig{Addr: echoServer(t, true), Conns: 10, Size: 64})
	require.NoError(t, err)
	require.Zero(t, r.Conns)
	require.EqualValues(t, 10, r.Errors.Bad, r.Errors.String())
}

func TestChurnConfigErrors(t *testing.T) {
	good := ChurnConfig{Addr: "127.0.0.1:1", Clients: 1, Size: 64, Duration: time.Second}
	for _, tc := range []struct {
		name string
		mod  func(c *ChurnConfig)
		want string
	}{
		{name: "clients", mod: func(c *ChurnConfig) { c.Clients = 0 }, want: "Clients"},
		{name: "size", mod: func(c *ChurnConfig) { c.Size = 7 }, want: "Size"},
		{name: "duration", mod: func(c *ChurnConfig) { c.Duration = 0 }, want: "Duration"},
		{name: "timeout", mod: func(c *ChurnConfig) { c.Timeout = -1 }, want: "Timeout"},
		{name: "remote", mod: func(c *ChurnConfig) { c.Addr = "192.0.2.1:80" }, want: "loopback"},
		{name: "sources", mod: func(c *ChurnConfig) { c.Sources = 251 }, want: "Sources"},
		{name: "sources on IPv6", mod: func(c *ChurnConfig) { c.Addr, c.Sources = "[::1]:1", 2 }, want: "IPv6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mod(&c)
			_, err := Churn(context.Background(), c)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "load: ")
		})
	}
	_, err := Burst(context.Background(), BurstConfig{Addr: "127.0.0.1:1", Size: 64})
	require.ErrorContains(t, err, "Conns")
}

func TestCloseModes(t *testing.T) {
	for _, m := range []CloseMode{CloseFIN, CloseRST} {
		got, err := ParseCloseMode(m.String())
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	_, err := ParseCloseMode("linger")
	require.ErrorContains(t, err, "fin or rst")
}

func TestErrorsString(t *testing.T) {
	require.Equal(t, "none", Errors{}.String())
	e := Errors{Reset: 2, NoPort: 1, First: "reset: read: connection reset by peer"}
	require.Equal(t, "reset 2, noport 1 (first: reset: read: connection reset by peer)", e.String())
	require.Equal(t, []int64{0, 2, 0, 0, 0, 1, 0}, e.Counts())
	require.Len(t, ErrorKinds, len(e.Counts()))
	require.EqualValues(t, 3, e.Total())
}

func TestBurstAsyncnet(t *testing.T) {
	srv, addr := newEnds(t)
	const conns = 100
	held := 0
	r, err := BurstAsyncnet(context.Background(), BurstConfig{Addr: addr, Conns: conns, Size: 64, Held: func() {
		held++
		require.EqualValues(t, conns, srv.accepted.Load(), "every connection is open when Held runs")
	}}, 1)
	require.NoError(t, err)
	require.Equal(t, 1, held)
	require.Zero(t, r.Errors.Total(), r.Errors.String())
	require.EqualValues(t, conns, r.Conns)
	require.Positive(t, r.Open)
	require.Positive(t, r.P50)
	eof, reset := srv.collect(t)
	require.Equal(t, conns, eof)
	require.Zero(t, reset)
}

func TestBurstAsyncnetCountsFailures(t *testing.T) {
	r, err := BurstAsyncnet(context.Background(), BurstConfig{Addr: echoServer(t, true), Conns: 10, Size: 64}, 1)
	require.NoError(t, err)
	require.Zero(t, r.Conns)
	require.EqualValues(t, 10, r.Errors.Bad, r.Errors.String())

	r, err = BurstAsyncnet(context.Background(), BurstConfig{Addr: closedPort(t), Conns: 10, Size: 64}, 1)
	require.NoError(t, err)
	require.EqualValues(t, 10, r.Errors.Refused, r.Errors.String())

	_, err = BurstAsyncnet(context.Background(), BurstConfig{Addr: "127.0.0.1:1", Conns: 1, Size: 64, Sources: 2}, 1)
	require.ErrorContains(t, err, "Sources")
}
