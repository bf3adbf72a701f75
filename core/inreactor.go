package core

import "github.com/asyncnet/asyncnet/internal/goid"

// InReactor reports whether the calling goroutine is one of the Loop's
// reactors: whether it runs inside a callback. Code that may block must not
// run there. It costs a few nanoseconds (a microsecond on architectures
// other than amd64 and arm64). Safe to call from any goroutine.
func (l *Loop) InReactor() bool {
	if !l.valid() || !l.started.Load() || !l.running() {
		return false
	}
	id := goid.ID()
	for _, r := range l.rs() {
		if r.gid.Load() == id {
			return true
		}
	}
	return false
}
