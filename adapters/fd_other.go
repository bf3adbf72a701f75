//go:build !unix

package adapters

import "net"

// canPark is false: on Windows (where gnet runs for development only) a
// paused connection goes on being read; the socket keeps the bytes within
// its bound.
const canPark = false

func writeFD(int, []byte) (int, error) { return 0, errNotHere }

func unixLocalAddr(int) net.Addr { return nil }

func setLingerZero(int) error { return errNotHere }

func shutdownWrite(int) error { return errNotHere }

// failedFD is a descriptor with a pending error.
type failedFD struct {
	idx int
	err error
}

// failedFDs finds nothing: nothing is parked on this platform.
func failedFDs([]int) []failedFD { return nil }
