//go:build !unix

package core

import "errors"

// canPark is false: on Windows (where gnet runs for development only) a
// paused socket keeps reading into its bounded buffer.
const canPark = false

var errNoParking = errors.New("asyncnet: parking is not supported on this platform")

// canShutdownWrite is false: CloseWrite is not supported here.
const canShutdownWrite = false

var errNoHalfClose = errors.New("half-close is not supported on this platform")

func shutdownWrite(int) error { return errNoHalfClose }

func writeFD(int, []byte) (int, error) { return 0, errNoParking }

func setLingerZero(int) error { return errNoParking }

// failedFD is a descriptor with a pending error.
type failedFD struct {
	idx int
	err error
}

// failedFDs finds nothing: nothing is parked on this platform.
func failedFDs([]int) []failedFD { return nil }
