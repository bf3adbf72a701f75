package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	require.NoError(t, run("127.0.0.1:0", false, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6, out.String())
	require.Contains(t, lines[0], "echo server on 127.0.0.1:")
	require.Contains(t, lines[1], "client: connected to 127.0.0.1:")
	require.Equal(t, []string{`client: got "hello"`, `client: got "from"`, `client: got "asyncnet"`}, lines[2:5])
	require.Contains(t, lines[5], "connection closed by peer")
}

// TestEchoAppliesBackpressure: a client that sends 32 MiB and reads the
// echo back slowly gets every byte, in order, while the server holds little
// more than its high watermark: echo stops reading the client while the
// echo is congested, rather than piling it up (or, past the write cap,
// closing the connection).
func TestEchoAppliesBackpressure(t *testing.T) {
	const size = 32 << 20
	var peak int64
	errs := make(chan error, 1)
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo, core.OnDrain(resume))
		require.NoError(t, err)
		watch := l.Interval(5*time.Millisecond, func() {
			st := l.Stats()
			peak = max(peak, st.BytesBufferedOut+st.BytesBufferedIn)
		})
		go func() {
			defer func() { watch.Stop(); _ = srv.Close() }()
			errs <- slowEchoClient(srv.Addr().String(), size)
		}()
	})
	require.NoError(t, <-errs)
	t.Logf("the server held at most %d KiB", peak>>10)
	require.Less(t, peak, int64(core.DefaultWriteHighWatermark+2<<20), "the server piled up the echo")
}

// slowEchoClient sends size bytes to addr and reads them back at 64 MiB/s,
// checking them.
func slowEchoClient(addr string, size int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	sent := make([]byte, size)
	for i := range sent {
		sent[i] = byte(i * 7)
	}
	go func() { _, _ = c.Write(sent) }()
	got := make([]byte, 0, size)
	buf := make([]byte, 64<<10)
	start := time.Now()
	for len(got) < size {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", len(got), err)
		}
		if ahead := time.Duration(len(got))*time.Second/(64<<20) - time.Since(start); ahead > 0 {
			time.Sleep(ahead) // the reader's pace, not synchronisation
		}
	}
	if !bytes.Equal(sent, got) {
		return errors.New("the echo differs from what was sent")
	}
	return nil
}
