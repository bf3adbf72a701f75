package server

import (
	"errors"
	"syscall"
)

// reusePort is not supported on Windows (it has no SO_REUSEPORT; its
// SO_REUSEADDR lets another socket steal the port).
func reusePort(string, string, syscall.RawConn) error {
	return errors.New("asyncnet: server.WithReusePort is not supported on Windows")
}
