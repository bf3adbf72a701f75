//go:build !unix

package memtransport

import "net"

// watchFailure cannot watch a paused connection here: a reset is noticed
// on Resume.
func watchFailure(net.Conn) (err error, ok bool) { return nil, false }

// drainUnread does nothing here.
func drainUnread(net.Conn) {}
