package sockopt

import (
	"cmp"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SetKeepAlive turns TCP keepalive on for fd as net.Dialer and
// net.ListenConfig do for ka.Enable: a zero field takes Go's default (15s
// idle, 15s interval, 9 probes), a negative one the system's.
func SetKeepAlive(fd int, ka net.KeepAliveConfig) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	opts := [...]struct {
		opt int
		v   int
	}{
		{unix.TCP_KEEPIDLE, seconds(cmp.Or(ka.Idle, 15*time.Second))},
		{unix.TCP_KEEPINTVL, seconds(cmp.Or(ka.Interval, 15*time.Second))},
		{unix.TCP_KEEPCNT, cmp.Or(ka.Count, 9)},
	}
	for _, o := range opts {
		if o.v < 0 {
			continue // the system's default
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, o.opt, o.v); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	return nil
}

// seconds rounds d up to whole seconds, as net does; negative stays
// negative.
func seconds(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int((d + time.Second - 1) / time.Second)
}
