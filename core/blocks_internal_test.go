package core

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBlockQueueIsAFIFO: random writes, reads, discards, takes and pops
// keep the queue equal to a plain byte slice doing the same.
func TestBlockQueueIsAFIFO(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q blockQueue
	var model []byte
	next := byte(0)
	for range 5000 {
		switch rng.IntN(5) {
		case 0, 1:
			p := make([]byte, rng.IntN(3*blockSize))
			for i := range p {
				p[i] = next
				next++
			}
			n, err := q.Write(p)
			require.NoError(t, err)
			require.Equal(t, len(p), n)
			model = append(model, p...)
		case 2:
			p := make([]byte, rng.IntN(2*blockSize))
			n := q.read(p)
			require.Equal(t, min(len(p), len(model)), n)
			require.True(t, bytes.Equal(model[:n], p[:n]))
			model = model[n:]
		case 3:
			n := rng.IntN(len(model) + 1)
			q.discard(n)
			model = model[n:]
		case 4:
			var bs []*block
			if rng.IntN(2) == 0 {
				if b := q.pop(); b != nil {
					bs = append(bs, b)
				}
			} else {
				bs = q.take(nil, rng.IntN(3*blockSize))
			}
			var got []byte
			for _, b := range bs {
				got = append(got, b.bytes()...)
				putBlock(b)
			}
			require.True(t, bytes.Equal(model[:len(got)], got))
			model = model[len(got):]
		}
		require.Equal(t, len(model), q.Len())
	}
	q.reset()
	require.Zero(t, q.Len())
	require.Empty(t, q.live())
}

// TestBlockQueueCycleAllocatesNothing: the echo path's cycle (write a
// little, take it, give the block back) reuses everything.
func TestBlockQueueCycleAllocatesNothing(t *testing.T) {
	var q, inflight blockQueue
	msg := make([]byte, 64)
	var spare []*block
	cycle := func() {
		_, _ = q.Write(msg)
		spare = q.take(spare[:0], 1<<20)
		inflight.push(spare)
		inflight.discard(inflight.Len())
	}
	cycle() // warm the pool and the arrays
	require.Zero(t, testing.AllocsPerRun(100, cycle))
}
