//go:build !unix

package memtransport

import (
	"net"
	"syscall"
)

// watchFailure cannot watch a paused connection here: a reset is noticed
// on Resume.
func watchFailure(net.Conn) (err error, ok bool) { return nil, false }

// drainUnread does nothing here.
func drainUnread(net.Conn) {}

// pendingError cannot read the socket's pending error here: it says
// ECONNRESET.
func pendingError(net.Conn) error { return syscall.ECONNRESET }
