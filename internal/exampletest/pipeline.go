package exampletest

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// Pipeliners are clients of a request/reply server (examples/resp,
// examples/http) that pipeline requests faster than they read the
// replies: each sends its requests and reads nothing until Resume, so
// the server, its replies congested, stops reading it. The SIGTERM tests
// stop the server at that point, with pipelines under way.
type Pipeliners struct {
	n       int
	stalled chan struct{}
	resume  chan struct{}
	results chan PipelineResult
}

// PipelineResult is how one pipelining client ended: the replies it got,
// each checked, and why it stopped reading (nil: a clean end of file
// after its last reply).
type PipelineResult struct {
	Replies int
	Err     error
}

// ReadReplies reads a pipelining client's replies until the server ends
// the connection, checking each; it returns how many it got and nil for
// a clean end of file, or why it stopped.
type ReadReplies func(r *bufio.Reader) (int, error)

// StartPipeliners starts n clients of the server at addr. Each writes
// request(0), request(1), ... request(count-1), 64 KiB at a time, then
// shuts its write side; after Resume it reads with read.
func StartPipeliners(addr string, n, count int, request func(i int) string, read ReadReplies) *Pipeliners {
	p := &Pipeliners{n: n, stalled: make(chan struct{}, n), resume: make(chan struct{}), results: make(chan PipelineResult, n)}
	for range n {
		go func() {
			replies, err := p.client(addr, count, request, read)
			p.results <- PipelineResult{Replies: replies, Err: err}
		}()
	}
	return p
}

// client is one pipelining client.
func (p *Pipeliners) client(addr string, count int, request func(i int) string, read ReadReplies) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		p.stalled <- struct{}{} // WaitStalled goes on; Results reports the error
		return 0, err
	}
	defer c.Close()
	sent := make(chan error, 1)
	go func() { sent <- p.send(c.(*net.TCPConn), count, request) }()
	<-p.resume
	replies, err := read(bufio.NewReader(c))
	if err != nil {
		return replies, err
	}
	return replies, <-sent
}

// send writes the requests to c, 64 KiB at a time, then shuts c's write
// side. It says on p.stalled, once, when a write has made no progress for
// 100ms.
func (p *Pipeliners) send(c *net.TCPConn, count int, request func(i int) string) error {
	var buf []byte
	waiting := true
	for i := 0; i < count; {
		buf = buf[:0]
		for ; i < count && len(buf) < 64<<10; i++ {
			buf = append(buf, request(i)...)
		}
		for len(buf) > 0 {
			if waiting {
				if err := c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
					return err
				}
			}
			k, err := c.Write(buf)
			buf = buf[k:]
			switch {
			case waiting && errors.Is(err, os.ErrDeadlineExceeded):
				waiting = false
				p.stalled <- struct{}{}
				if err := c.SetWriteDeadline(time.Time{}); err != nil {
					return err
				}
			case err != nil:
				return err
			}
		}
	}
	if waiting {
		p.stalled <- struct{}{} // never stalled: Results shows it answered everything
	}
	return c.CloseWrite()
}

// WaitStalled waits until the server has stopped reading every client.
func (p *Pipeliners) WaitStalled(t testing.TB) {
	t.Helper()
	for range p.n {
		testutil.Recv(t, p.stalled, "the server to stop reading a client")
	}
}

// Resume lets the clients read.
func (p *Pipeliners) Resume() { close(p.resume) }

// Results waits for every client to end and returns how each did.
func (p *Pipeliners) Results(t testing.TB) []PipelineResult {
	t.Helper()
	rs := make([]PipelineResult, 0, p.n)
	for range p.n {
		rs = append(rs, testutil.Recv(t, p.results, "a pipelining client"))
	}
	require.Len(t, rs, p.n)
	return rs
}
