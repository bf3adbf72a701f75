package main

import (
	"errors"
	"maps"
	"sync"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
)

// eventCounter counts the conditions the server's sockets get, by kind,
// so that the report says which behaviour was measured: sockets closed at
// the cap, or kept open.
type eventCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// record is an event callback (core.OnEvent) that counts ev.
func (e *eventCounter) record(_ *core.Socket, ev error) {
	name := eventName(ev)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.counts == nil {
		e.counts = make(map[string]int)
	}
	e.counts[name]++
}

// snapshot returns the counts so far (an empty map if none).
func (e *eventCounter) snapshot() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.counts))
	maps.Copy(out, e.counts)
	return out
}

// eventName names a condition by its kind ("tcp-eof", "tcp-reset"), with
// the cap that caused it if one did ("tcp-error/read-buffer-full").
func eventName(ev error) string {
	name := "other"
	var ce *conditions.Error
	if errors.As(ev, &ce) && ce.Kind != nil {
		name = ce.Kind.Name()
	}
	switch {
	case errors.Is(ev, core.ErrReadBufferFull):
		name += "/read-buffer-full"
	case errors.Is(ev, core.ErrWriteBufferFull):
		name += "/write-buffer-full"
	}
	return name
}
