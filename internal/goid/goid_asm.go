//go:build amd64 || arm64

package goid

// getg returns the address of the calling goroutine's runtime g
// (goid_amd64.s, goid_arm64.s).
func getg() uintptr

// ID identifies the calling goroutine: never 0, different for goroutines
// alive at the same time, the same for a goroutine's whole life.
func ID() uint64 { return uint64(getg()) }
