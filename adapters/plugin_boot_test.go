package adapters_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
)

// TestPluginTakesConnectionEndedAtBoot: a connection taken as the engine
// boots, before the Loop has the engine's event loops, whose peer sends
// its request and ends its side at once, still reaches asyncnet: its
// socket opens, gets the bytes, then the end of file, and its reply goes
// back on the half-open connection.
func TestPluginTakesConnectionEndedAtBoot(t *testing.T) {
	for boot := range 20 {
		t.Run(fmt.Sprint(boot), func(t *testing.T) {
			a := newApp()
			var got []byte
			var addr string
			popts := []adapters.PluginOption{adapters.Take(func(gnet.Conn) bool { return true },
				func(_ *core.Socket, data []byte) { got = append(got, data...) },
				core.WithAllowHalfOpen(),
				core.OnEvent(func(s *core.Socket, ev error) {
					if errors.Is(ev, conditions.TCPEOF) {
						_, _ = s.Write(append([]byte("got:"), got...))
						_ = s.Close()
					}
				}))}
			_, addr, _ = runApp(t, a, popts)
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Write([]byte("hello"))
			require.NoError(t, err)
			require.NoError(t, c.(*net.TCPConn).CloseWrite())
			reply, err := io.ReadAll(c)
			require.NoError(t, err)
			require.Equal(t, "got:hello", string(reply))
		})
	}
}
