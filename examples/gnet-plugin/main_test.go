package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	cfg := config{app: testutil.FreePort(t), proxy: testutil.FreePort(t), timeout: 200 * time.Millisecond}
	require.NoError(t, run(cfg, &out))
	got := out.String()
	for _, want := range []string{
		`client: the app says "welcome to the gnet app\n"`,
		`client: the app echoes "hello gnet\n"`,
		`client: through the proxy: "backend: HELLO BACKEND\n"`,
		"proxy: backend connection: ",
		"client: the proxy closed the connection after",
	} {
		require.Contains(t, got, want)
	}
	require.Contains(t, got[strings.Index(got, "proxy: backend connection: "):], "no data for 200ms", "the read timeout closed it")
}
