package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	require.NoError(t, run(context.Background(), config{addr: "127.0.0.1:0", grace: time.Minute, quiet: time.Minute}, &out))
	got := out.String()
	for _, want := range []string{
		"listening on 127.0.0.1:",
		`certificate of "localhost" verified`,
		`client: got "on asyncnet"`,
		"client: the server ended the session too",
		"every connection finished",
	} {
		require.Contains(t, got, want)
	}
}

// TestOpenSSLClient talks to the TLS server with openssl s_client, which
// must verify the server's certificate against the file the server wrote.
func TestOpenSSLClient(t *testing.T) {
	openssl := exampletest.Tool(t, "openssl", "openssl")
	addr, certFile := startServer(t, config{addr: "127.0.0.1:0", serve: true, grace: 10 * time.Second, quiet: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", addr, "-CAfile", certFile,
		"-servername", "localhost", "-verify_return_error", "-quiet")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr testutil.LockedBuffer // exec copies into it from a goroutine of its own
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	_, err = stdin.Write([]byte("hello from openssl\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("openssl said: %s (%v)", stderr.String(), err)
	}
	require.Equal(t, "hello from openssl\n", line)
	require.NoError(t, stdin.Close())
	_ = cmd.Process.Kill() // s_client may wait for more; what it printed is checked below
	_ = cmd.Wait()
	require.Contains(t, stderr.String(), "verify return:1", "openssl verified the certificate")
	require.False(t, strings.Contains(stderr.String(), "verify error"))
}

// TestOwnCertificate: with -cert and -key the server uses that
// certificate, and a client that trusts its authority talks to it.
func TestOwnCertificate(t *testing.T) {
	cs := testutil.NewCerts(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cs.Server.Certificate[0]}), 0o600))
	der, err := x509.MarshalPKCS8PrivateKey(cs.Server.PrivateKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))

	cfg := config{addr: "127.0.0.1:0", serve: true, grace: 10 * time.Second, quiet: time.Second, cert: cert, key: key}
	out, stop := exampletest.Run(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	addr := out.Addr(t, "listening on ")
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: cs.Pool, ServerName: "localhost"})
	require.NoError(t, err)
	defer c.Close()
	got, err := exampletest.Exchange(c, []byte("hello"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
	require.NoError(t, stop())
	require.NotContains(t, out.String(), "self-signed")
}

// TestSIGTERMLetsTransfersFinish runs tls-echo as a program, with TLS
// clients midway through a few MiB each: after SIGTERM every client gets
// its whole echo back, and the program exits 0 well within its grace
// period.
func TestSIGTERMLetsTransfersFinish(t *testing.T) {
	const grace = time.Minute
	// A quiet time far longer than the clients' pause between SIGTERM and
	// their release, so that only their own end closes them.
	p := exampletest.Start(t, exampletest.Build(t), "-addr", "127.0.0.1:0", "-grace", grace.String(), "-quiet", "20s")
	addr := p.Out.Addr(t, "listening on ")
	roots := trust(t, p.Out.Addr(t, "certificate for localhost in "))
	p.Out.Next(t, "still serving")
	clients := exampletest.StartEchoClients(t, 4, 2<<20, func() (exampletest.HalfCloser, error) {
		return tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	})
	clients.WaitMidway(t)
	p.Signal(t, syscall.SIGTERM)
	p.Out.Next(t, "shutting down (open connections: 4)")
	clients.Release() // the rest is sent while the server shuts down
	clients.RequireIntact(t)
	code, ran := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Less(t, ran, grace)
	require.Contains(t, p.Out.String(), "every connection finished")
}

// TestForcedCloseCutsANonReader: when the grace period runs out, a
// client that sends and never reads (so that the server's echo is stuck
// writing) is cut at once. tls.Conn.Close would first try to send
// close_notify for up to 5 s of its own.
func TestForcedCloseCutsANonReader(t *testing.T) {
	const grace = 300 * time.Millisecond
	p := exampletest.Start(t, exampletest.Build(t), "-addr", "127.0.0.1:0", "-grace", grace.String(), "-quiet", "20s")
	addr := p.Out.Addr(t, "listening on ")
	roots := trust(t, p.Out.Addr(t, "certificate for localhost in "))
	p.Out.Next(t, "still serving")
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	require.NoError(t, err)
	defer c.Close()
	var sent atomic.Int64
	go func() {
		chunk := make([]byte, 64<<10)
		for {
			n, err := c.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	// Every buffer between us and the server's stuck echo is full once our
	// writes stop moving.
	last := int64(-1)
	require.Eventually(t, func() bool {
		n := sent.Load()
		stalled := n > 0 && n == last
		last = n
		return stalled
	}, 30*time.Second, 250*time.Millisecond, "the client's writes never stalled")
	at := time.Now()
	p.Signal(t, syscall.SIGTERM)
	code, _ := p.Wait(t)
	took := time.Since(at)
	require.Equal(t, 1, code, "the grace period ran out: %s", p.Out.String())
	require.Contains(t, p.Out.String(), "grace period ran out")
	require.Less(t, took, grace+4*time.Second, "the forced close waited for close_notify")
}

// TestPortTaken: tls-echo exits with status 1, saying why, when its
// address is taken.
func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p := exampletest.Start(t, exampletest.Build(t), "-addr", ln.Addr().String())
	code, _ := p.Wait(t)
	require.Equal(t, 1, code, p.Out.String())
	require.Contains(t, p.Out.String(), "address already in use")
}

// startServer runs tls-echo in this process with cfg until the test ends,
// and returns its address and the file of its certificate.
func startServer(t *testing.T, cfg config) (addr, certFile string) {
	t.Helper()
	out := exampletest.Serve(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	addr = out.Addr(t, "listening on ")
	certFile = out.Addr(t, "certificate for localhost in ")
	out.Next(t, "still serving")
	return addr, certFile
}

// trust returns a pool that trusts the certificate in file.
func trust(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pemBytes, err := os.ReadFile(file)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes), "a certificate in %s", file)
	return pool
}
