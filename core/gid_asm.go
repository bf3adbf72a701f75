//go:build amd64 || arm64

package core

// getg returns the address of the calling goroutine's runtime g: an
// identity that is unique among live goroutines, read in two instructions
// (gid_*.s). A reactor's goroutine lives as long as its Loop, so its g
// stays the same while the Loop runs.
func getg() uintptr

// gid identifies the calling goroutine.
func gid() uint64 { return uint64(getg()) }
