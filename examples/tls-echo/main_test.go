package main

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	require.NoError(t, run("127.0.0.1:0", nil, &out, nil))
	got := out.String()
	require.Contains(t, got, "TLS echo server on 127.0.0.1:")
	require.Contains(t, got, `certificate of "localhost" verified`)
	require.Contains(t, got, `client: got "on asyncnet"`)
}

// TestOpenSSLClient talks to the TLS server with openssl s_client, which
// must verify the server's certificate against the throwaway authority.
func TestOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed (make deps installs it): skipping the openssl s_client test")
	}
	stop := make(chan struct{})
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run("127.0.0.1:0", stop, &testutil.LockedBuffer{}, func(addr, ca string) { ready <- [2]string{addr, ca} })
	}()
	at := testutil.Recv(t, ready, "the server")
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", at[0], "-CAfile", at[1],
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
	_ = stdin.Close()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	require.Contains(t, stderr.String(), "verify return:1", "openssl verified the certificate")
	require.False(t, strings.Contains(stderr.String(), "verify error"))
	close(stop)
	require.NoError(t, testutil.Recv(t, done, "the server to stop"))
}
