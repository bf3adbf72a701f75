package metrics_test

import (
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/metrics"
	"github.com/asyncnet/asyncnet/server"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var runs atomic.Int32

// TestPublishExpvar: the Loop's Stats appear under the name at
// /debug/vars, counters included, fresh at each request.
func TestPublishExpvar(t *testing.T) {
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) { _, _ = s.Write(data) })
	require.NoError(t, err)
	name := fmt.Sprintf("asyncnet_test_%d", runs.Add(1)) // expvar names live as long as the process (-count=N)
	require.NoError(t, metrics.PublishExpvar(l, name))
	require.Error(t, metrics.PublishExpvar(l, name), "a name twice")
	testutil.RequireArgError(t, metrics.PublishExpvar(nil, "x"), "l")
	testutil.RequireArgError(t, metrics.PublishExpvar(l, ""), "name")

	c, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 5))
	require.NoError(t, err)

	web := httptest.NewServer(expvar.Handler())
	defer web.Close()
	scrape := func() core.Stats {
		res, err := http.Get(web.URL)
		require.NoError(t, err)
		defer res.Body.Close()
		var vars map[string]json.RawMessage
		require.NoError(t, json.NewDecoder(res.Body).Decode(&vars))
		var st core.Stats
		require.NoError(t, json.Unmarshal(vars[name], &st))
		return st
	}
	st := scrape()
	require.Equal(t, 1, st.Servers)
	require.Equal(t, 1, st.IncomingSockets)
	require.EqualValues(t, 1, st.Accepted)
	require.EqualValues(t, 5, st.BytesRead)
	// BytesWritten counts what the kernel took, reported by the
	// transport's write callback, which may come after the peer read
	// the echo: each scrape is fresh, so a later one shows it.
	require.Eventually(t, func() bool { return scrape().BytesWritten == 5 }, 5*time.Second, 5*time.Millisecond)
}
