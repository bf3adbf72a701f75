package core_test

import (
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// pausedServer serves with reading disabled from the start; then calls
// after(s) from a callback a little later, once the socket has parked.
func pausedServer(t *testing.T, after func(l *core.Loop, s *core.Socket)) string {
	t.Helper()
	return serve(t, echo, core.OnConnect(func(s *core.Socket) {
		require.NoError(t, s.Disable(true, false))
		s.Loop().Delay(50*time.Millisecond, func() { after(s.Loop(), s) })
	}))
}

func TestWriteWhileParked(t *testing.T) {
	addr := pausedServer(t, func(_ *core.Loop, s *core.Socket) {
		_, _ = s.Write([]byte("still talking"))
	})
	c := dial(t, addr)
	_, err := c.Write([]byte("unread"))
	require.NoError(t, err)
	buf := make([]byte, len("still talking"))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, "still talking", string(buf))
}

// TestCloseWhileParked: a graceful close of a paused socket still delivers
// everything written, then end of file.
func TestCloseWhileParked(t *testing.T) {
	payload := randomBytes(t, 8<<20)
	addr := pausedServer(t, func(_ *core.Loop, s *core.Socket) {
		_, _ = s.Write(payload)
		_ = s.Close()
	})
	c := dial(t, addr)
	_, err := c.Write([]byte("ignored"))
	require.NoError(t, err)
	got, err := slowRead(c)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, sha256.Sum256(payload), sha256.Sum256(got))
}

func TestForceCloseWhileParked(t *testing.T) {
	addr := pausedServer(t, func(_ *core.Loop, s *core.Socket) {
		_ = s.ForceClose()
	})
	c := dial(t, addr)
	_, err := c.Write([]byte("unread"))
	require.NoError(t, err)
	_, err = io.ReadAll(c)
	require.True(t, err == nil || errors.Is(err, syscall.ECONNRESET), "got %v", err)
}

func TestExitWhileParked(t *testing.T) {
	parked := make(chan struct{})
	l := core.NewLoop()
	done := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		done <- l.Run(func(l *core.Loop) {
			srv, err := serverOn(l, core.OnConnect(func(s *core.Socket) {
				require.NoError(t, s.Disable(true, false))
				l.Delay(50*time.Millisecond, func() { close(parked) })
			}))
			require.NoError(t, err)
			addr <- srv
		})
	}()
	c := dial(t, testutil.Recv(t, addr, "addr"))
	testutil.Recv(t, parked, "park")
	l.Exit()
	require.NoError(t, testutil.Recv(t, done, "Run"))
	_, err := io.ReadAll(c)
	require.True(t, err == nil || errors.Is(err, syscall.ECONNRESET), "the parked connection was closed: %v", err)
}

// TestPauseWhileSendingDrains: pausing a socket whose written bytes are on
// their way out (gnet's last flush as it lets the descriptor go writes
// some) still tells the socket they went: the write queue drains, OnDrain
// runs. Reading is paused and resumed every millisecond while 8 MiB go
// out to a peer that reads them all. The low watermark is 0, so that
// OnDrain means every byte went (with the default it runs at 256 KiB).
func TestPauseWhileSendingDrains(t *testing.T) {
	payload := randomBytes(t, 8<<20)
	drained := make(chan int, 1)
	addr := serve(t, echo, core.WithWriteWatermarks(0, core.DefaultWriteHighWatermark), core.OnConnect(func(s *core.Socket) {
		_, err := s.Write(payload)
		require.NoError(t, err)
		paused := false
		iv := s.Loop().Interval(time.Millisecond, func() {
			if paused = !paused; paused {
				_ = s.Disable(true, false)
			} else {
				_ = s.Enable(true, false)
			}
		})
		require.NoError(t, s.WriteSocketData(nil, core.OnDrain(func(s *core.Socket) {
			iv.Stop()
			drained <- s.Unsent()
		})))
	}))
	c := dial(t, addr)
	got := make([]byte, len(payload))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(payload), sha256.Sum256(got))
	require.Zero(t, testutil.Recv(t, drained, "OnDrain after every byte went out"))
}

// TestPauseAndResumeReading: PauseReading holds what the peer sends (no
// read callback runs), ResumeReading delivers it, in order; PauseWriting
// holds what is written until ResumeWriting.
func TestPauseAndResumeReading(t *testing.T) {
	got := make(chan string, 4)
	paused := make(chan *core.Socket, 1)
	addr := serve(t, func(s *core.Socket, data []byte) { got <- string(data) },
		core.OnConnect(func(s *core.Socket) {
			require.NoError(t, s.PauseReading())
			require.NoError(t, s.PauseWriting())
			_, _ = s.Write([]byte("held"))
			paused <- s
		}))
	c := dial(t, addr)
	s := testutil.Recv(t, paused, "the paused socket")
	_, err := c.Write([]byte("while paused"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing written while writing is paused")
	select {
	case data := <-got:
		t.Fatalf("a read callback ran while reading was paused: %q", data)
	default:
	}
	require.NoError(t, s.ResumeWriting())
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	buf := make([]byte, len("held"))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, "held", string(buf))
	require.NoError(t, s.ResumeReading())
	require.Equal(t, "while paused", testutil.Recv(t, got, "the bytes sent while paused"))
	require.False(t, s.KeepsReads())
}
