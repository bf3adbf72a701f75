//go:build !amd64 && !arm64

package goid

// ID identifies the calling goroutine: never 0, different for goroutines
// alive at the same time, the same for a goroutine's whole life.
func ID() uint64 { return parse() }
