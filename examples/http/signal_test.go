//go:build !windows

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// pipelinedRequest is the i-th request of a pipelining client: every third one is
// for a path that does not exist, so that the order of the responses shows.
func pipelinedRequest(i int) string {
	if i%3 == 2 {
		return fmt.Sprintf("GET /nope?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	return fmt.Sprintf("GET /?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
}

// readResponses reads the responses of a pipelining client, each checked
// with net/http's parser, until the one saying "Connection: close" and
// the end of file after it.
func readResponses(r *bufio.Reader) (int, error) {
	for i := 0; ; i++ {
		if _, err := r.Peek(1); errors.Is(err, io.EOF) && i > 0 {
			return i, errors.New("end of file without a response saying Connection: close")
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return i, fmt.Errorf("response %d: %w", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return i, fmt.Errorf("response %d: %w", i, err)
		}
		want, wantBody := http.StatusOK, "Hello, World!\n"
		if i%3 == 2 {
			want, wantBody = http.StatusNotFound, "Not Found\n"
		}
		if resp.StatusCode != want || string(body) != wantBody {
			return i, fmt.Errorf("response %d: %s %q, want %d %q", i, resp.Status, body, want, wantBody)
		}
		if resp.Close { // the last response: then end of file
			if _, err := r.Peek(1); !errors.Is(err, io.EOF) {
				return i + 1, fmt.Errorf("after the last response: %v, want end of file", err)
			}
			return i + 1, nil
		}
	}
}

// testSIGTERM stops the server while clients are in the middle of their
// pipelines: each must get every response to what the server read, in
// order, the last saying "Connection: close", then a clean end of file (a
// reset would have destroyed responses on their way); a client that never
// sent anything is closed once the Shutdown's wait for a first request
// (5 s) is over; a request half sent is answered once its end arrives;
// and the program exits 0.
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
	r := bufio.NewReader(half)
	_, err = io.WriteString(half, get+"GET / HTTP/1.1\r\nHost:") // one write: one read for the server
	require.NoError(t, err)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// 200,000 requests: far more than the server answers before its
	// responses are congested (the kernel's buffers and the 1 MiB
	// watermark) and it stops reading, which is when SIGTERM comes.
	const clients, n = 3, 200000
	pipeliners := exampletest.StartPipeliners(addr, clients, n, pipelinedRequest, readResponses)
	pipeliners.WaitStalled(t)

	p.Signal(t, syscall.SIGTERM)
	signaled := time.Now()
	require.NoError(t, idle.SetReadDeadline(time.Now().Add(testutil.Timeout)))
	rest, err := io.ReadAll(idle)
	require.NoError(t, err, "the idle connection was not closed cleanly")
	require.Empty(t, rest)

	_, err = io.WriteString(half, " x\r\n\r\n")
	require.NoError(t, err)
	resp, err = http.ReadResponse(r, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "Hello, World!\n", string(body))
	// resp.Close says whether the request was completed after the
	// connection was asked to finish (then its response says so) or just
	// before (then the connection closes as an idle one): either way it is
	// the last response.
	rest, err = io.ReadAll(r)
	require.NoError(t, err)
	require.Empty(t, rest)
	require.NoError(t, half.Close()) // as a client does at end of file: the server waits for it (or for its linger timeout)

	pipeliners.Resume()
	for _, r := range pipeliners.Results(t) {
		require.NoError(t, r.Err, "after %d responses; the server said: %s", r.Replies, p.Out.String())
		require.Less(t, r.Replies, n, "the server answered everything: the shutdown came too late to test anything")
		t.Logf("a client got %d responses of %d, then end of file", r.Replies, n)
	}
	code, _ := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Less(t, time.Since(signaled), grace)
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
