package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// TestProxyKeepsMemoryFlat moves 24 MiB from a fast source to a 12 MB/s
// sink: everything arrives, and the proxy never holds much more than one
// high watermark of it.
func TestProxyKeepsMemoryFlat(t *testing.T) {
	rep, err := runDemoEvery(24<<20, 12<<20, 20*time.Millisecond, io.Discard)
	require.NoError(t, err)
	require.True(t, rep.Intact, "moved %d bytes", rep.Moved)
	require.Positive(t, rep.Pauses, "the slow side congested and the fast side was paused")
	require.Less(t, rep.MaxBuffered, int64(2*core.DefaultWriteHighWatermark+core.MaxReadChunk))
}
