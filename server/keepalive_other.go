//go:build !linux

package server

import "net"

// listenConfig returns the net.ListenConfig of a listener whose accepted
// sockets get keepalive ka: net sets it on each as it accepts it.
func listenConfig(ka net.KeepAliveConfig) net.ListenConfig {
	lc := net.ListenConfig{KeepAliveConfig: ka}
	if !ka.Enable {
		lc.KeepAlive = -1
	}
	return lc
}
