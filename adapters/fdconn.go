package adapters

import (
	"net"
	"os"

	"github.com/panjf2000/gnet/v2"
)

// fileConn returns a net.Conn on fd, which it takes over (it closes fd:
// the net.Conn has a duplicate of its own).
func fileConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	return net.FileConn(f)
}

// dupConn returns a net.Conn on a duplicate of gc's descriptor, which
// outlives gnet's close of gc.
func dupConn(gc gnet.Conn) (net.Conn, error) {
	fd, err := gc.Dup()
	if err != nil {
		return nil, err
	}
	return fileConn(fd, "asyncnet-dup")
}
