package adapters

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// kernelBaseline returns how many bytes the kernel has taken from writes on
// nc so far, before the transport writes to it. With kernelAccepted later,
// it tells how many bytes the transport got into the kernel.
func kernelBaseline(nc net.Conn) (uint64, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n uint64
	var cerr error
	if err := rc.Control(func(fd uintptr) { n, cerr = kernelAccepted(int(fd)) }); err != nil || cerr != nil {
		return 0, false
	}
	return n, true
}

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
