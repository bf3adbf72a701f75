package adapters

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/asyncnet/asyncnet/core/transport"
)

// The doorman's connects: non-blocking, in its poller, with their
// timeouts in its timer heap (doorman_linux.go).

// dialing is a connect in progress.
type dialing struct {
	d     transport.Dial
	ch    transport.ConnHandler
	done  func(error)
	timer timer

	// The doorman's goroutine only.
	id    uint32
	fd    int // -1 once handed over or closed
	ended bool
}

// dial starts connecting (see transport.Dialer).
func (dm *doorman) dial(d transport.Dial, ch transport.ConnHandler, done func(error)) (func(), error) {
	if !d.Addr.IsValid() {
		return nil, errors.ErrUnsupported
	}
	if err := dm.start(); err != nil {
		return nil, err
	}
	x := &dialing{d: d, ch: ch, done: done, fd: -1}
	x.timer.fn = func() { dm.end(x, dm.opError(x, os.ErrDeadlineExceeded)) }
	if !dm.post(func() { dm.connect(x) }) {
		return nil, ErrStopped
	}
	return func() { dm.post(func() { dm.end(x, context.Canceled) }) }, nil
}

// connect starts x's connect.
func (dm *doorman) connect(x *dialing) {
	if x.ended {
		return
	}
	if x.d.Timeout > 0 {
		dm.timers.set(&x.timer, time.Now().Add(x.d.Timeout))
	}
	fd, err := connectSocket(x.d)
	switch err {
	case nil:
		dm.handOver(x, fd)
	case unix.EINPROGRESS:
		x.fd = fd
		x.id = dm.newID(x)
		if err := unix.EpollCtl(dm.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(x.id)}); err != nil {
			dm.end(x, dm.opError(x, os.NewSyscallError("epoll_ctl", err)))
		}
	default:
		if fd >= 0 {
			_ = unix.Close(fd)
		}
		dm.end(x, dm.opError(x, err))
	}
}

// writable finishes the connect the poller reports done (or failed).
func (dm *doorman) writable(x *dialing) {
	errno, err := unix.GetsockoptInt(x.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		dm.end(x, dm.opError(x, os.NewSyscallError("getsockopt", err)))
	case errno == 0:
		_ = unix.EpollCtl(dm.epfd, unix.EPOLL_CTL_DEL, x.fd, nil)
		delete(dm.items, x.id)
		x.id = 0
		fd := x.fd
		x.fd = -1
		dm.handOver(x, fd)
	case syscall.Errno(errno) == unix.EINPROGRESS || syscall.Errno(errno) == unix.EALREADY || syscall.Errno(errno) == unix.EINTR:
		// not yet
	default:
		dm.end(x, dm.opError(x, os.NewSyscallError("connect", syscall.Errno(errno))))
	}
}

// handOver makes a net.Conn of the connected fd (gnet takes nothing else)
// and places it on an event loop.
func (dm *doorman) handOver(x *dialing, fd int) {
	f := os.NewFile(uintptr(fd), "asyncnet-dial")
	nc, err := net.FileConn(f)
	_ = f.Close()
	if err == nil {
		if err = setKeepAlive(nc, x.d.KeepAlive); err != nil {
			_ = nc.Close()
		}
	}
	if err != nil {
		dm.end(x, dm.opError(x, err))
		return
	}
	dm.end(x, dm.place(nc, x.ch))
}

// end ends x, once, with err (nil: placed).
func (dm *doorman) end(x *dialing, err error) {
	if x.ended {
		return
	}
	x.ended = true
	dm.timers.remove(&x.timer)
	if x.id != 0 {
		delete(dm.items, x.id)
	}
	if x.fd >= 0 {
		_ = unix.Close(x.fd) // the poller forgets it
		x.fd = -1
	}
	x.done(err)
}

// opError wraps err as net.Dialer does.
func (dm *doorman) opError(x *dialing, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(x.d.Addr), Err: err}
}

// connectSocket makes a non-blocking TCP socket and starts connecting it:
// nil if connected at once, EINPROGRESS if under way. fd is -1 when there
// is none. (Its options are set once it is a net.Conn: handOver.)
func connectSocket(d transport.Dial) (fd int, err error) {
	ip := d.Addr.Addr().Unmap()
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip.Is4() {
		sa = &unix.SockaddrInet4{Port: int(d.Addr.Port()), Addr: ip.As4()}
	} else {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: int(d.Addr.Port()), Addr: ip.As16()}
		if z := ip.Zone(); z != "" {
			if ifi, err := net.InterfaceByName(z); err == nil {
				sa6.ZoneId = uint32(ifi.Index)
			}
		}
		sa = sa6
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	switch err := unix.Connect(fd, sa); err {
	case nil, unix.EISCONN:
		return fd, nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return fd, unix.EINPROGRESS
	default:
		_ = unix.Close(fd)
		return -1, os.NewSyscallError("connect", err)
	}
}

// goKeepAlive is what net.FileConn sets on a TCP connection, as net.Dialer
// does by default.
var goKeepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 15 * time.Second, Count: 9}

// setKeepAlive gives the connection nc made by net.FileConn (which sets
// TCP_NODELAY and goKeepAlive) the keepalive ka, as net.Dialer would.
func setKeepAlive(nc net.Conn, ka net.KeepAliveConfig) error {
	tc, ok := nc.(*net.TCPConn)
	switch {
	case !ok:
		return nil
	case !ka.Enable:
		return tc.SetKeepAlive(false)
	case ka == goKeepAlive:
		return nil
	}
	return tc.SetKeepAliveConfig(ka)
}
