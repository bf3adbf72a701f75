//go:build !amd64 && !arm64

package core

import "runtime"

// gid identifies the calling goroutine. Without the assembly of amd64 and
// arm64 it parses the goroutine id out of runtime.Stack (a microsecond).
func gid() uint64 { return goid() }

// goid returns the calling goroutine's id. Go does not expose it; this
// parses the header runtime.Stack writes ("goroutine 123 [running]:"),
// which costs about a microsecond and takes a process-wide lock: gid uses
// it only where there is no faster way.
func goid() uint64 {
	var buf [32]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) <= len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
