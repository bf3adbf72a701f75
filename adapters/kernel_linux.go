package adapters

import (
	"errors"

	"golang.org/x/sys/unix"
)

// kernelCounts: the kernel counts the bytes a TCP socket took
// (kernelAccepted), so connections are written through gnet's buffer.
const kernelCounts = true

// kernelAccepted returns how many bytes have been written into the TCP
// socket fd over its life: those the peer acknowledged plus those still in
// the send queue. The two are read in one consistent moment: if an ACK
// lands between the reads, they are read again.
func kernelAccepted(fd int) (uint64, error) {
	for range 100 {
		a, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return 0, err
		}
		queued, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
		if err != nil {
			return 0, err
		}
		b, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return 0, err
		}
		if a.Bytes_acked == b.Bytes_acked {
			return a.Bytes_acked + uint64(queued), nil
		}
	}
	return 0, errors.New("asyncnet: send counters kept moving")
}

// ackedBytes returns how many bytes the peer has acknowledged on the TCP
// socket fd: the peer's progress, even while the kernel's buffers hide it
// from the transport.
func ackedBytes(fd int) (uint64, bool) {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, false
	}
	return ti.Bytes_acked, true
}
