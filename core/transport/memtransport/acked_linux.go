package memtransport

import (
	"net"

	"golang.org/x/sys/unix"
)

// ackedBytes returns how many bytes the peer has acknowledged on nc, a TCP
// socket (TCP_INFO).
func ackedBytes(nc net.Conn) (uint64, bool) {
	rc := rawConn(nc)
	if rc == nil {
		return 0, false
	}
	var acked uint64
	ok := false
	_ = rc.Control(func(fd uintptr) {
		ti, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err == nil {
			acked, ok = ti.Bytes_acked, true
		}
	})
	return acked, ok
}
