package load

import "time"

// flight is one connection's closed loop: the messages in flight, when
// each was sent, and the start of a message that has not all come back.
type flight struct {
	size, depth uint64
	sent        []time.Time // send time of message seq, at seq % depth
	out         []byte      // room for depth messages, patterned
	part        []byte      // the start of the next message, < size bytes
	next, done  uint64      // the next message to send, and to receive
	stopping    bool        // the window is over: send nothing new
	n           int64       // round trips completed in the window
}

func newFlight(cfg Config) *flight {
	f := &flight{size: uint64(cfg.Size), depth: uint64(cfg.Depth)}
	f.sent = make([]time.Time, f.depth)
	f.out = make([]byte, cfg.Size*cfg.Depth)
	pattern(f.out)
	f.part = make([]byte, 0, cfg.Size)
	return f
}

// start returns the first depth messages, to be written now.
func (f *flight) start() []byte {
	now := time.Now()
	for k := range f.depth {
		fill(f.out[k*f.size:(k+1)*f.size], k)
		f.sent[k] = now
	}
	f.next = f.depth
	return f.out
}

// inFlight reports whether messages are still to come back.
func (f *flight) inFlight() bool { return f.done < f.next }

// got processes m bytes just read into in after the carried part (which
// the caller's read left at in's start: it reads into in[len(f.part):]),
// at now. It returns the replacement messages to write (nil if none, or
// once stopping), valid until the next call.
func (f *flight) got(in []byte, m int, now, from, until time.Time, cancel bool, h *hist) ([]byte, error) {
	copy(in, f.part)
	have := uint64(len(f.part) + m)
	measuring := !now.Before(from) && now.Before(until)
	f.stopping = f.stopping || cancel || !now.Before(until)
	var got uint64
	for ; have-got >= f.size; got += f.size {
		if err := check(in[got:got+f.size], f.done); err != nil {
			return nil, err
		}
		if measuring {
			f.n++
			h.record(now.Sub(f.sent[f.done%f.depth]))
		}
		f.done++
	}
	f.part = append(f.part[:0], in[got:have]...)
	k := got / f.size
	if k == 0 || f.stopping {
		return nil, nil
	}
	batch := f.out[:k*f.size]
	for j := range k {
		fill(batch[j*f.size:(j+1)*f.size], f.next)
		f.sent[f.next%f.depth] = now
		f.next++
	}
	return batch, nil
}
