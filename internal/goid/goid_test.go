package goid

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestID: on this platform, ID is not 0, is stable within a goroutine, and
// tells live goroutines apart.
func TestID(t *testing.T) {
	me := ID()
	require.NotZero(t, me)
	require.Equal(t, me, ID())
	const n = 64
	ids := make([]uint64, n)
	var started, hold sync.WaitGroup
	started.Add(n)
	hold.Add(1)
	var done sync.WaitGroup
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			ids[i] = ID()
			require.Equal(t, ids[i], ID())
			started.Done()
			hold.Wait() // all alive at once
		}()
	}
	started.Wait()
	hold.Done()
	done.Wait()
	seen := map[uint64]bool{me: true}
	for _, id := range ids {
		require.NotZero(t, id)
		require.False(t, seen[id], "two live goroutines share an ID")
		seen[id] = true
	}
}

// TestParse: the fallback reads the runtime's goroutine number, which
// differs between goroutines.
func TestParse(t *testing.T) {
	main := parse()
	require.NotZero(t, main)
	other := make(chan uint64)
	go func() { other <- parse() }()
	require.NotEqual(t, main, <-other)
}
