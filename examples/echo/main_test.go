package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	require.NoError(t, run(context.Background(), config{addr: "127.0.0.1:0", grace: time.Minute, quiet: time.Minute}, &out))
	got := out.String()
	for _, want := range []string{
		"listening on 127.0.0.1:",
		"client: connected to 127.0.0.1:",
		"client: got \"hello\"\nclient: got \"from\"\nclient: got \"asyncnet\"\n",
		"client: the server ended the connection too\n",
		"shutting down (open connections: ",
		"every connection finished\n",
	} {
		require.Contains(t, got, want)
	}
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
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo, core.OnConnect(track), core.OnDrain(resume))
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
	sent := exampletest.Payload(size, 7)
	go func() { _, _ = c.Write(sent) }() // a failure shows as a short echo
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

// TestShutdownClosesQuietConnections: once a shutdown has begun, a client
// that stays connected and says nothing is closed after the quiet time,
// gracefully (it reads end of file, not a reset), and the server ends
// without waiting for the grace period.
func TestShutdownClosesQuietConnections(t *testing.T) {
	grace := testutil.Scale(time.Minute)
	c, stop := startIdleClient(t, config{addr: "127.0.0.1:0", serve: true, grace: grace, quiet: 50 * time.Millisecond})
	start := time.Now()
	errs := make(chan error, 1)
	go func() { errs <- stop() }()
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, testutil.Recv(t, errs, "run to return"))
	require.Less(t, time.Since(start), grace/2, "it did not wait for the grace period")
}

// TestGraceRunsOut: a connection that is never quiet for long enough is
// force-closed when the grace period ends, and run says so (the program
// then exits 1).
func TestGraceRunsOut(t *testing.T) {
	c, stop := startIdleClient(t, config{addr: "127.0.0.1:0", serve: true, grace: 100 * time.Millisecond, quiet: time.Hour})
	require.ErrorContains(t, stop(), "grace period ran out")
	_, err := c.Read(make([]byte, 1))
	require.Error(t, err, "the connection was closed")
}

// startIdleClient runs echo in this process with cfg, connects a client
// and exchanges a few bytes, so that the server surely has the connection,
// and returns the client and the function that stops the server (its
// context ends, it shuts down) and returns run's error.
func startIdleClient(t *testing.T, cfg config) (net.Conn, func() error) {
	t.Helper()
	out, stop := exampletest.Run(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	c, err := net.Dial("tcp", out.Addr(t, "listening on "))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 4))
	require.NoError(t, err)
	out.Next(t, "still serving")
	return c, stop
}

// TestSIGTERMLetsTransfersFinish runs echo as a program, with clients
// midway through a few MiB each: after SIGTERM every client gets its whole
// echo back, and the program exits 0 well within its grace period.
func TestSIGTERMLetsTransfersFinish(t *testing.T) {
	grace := testutil.Scale(time.Minute) // the bound on how long it runs
	// A quiet time far longer than the clients' pause between SIGTERM and
	// their release, so that only their own end closes them.
	p := exampletest.Start(t, exampletest.Build(t), "-addr", "127.0.0.1:0", "-grace", grace.String(), "-quiet", "20s")
	addr := p.Out.Addr(t, "listening on ")
	p.Out.Next(t, "still serving")
	clients := exampletest.StartEchoClients(t, 4, 4<<20, exampletest.DialTCP(addr))
	clients.WaitMidway(t)
	p.Signal(t, syscall.SIGTERM)
	p.Out.Next(t, "shutting down (open connections: 4); waiting up to "+grace.String())
	clients.Release() // the rest is sent while the server shuts down
	clients.RequireIntact(t)
	code, ran := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Less(t, ran, grace)
	require.Contains(t, p.Out.String(), "every connection finished")
}

// TestPortTaken: echo exits with status 1, saying why, when its address is
// taken.
func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p := exampletest.Start(t, exampletest.Build(t), "-addr", ln.Addr().String())
	code, _ := p.Wait(t)
	require.Equal(t, 1, code, p.Out.String())
	require.Contains(t, p.Out.String(), "address already in use")
}
