package exampletest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// Payload returns n bytes of a pattern that depends on seed, so that a
// stream that is another's, shifted or cut short does not compare equal.
func Payload(n int, seed byte) []byte {
	p := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range p {
		x = x*1664525 + 1013904223
		p[i] = byte(x >> 24)
	}
	return p
}

// RequireSame fails t unless got is want, naming what and showing lengths
// and SHA-256 sums rather than megabytes of bytes.
func RequireSame(t testing.TB, want, got []byte, what string) {
	t.Helper()
	sum := func(p []byte) string { s := sha256.Sum256(p); return hex.EncodeToString(s[:8]) }
	require.Equal(t, fmt.Sprintf("%d bytes, sha256 %s", len(want), sum(want)),
		fmt.Sprintf("%d bytes, sha256 %s", len(got), sum(got)), what)
}

// HalfCloser is a connection whose write side can be shut on its own, as
// *net.TCPConn and *tls.Conn can.
type HalfCloser interface {
	net.Conn
	CloseWrite() error
}

// Exchange writes send to c and then shuts c's write side, while reading
// what c receives until end of file; it returns what it read. It gives up
// after testutil.Timeout.
func Exchange(c HalfCloser, send []byte) ([]byte, error) {
	if err := c.SetDeadline(time.Now().Add(testutil.Timeout)); err != nil {
		return nil, err
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(send)
		if err == nil {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		_ = c.Close() // unblocks the writer; the read error is the news
	}
	return got, errors.Join(err, <-werr)
}

// EchoClients are clients of an echo service, made to check that a
// graceful shutdown lets the transfers under way finish. Each sends half
// of its bytes and waits for their echo: it is then midway, and waits to
// be released; then it sends the rest, shuts its write side and reads
// until end of file.
type EchoClients struct {
	midway  sync.WaitGroup
	release chan struct{}
	results chan error
	n       int
}

// StartEchoClients starts n clients that each send size bytes to an echo
// service and read them back; dial opens a connection to the service
// (directly, through a proxy, over TLS).
func StartEchoClients(t testing.TB, n, size int, dial func() (HalfCloser, error)) *EchoClients {
	t.Helper()
	ec := &EchoClients{release: make(chan struct{}), results: make(chan error, n), n: n}
	ec.midway.Add(n)
	for i := range n {
		go func() { ec.results <- ec.client(i, size, dial) }()
	}
	return ec
}

// client is the i-th client.
func (ec *EchoClients) client(i, size int, dial func() (HalfCloser, error)) error {
	midway := sync.OnceFunc(ec.midway.Done)
	defer midway() // also when it fails before
	c, err := dial()
	if err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(testutil.Timeout)); err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	send := Payload(size, byte(i))
	half := size / 2
	halfBack := make(chan struct{})
	read := make(chan error, 1)
	got := make([]byte, 0, size)
	go func() {
		buf := make([]byte, 64<<10)
		signalled := false
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if !signalled && len(got) >= half {
				signalled = true
				close(halfBack)
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				read <- err
				return
			}
		}
	}()
	if _, err := c.Write(send[:half]); err != nil {
		return fmt.Errorf("client %d: writing the first half: %w", i, err)
	}
	select {
	case <-halfBack:
	case err := <-read:
		return fmt.Errorf("client %d: the echo ended after %d bytes of %d: %v", i, len(got), half, err)
	}
	midway()
	<-ec.release
	if _, err := c.Write(send[half:]); err != nil {
		return fmt.Errorf("client %d: writing the second half: %w", i, err)
	}
	if err := c.CloseWrite(); err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	if err := <-read; err != nil {
		return fmt.Errorf("client %d: after %d bytes of %d: %w", i, len(got), size, err)
	}
	if sent, back := sha256.Sum256(send), sha256.Sum256(got); sent != back {
		return fmt.Errorf("client %d: sent %d bytes (sha256 %x), got %d back (sha256 %x)", i, size, sent[:8], len(got), back[:8])
	}
	return nil
}

// WaitMidway waits until every client is midway (or has failed).
func (ec *EchoClients) WaitMidway(t testing.TB) {
	t.Helper()
	all := make(chan struct{})
	go func() { ec.midway.Wait(); close(all) }()
	testutil.Recv(t, all, "the clients to be midway")
}

// Release lets the clients send the rest of their bytes.
func (ec *EchoClients) Release() { close(ec.release) }

// RequireIntact waits for every client to finish and fails t unless each
// got back exactly what it sent.
func (ec *EchoClients) RequireIntact(t testing.TB) {
	t.Helper()
	for range ec.n {
		require.NoError(t, testutil.Recv(t, ec.results, "a client to finish"))
	}
}
