package buf

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
	var q Queue
	var model []byte
	next := byte(0)
	for range 5000 {
		switch rng.IntN(5) {
		case 0, 1:
			p := make([]byte, rng.IntN(3*BlockSize))
			for i := range p {
				p[i] = next
				next++
			}
			n, err := q.Write(p)
			require.NoError(t, err)
			require.Equal(t, len(p), n)
			model = append(model, p...)
		case 2:
			p := make([]byte, rng.IntN(2*BlockSize))
			n := q.Read(p)
			require.Equal(t, min(len(p), len(model)), n)
			require.True(t, bytes.Equal(model[:n], p[:n]))
			model = model[n:]
		case 3:
			n := rng.IntN(len(model) + 1)
			q.Discard(n)
			model = model[n:]
		case 4:
			var bs []*Block
			if rng.IntN(2) == 0 {
				if b := q.Pop(); b != nil {
					bs = append(bs, b)
				}
			} else {
				bs = q.Take(nil, rng.IntN(3*BlockSize))
			}
			var got []byte
			for _, b := range bs {
				got = append(got, b.Bytes()...)
				Put(b)
			}
			require.True(t, bytes.Equal(model[:len(got)], got))
			model = model[len(got):]
		}
		require.Equal(t, len(model), q.Len())
	}
	q.Reset()
	require.Zero(t, q.Len())
	require.Empty(t, q.Blocks())
}

// TestBlockQueueCycleAllocatesNothing: the echo path's cycle (write a
// little, take it, give the block back) reuses everything.
func TestBlockQueueCycleAllocatesNothing(t *testing.T) {
	var q, inflight Queue
	msg := make([]byte, 64)
	var spare []*Block
	cycle := func() {
		_, _ = q.Write(msg)
		spare = q.Take(spare[:0], 1<<20)
		inflight.Push(spare)
		inflight.Discard(inflight.Len())
	}
	cycle() // warm the pool and the arrays
	require.Zero(t, testing.AllocsPerRun(100, cycle))
}
