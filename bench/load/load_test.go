package load

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	require.EqualValues(t, 1000, h.total())
	within := func(got, want time.Duration) {
		t.Helper()
		require.InDelta(t, float64(want), float64(got), float64(want)/50, "got %v, want %v", got, want)
	}
	within(h.quantile(0.5), 500*time.Microsecond)
	within(h.quantile(0.99), 990*time.Microsecond)
	within(h.quantile(0.999), 999*time.Microsecond)
	var empty hist
	require.Zero(t, empty.quantile(0.5))
}

func TestBuckets(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 12345, 1e9, 1 << 40} {
		b := bucketOf(v)
		require.LessOrEqual(t, lowest(b), v)
		require.Greater(t, lowest(b+1), v)
	}
}

// serve runs handle on a goroutine for every connection to a loopback
// port, until the test ends, and returns the port's address.
func serve(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// echo echoes c (with corrupt, with a byte changed) until the peer goes,
// and returns the read error that ended it.
func echo(c net.Conn, corrupt bool) error {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if corrupt {
			buf[0]++
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return err
		}
	}
}

// echoServer serves echo (or, with corrupt, echo with a byte changed) on a
// loopback port until the test ends.
func echoServer(t *testing.T, corrupt bool) string {
	return serve(t, func(c net.Conn) { _ = echo(c, corrupt) })
}

func TestRun(t *testing.T) {
	cfg := Config{Addr: echoServer(t, false), Conns: 4, Active: 2, Size: 64, Depth: 4,
		Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond}
	p, err := Connect(context.Background(), cfg)
	require.NoError(t, err)
	defer p.Close()
	r, err := p.Run(context.Background())
	require.NoError(t, err)
	require.Positive(t, r.Msgs)
	require.InDelta(t, float64(r.Msgs)/0.2, r.MsgsPerSec, 1)
	require.Positive(t, r.P50)
	require.LessOrEqual(t, r.P50, r.P99)
	require.LessOrEqual(t, r.P99, r.P999)
	// The connections are idle and usable again.
	r2, err := p.Run(context.Background())
	require.NoError(t, err)
	require.Positive(t, r2.Msgs)
}

func TestRunDetectsCorruption(t *testing.T) {
	cfg := Config{Addr: echoServer(t, true), Conns: 1, Size: 64, Depth: 1, Duration: 100 * time.Millisecond}
	_, err := Connect(context.Background(), cfg)
	require.ErrorContains(t, err, "out of order or corrupt")
}

func TestConfigErrors(t *testing.T) {
	good := Config{Addr: "127.0.0.1:1", Conns: 1, Size: 8, Depth: 1, Duration: time.Second}
	for name, mod := range map[string]func(c *Config){
		"conns":    func(c *Config) { c.Conns = 0 },
		"active":   func(c *Config) { c.Active = 2 },
		"size":     func(c *Config) { c.Size = 7 },
		"depth":    func(c *Config) { c.Depth = 0 },
		"duration": func(c *Config) { c.Duration = 0 },
		"remote":   func(c *Config) { c.Addr = "192.0.2.1:80" },
		"addr":     func(c *Config) { c.Addr = "nonsense" },
	} {
		c := good
		mod(&c)
		_, err := Connect(context.Background(), c)
		require.Error(t, err, name)
	}
}
