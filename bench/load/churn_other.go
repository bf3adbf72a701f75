//go:build !linux

package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Elsewhere than on Linux, churn and burst clients are goroutines using
// Go's net package; source addresses are not spread (Sources is ignored).

// connectOnce makes one connection, sends its request and checks its echo.
// It returns the connection, or counts the failure and returns nil.
func connectOnce(ctx context.Context, addr string, size int, seq uint64, timeout time.Duration, t *tally) net.Conn {
	start := time.Now()
	d := net.Dialer{Deadline: start.Add(timeout)}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.fail(kindOf(err), err)
		return nil
	}
	_ = c.SetDeadline(start.Add(timeout))
	msg := make([]byte, size)
	pattern(msg)
	fill(msg, seq)
	got := make([]byte, size)
	if _, err = c.Write(msg); err == nil {
		_, err = io.ReadFull(c, got)
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		t.fail(errShort, err)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		t.fail(errTimeout, err)
	case err != nil:
		t.fail(kindOf(err), err)
	case !bytes.Equal(got, msg):
		t.fail(errBad, fmt.Errorf("echo corrupt: message %d", seq))
	default:
		t.done(start, time.Now())
		_ = c.SetDeadline(time.Time{})
		return c
	}
	_ = c.Close()
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func closeWith(c net.Conn, rst bool) {
	if tc, ok := c.(*net.TCPConn); ok && rst {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func churn(ctx context.Context, cfg ChurnConfig, t *tally) error {
	var wg sync.WaitGroup
	for w := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(w); ctx.Err() == nil && time.Now().Before(t.until); seq += uint64(cfg.Clients) {
				if c := connectOnce(ctx, cfg.Addr, cfg.Size, seq, cfg.Timeout, t); c != nil {
					closeWith(c, cfg.Close == CloseRST)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

func burst(ctx context.Context, cfg BurstConfig, t *tally) (BurstResult, error) {
	conns := make([]net.Conn, cfg.Conns)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i] = connectOnce(ctx, cfg.Addr, cfg.Size, uint64(i), cfg.Timeout, t)
		}()
	}
	wg.Wait()
	r := BurstResult{Open: time.Since(began)}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	if cfg.Held != nil {
		cfg.Held()
	}
	began = time.Now()
	for _, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_ = c.(*net.TCPConn).CloseWrite()
			_ = c.SetReadDeadline(began.Add(cfg.Timeout))
			if n, err := c.Read(make([]byte, 1)); n > 0 || !errors.Is(err, io.EOF) {
				t.fail(errBad, fmt.Errorf("closing: %d bytes, %v, where end of file was due", n, err))
			}
		}()
	}
	wg.Wait()
	r.Close = time.Since(began)
	return r, nil
}
