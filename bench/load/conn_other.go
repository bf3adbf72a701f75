//go:build !linux

package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

type conn = net.Conn

func dial(ctx context.Context, addr string) (conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func closeConn(c conn) {
	if c != nil {
		_ = c.Close()
	}
}

// roundTrip writes msg and reads len(got) bytes back, within 30 seconds.
func roundTrip(c conn, msg, got []byte) error {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return err
	}
	_, err := io.ReadFull(c, got)
	return err
}

// drive runs each connection's closed loop on a goroutine of its own.
func drive(ctx context.Context, conns []conn, cfg Config, from, until time.Time, h *hist) (int64, error) {
	var msgs atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := driveOne(ctx, c, cfg, from, until, h)
			msgs.Add(n)
			errs[i] = err
		}()
	}
	wg.Wait()
	return msgs.Load(), errors.Join(errs...)
}

// driveOne runs one connection's closed loop until until, and returns how
// many round trips completed in [from, until). It reads whatever has
// arrived (up to 64 KiB) in one call, and sends the messages that replace
// the ones it got back in one write.
func driveOne(ctx context.Context, c net.Conn, cfg Config, from, until time.Time, h *hist) (int64, error) {
	_ = c.SetDeadline(until.Add(drainTime))
	defer c.SetDeadline(time.Time{})
	f := newFlight(cfg)
	if _, err := c.Write(f.start()); err != nil {
		return 0, err
	}
	in := make([]byte, max(64<<10, 2*cfg.Size))
	for f.inFlight() {
		m, err := c.Read(in[len(f.part):])
		if err != nil {
			return f.n, fmt.Errorf("read: %w", err)
		}
		out, err := f.got(in, m, time.Now(), from, until, ctx.Err() != nil, h)
		if err != nil {
			return f.n, err
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return f.n, fmt.Errorf("write: %w", err)
			}
		}
	}
	return f.n, nil
}
