package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// newTestPool starts a Loop and a Pool of 2 connections to addr, waits
// until both are up, and returns a function that closes them.
func newTestPool(t *testing.T, addr string) (closeAll func(), p *Pool) {
	t.Helper()
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	out := &exampletest.Lines{}
	cfg := testConfig(addr).pool
	cfg.Size = 2
	p = NewPool(l, cfg, out)
	for range cfg.Size {
		out.Next(t, "connected to "+addr)
	}
	return func() {
		p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		defer cancel()
		require.NoError(t, l.Shutdown(ctx))
	}, p
}

// TestBackoff: attempt n waits between d/2 and d, d = min(max, base × 2^(n-1)).
func TestBackoff(t *testing.T) {
	const base, limit = 100 * time.Millisecond, 5 * time.Second
	for _, tc := range []struct {
		n    int
		want time.Duration // d
	}{
		{n: 1, want: 100 * time.Millisecond},
		{n: 2, want: 200 * time.Millisecond},
		{n: 3, want: 400 * time.Millisecond},
		{n: 6, want: 3200 * time.Millisecond},
		{n: 7, want: limit},
		{n: 1000, want: limit},
	} {
		for range 100 {
			d := backoff(base, limit, tc.n)
			require.GreaterOrEqual(t, d, tc.want/2, "attempt %d", tc.n)
			require.LessOrEqual(t, d, tc.want, "attempt %d", tc.n)
		}
	}
}

// TestPoolRefusesInReactor: Do blocks, so inside a callback it fails
// rather than stall the reactor.
func TestPoolRefusesInReactor(t *testing.T) {
	b := startRESPServer(t, false)
	closeAll, p := newTestPool(t, b.Addr())
	defer closeAll()
	errs := make(chan error, 1)
	p.l.Delay(0, func() {
		_, err := p.Do(context.Background(), "PING")
		errs <- err
	})
	require.ErrorIs(t, testutil.Recv(t, errs, "Do in a callback"), core.ErrInReactor)
	reply, err := p.Do(context.Background(), "PING")
	require.NoError(t, err)
	require.Equal(t, "PONG", reply.String())
}
