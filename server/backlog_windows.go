package server

import (
	"errors"
	"net"
)

// setBacklog is not supported on Windows, where gnet runs for development
// only.
func setBacklog(net.Listener, int) error {
	return errors.New("asyncnet: server.WithBacklog is not supported on Windows")
}
