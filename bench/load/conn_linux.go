package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// conn is a connected, raw TCP descriptor: Go's poller never sees it.
type conn = int

// dial connects a blocking socket to addr (a numeric loopback address, as
// Config.check requires).
func dial(_ context.Context, addr string) (conn, error) {
	ap, err := netipAddrPort(addr)
	if err != nil {
		return -1, err
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip := ap.IP.To4(); ip != nil {
		sa4 := &unix.SockaddrInet4{Port: ap.Port}
		copy(sa4.Addr[:], ip)
		sa = sa4
	} else {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: ap.Port}
		copy(sa6.Addr[:], ap.IP.To16())
		sa = sa6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("TCP_NODELAY: %w", err)
	}
	tv := unix.NsecToTimeval(int64(30 * time.Second))
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} { // for echoOnce
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			_ = unix.Close(fd)
			return -1, err
		}
	}
	for {
		err = unix.Connect(fd, sa)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("connect %s: %w", addr, err)
	}
	return fd, nil
}

func netipAddrPort(addr string) (*net.TCPAddr, error) {
	ap, err := net.ResolveTCPAddr("tcp", addr) // numeric: no lookup
	if err != nil {
		return nil, err
	}
	return ap, nil
}

func closeConn(c conn) { _ = unix.Close(c) }

// roundTrip writes msg and reads len(got) bytes back (blocking, with the
// socket's 30-second timeouts).
func roundTrip(c conn, msg, got []byte) error {
	for len(msg) > 0 {
		n, err := unix.Write(c, msg)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		msg = msg[n:]
	}
	for len(got) > 0 {
		n, err := unix.Read(c, got)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if n == 0 {
			return errors.New("read: the server closed the connection")
		}
		got = got[n:]
	}
	return nil
}

// drive runs every connection's closed loop on one thread, with epoll.
func drive(ctx context.Context, conns []conn, cfg Config, from, until time.Time, h *hist) (int64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return 0, fmt.Errorf("epoll_create1: %w", err)
	}
	defer unix.Close(ep)
	flights := make([]*flight, len(conns))
	defer func() {
		for _, fd := range conns {
			_ = unix.SetNonblock(fd, false) // blocking again, for the next Connect-style use
		}
	}()
	for i, fd := range conns {
		if err := unix.SetNonblock(fd, true); err != nil {
			return 0, err
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return 0, fmt.Errorf("epoll_ctl: %w", err)
		}
		flights[i] = newFlight(cfg)
		if err := writeAll(fd, flights[i].start()); err != nil {
			return 0, err
		}
	}
	inFlight := len(conns)
	in := make([]byte, max(64<<10, 2*cfg.Size))
	events := make([]unix.EpollEvent, 256)
	deadline := until.Add(drainTime)
	var n int64
	for inFlight > 0 {
		now := time.Now()
		if now.After(deadline) {
			return n, fmt.Errorf("%d connections' echoes did not come back within %v of the window's end", inFlight, drainTime)
		}
		wait := max(time.Millisecond, until.Sub(now)) // wake at the window's end to stop sending
		if !now.Before(until) {
			wait = deadline.Sub(now)
		}
		ready, err := unix.EpollWait(ep, events, int(wait/time.Millisecond)+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("epoll_wait: %w", err)
		}
		now = time.Now()
		cancel := ctx.Err() != nil
		for _, ev := range events[:ready] {
			f, fd := flights[ev.Fd], conns[ev.Fd]
			m, err := unix.Read(fd, in[len(f.part):])
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return n, fmt.Errorf("read: %w", err)
			}
			if m == 0 {
				return n, errors.New("read: the server closed a connection")
			}
			before := f.n
			out, err := f.got(in, m, now, from, until, cancel, h)
			n += f.n - before
			if err != nil {
				return n, err
			}
			if err := writeAll(fd, out); err != nil {
				return n, err
			}
			if !f.inFlight() {
				inFlight--
				_ = unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, fd, nil)
			}
		}
		if !now.Before(until) || cancel {
			for _, f := range flights {
				f.stopping = true
			}
		}
	}
	return n, nil
}

// writeAll writes p to the non-blocking fd. What is in flight is at most
// Depth × Size bytes, far below a loopback socket's send buffer, so a
// short write means something is wrong.
func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		p = p[n:]
	}
	return nil
}
