package server_test

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// abstractName returns an abstract socket name no other test uses.
func abstractName(t *testing.T) string {
	return fmt.Sprintf("@asyncnet-test-%d-%s-%d", os.Getpid(), t.Name(), time.Now().UnixNano())
}

// TestPipeServerAbstract: "@name" is a Linux abstract socket: it serves as
// a file socket does, leaves no file, and a live name is not taken over.
func TestPipeServerAbstract(t *testing.T) {
	l := testutil.Started(t)
	name := abstractName(t)
	srv, err := server.PipeServer(l, name, upper)
	require.NoError(t, err)
	require.Equal(t, name, srv.Addr().String())

	c, err := net.DialTimeout("unix", name, testutil.Timeout)
	require.NoError(t, err)
	require.Equal(t, "ABSTRACT", pipeRoundTrip(t, c, "abstract"))
	require.NoError(t, c.Close())

	t.Run("socat", func(t *testing.T) {
		socat := exampletest.Tool(t, "socat", "socat")
		got, err := exampletest.RunTool(socat, []byte("from socat"), "-t", "30", "STDIO", "ABSTRACT-CONNECT:"+name[1:])
		require.NoError(t, err)
		require.Equal(t, "FROM SOCAT", string(got))
	})

	second, err := server.PipeServer(l, name, upper)
	require.Nil(t, second)
	requireBindError(t, err, name, syscall.EADDRINUSE)

	_, err = server.PipeServer(l, abstractName(t), upper, server.WithSocketMode(0o600))
	require.ErrorContains(t, err, "abstract socket has no file")

	require.NoError(t, srv.Close())
	_, err = net.Dial("unix", name)
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "the name goes with the socket")
}
