//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// TestProgram runs the example as a program, as an operator would: built
// once, then stopped with SIGTERM in the middle of pipelines, and started
// on a port that is taken.
func TestProgram(t *testing.T) {
	bin := exampletest.Build(t)
	t.Run("SIGTERM finishes the pipelines", func(t *testing.T) { testSIGTERM(t, bin) })
	t.Run("port taken", func(t *testing.T) { testPortTaken(t, bin) })
}

// echoRequest is the i-th request of a pipelining client: an ECHO of 1 KiB
// that starts with i; echoReply is its reply.
func echoRequest(i int) string { return "*2\r\n$4\r\nECHO\r\n" + echoReply(i) }

func echoReply(i int) string {
	msg := fmt.Sprintf("%08d", i) + strings.Repeat(".", 1024-8)
	return bulk(msg)
}

// readEchoReplies reads the replies of a pipelining client's ECHOs, each
// checked, until the server ends the connection between two replies.
func readEchoReplies(r *bufio.Reader) (int, error) {
	got := make([]byte, len(echoReply(0)))
	for i := 0; ; i++ {
		if _, err := io.ReadFull(r, got); err != nil {
			if errors.Is(err, io.EOF) && i > 0 {
				return i, nil // a clean end, between two replies
			}
			return i, fmt.Errorf("reply %d: %w", i, err)
		}
		if want := echoReply(i); !bytes.Equal(got, []byte(want)) {
			return i, fmt.Errorf("reply %d is %.20q, want %.20q", i, got, want)
		}
	}
}

// testSIGTERM stops the server while clients are in the middle of their
// pipelines: each must get every reply to what the server read, in
// order, then a clean end of file (a reset would have destroyed replies
// on their way); a client that never sent anything is closed once the
// Shutdown's wait for a first request (5 s) is over; a request half sent is
// answered once its end arrives; and the program exits 0.
func testSIGTERM(t *testing.T, bin string) {
	grace := testutil.Scale(20 * time.Second) // the bound on how long it runs after the signal
	p := exampletest.Start(t, bin, "-addr", "127.0.0.1:0", "-grace", grace.String())
	addr := p.Out.Addr(t, "listening on ")

	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	half, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer half.Close()
	_, err = io.WriteString(half, "PING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel") // one write: one read for the server
	require.NoError(t, err)
	got := make([]byte, len(pong))
	_, err = io.ReadFull(half, got)
	require.NoError(t, err)
	require.Equal(t, pong, string(got))

	// 40,000 requests of 1 KiB each: far more than the server answers
	// before its replies are congested (the kernel's buffers and the 1 MiB
	// watermark) and it stops reading, which is when SIGTERM comes.
	const clients, n = 3, 40000
	pipeliners := exampletest.StartPipeliners(addr, clients, n, echoRequest, readEchoReplies)
	pipeliners.WaitStalled(t)

	p.Signal(t, syscall.SIGTERM)
	signaled := time.Now()
	require.NoError(t, idle.SetReadDeadline(time.Now().Add(testutil.Timeout)))
	rest, err := io.ReadAll(idle)
	require.NoError(t, err, "the idle connection was not closed cleanly")
	require.Empty(t, rest)

	_, err = io.WriteString(half, "lo\r\n")
	require.NoError(t, err)
	rest, err = io.ReadAll(half)
	require.NoError(t, err)
	require.Equal(t, bulk("hello"), string(rest), "the request under way was answered, then the connection closed")
	require.NoError(t, half.Close()) // as a client does at end of file: the server waits for it (or for its linger timeout)

	pipeliners.Resume()
	for _, r := range pipeliners.Results(t) {
		require.NoError(t, r.Err, "after %d replies; the server said: %s", r.Replies, p.Out.String())
		require.Less(t, r.Replies, n, "the server answered everything: the shutdown came too late to test anything")
		t.Logf("a client got %d replies of %d, then end of file", r.Replies, n)
	}
	code, _ := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Less(t, time.Since(signaled), grace)
	require.Contains(t, p.Out.String(), "stats: accepted=5 ", "the counters it prints at exit")
}

// testPortTaken: a program that cannot listen says why and exits 1.
func testPortTaken(t *testing.T, bin string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p := exampletest.Start(t, bin, "-addr", ln.Addr().String())
	code, _ := p.Wait(t)
	require.Equal(t, 1, code, p.Out.String())
	require.Contains(t, p.Out.String(), "address already in use")
	require.NotContains(t, p.Out.String(), "listening on")
}
