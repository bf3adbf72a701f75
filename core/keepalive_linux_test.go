package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// TestTCPKeepAlive: accepted and dialled sockets get keepalive with the
// idle time asked for (15s by default, like Go's net), or none.
func TestTCPKeepAlive(t *testing.T) {
	testutil.GnetOnly(t, "it reads the kernel socket's options through gnet's Conn.Fd; "+
		"memtransport hides the socket it bridges")
	type probe struct{ on, idle int }
	read := func(s *core.Socket) probe {
		fd := adapters.SocketC(s).Fd()
		on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		require.NoError(t, err)
		idle, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
		require.NoError(t, err)
		return probe{on: on, idle: idle}
	}
	tests := []struct {
		name      string
		keepAlive time.Duration // 0: no option
		want      probe
	}{
		{name: "default", want: probe{on: 1, idle: 15}},
		{name: "7s", keepAlive: 7 * time.Second, want: probe{on: 1, idle: 7}},
		{name: "off", keepAlive: -1, want: probe{on: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var accepted, dialled probe
			srvOpts := []server.Option{core.OnConnect(func(s *core.Socket) {
				accepted = read(s)
				_ = s.Close()
			})}
			var cliOpts []client.Option
			if tt.keepAlive != 0 {
				srvOpts = append(srvOpts, core.WithTCPKeepAlive(tt.keepAlive))
				cliOpts = append(cliOpts, core.WithTCPKeepAlive(tt.keepAlive))
			}
			testutil.Run(t, func(l *core.Loop) {
				srv, err := server.TCPServer(l, "127.0.0.1:0", echo, srvOpts...)
				require.NoError(t, err)
				_, err = client.TCPConnect(l, srv.Addr().String(), echo, append(cliOpts,
					core.OnConnect(func(s *core.Socket) { dialled = read(s) }),
					core.OnEvent(func(*core.Socket, error) { _ = srv.Close() }))...)
				require.NoError(t, err)
			})
			if tt.want.on == 0 {
				require.Zero(t, accepted.on)
				require.Zero(t, dialled.on)
				return
			}
			require.Equal(t, tt.want, accepted, "accepted")
			require.Equal(t, tt.want, dialled, "dialled")
		})
	}
}
