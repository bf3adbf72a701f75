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
// idle time and probe interval asked for (15s by default, like Go's net)
// and 9 probes, or none. (On Linux an accepted socket inherits them from
// the listener.)
func TestTCPKeepAlive(t *testing.T) {
	testutil.GnetOnly(t, "it reads the kernel socket's options through gnet's Conn.Fd; "+
		"memtransport hides the socket it bridges")
	type probe struct{ on, idle, interval, count int }
	read := func(s *core.Socket) probe {
		fd := adapters.SocketC(s).Fd()
		var p probe
		var err error
		p.on, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		require.NoError(t, err)
		if p.on == 0 {
			return p
		}
		p.idle, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
		require.NoError(t, err)
		p.interval, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
		require.NoError(t, err)
		p.count, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT)
		require.NoError(t, err)
		return p
	}
	tests := []struct {
		name      string
		keepAlive time.Duration // 0: no option
		want      probe
	}{
		{name: "default", want: probe{on: 1, idle: 15, interval: 15, count: 9}},
		{name: "7s", keepAlive: 7 * time.Second, want: probe{on: 1, idle: 7, interval: 7, count: 9}},
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
