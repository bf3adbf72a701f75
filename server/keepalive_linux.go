package server

import (
	"net"
	"syscall"

	"github.com/asyncnet/asyncnet/internal/sockopt"
)

// listenConfig returns the net.ListenConfig of a listener whose accepted
// sockets get keepalive ka. On Linux an accepted socket inherits the
// listener's keepalive settings, so they are set once, on the listener,
// rather than with four system calls per connection as net does.
func listenConfig(ka net.KeepAliveConfig) net.ListenConfig {
	lc := net.ListenConfig{KeepAlive: -1} // net leaves accepted sockets as they are
	if !ka.Enable {
		return lc
	}
	lc.Control = func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) { err = sockopt.SetKeepAlive(int(fd), ka) }); cerr != nil {
			return cerr
		}
		return err
	}
	return lc
}
