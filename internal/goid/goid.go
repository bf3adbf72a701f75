// Package goid identifies the calling goroutine, for one purpose: a Loop
// telling whether it is called from one of its own reactors (where a
// blocking call would stall every socket of the reactor, or deadlock). Go
// hides goroutine identity on purpose; asyncnet uses it only for that
// check, never to route work.
//
// On amd64 and arm64, ID reads the address of the runtime's g of the
// calling goroutine, in two instructions (goid_*.s): unique among live
// goroutines, and stable for a goroutine's life. Elsewhere it parses the
// goroutine's number out of runtime.Stack's header (about a microsecond,
// under a process-wide lock).
package goid

import "runtime"

// parse returns the calling goroutine's number, from the header
// runtime.Stack writes ("goroutine 123 [running]:"), or 0 if it cannot.
func parse() uint64 {
	var buf [32]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
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
