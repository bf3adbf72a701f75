package main

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// The write-cap server writes fillChunk bytes at a time (or a sixteenth
// of the cap, if that is smaller, so that a socket ends within 7 % of its
// cap) until a Write is refused, on connect and then every topUpEvery, so
// that its sockets stay at their cap while the kernel takes what it can.
const (
	fillChunk  = 256 << 10
	topUpEvery = 50 * time.Millisecond
)

// filler keeps the write-cap server's sockets written up to their cap.
type filler struct {
	chunk []byte
	open  *socketSet

	refused atomic.Int64 // Writes refused with core.ErrWriteBufferFull
	failed  atomic.Int64 // Writes that failed otherwise (a closed socket)
}

// newFiller returns a filler for the sockets of open, capped at limit
// bytes.
func newFiller(limit int, open *socketSet) *filler {
	return &filler{chunk: make([]byte, min(fillChunk, max(limit/16, 1))), open: open}
}

// topUp fills every open socket again; a Loop.Interval timer runs it.
func (f *filler) topUp() {
	for _, s := range f.open.list() {
		f.fill(s)
	}
}

// fill writes chunks to s until a Write fails: refused at the cap (the
// expected end), or because s is closed.
func (f *filler) fill(s *core.Socket) {
	for {
		_, err := s.Write(f.chunk)
		switch {
		case err == nil:
			continue
		case errors.Is(err, core.ErrWriteBufferFull):
			f.refused.Add(1)
		default:
			f.failed.Add(1)
		}
		return
	}
}
