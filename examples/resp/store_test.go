package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// newLoopStore returns a store on a running Loop, whose timers expire its
// keys; the Loop stops when the test ends.
func newLoopStore(t *testing.T) (*store, *core.Loop) {
	t.Helper()
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { require.NoError(t, l.Shutdown(context.Background())) })
	return newStore(l), l
}

// TestStoreExpiresUnreadKeys: the timer deletes a key that nobody reads.
func TestStoreExpiresUnreadKeys(t *testing.T) {
	st, l := newLoopStore(t)
	st.set([]byte("k"), []byte("v"), nowMillis()+50)
	st.set([]byte("stays"), []byte("v"), 0)
	require.Equal(t, 1, l.Stats().Timers)
	require.Eventually(t, func() bool { return st.size() == 1 }, testutil.Timeout, time.Millisecond)
	_, found := st.get([]byte("stays"))
	require.True(t, found)
	require.Equal(t, 0, l.Stats().Timers)
}

// TestStoreReplacesTimers: a key has at most one pending timer, whatever
// happens to it, and a timer that was replaced leaves the key alone even
// if it runs (Stop cannot stop a timer whose function has started).
func TestStoreReplacesTimers(t *testing.T) {
	st, l := newLoopStore(t)
	key := []byte("k")
	later := nowMillis() + time.Hour.Milliseconds()
	cases := []struct {
		name   string
		change func()
		timers int  // pending afterwards
		exists bool // the key, once the first timer has run anyway
	}{
		{name: "expire again", change: func() { st.expire(key, later) }, timers: 1, exists: true},
		{name: "set again", change: func() { st.set(key, []byte("w"), 0) }, timers: 0, exists: true},
		{name: "set with an expiry", change: func() { st.set(key, []byte("w"), later) }, timers: 1, exists: true},
		{name: "delete", change: func() { st.del([][]byte{key}) }, timers: 0, exists: false},
		{name: "incr keeps it", change: func() { st.set(key, []byte("1"), later); _, _ = st.incr(key) }, timers: 1, exists: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st.set(key, []byte("v"), nowMillis()+time.Minute.Milliseconds())
			st.mu.Lock()
			first, gen := st.keys["k"], st.keys["k"].gen
			st.mu.Unlock()
			tc.change()
			require.Equal(t, tc.timers, l.Stats().Timers)
			st.expired(first, gen) // the first timer, had it started before the change
			_, found := st.get(key)
			require.Equal(t, tc.exists, found)
			st.del([][]byte{key})
		})
	}
}

// TestStoreRearmsEarlyTimers: a timer that runs before the key's time (a
// key expiring in more than a day gets a timer for a day) sets the next.
func TestStoreRearmsEarlyTimers(t *testing.T) {
	st, l := newLoopStore(t)
	key := []byte("k")
	st.set(key, []byte("v"), nowMillis()+(48*time.Hour).Milliseconds())
	st.mu.Lock()
	e := st.keys["k"]
	st.mu.Unlock()
	st.expired(e, e.gen)
	_, found := st.get(key)
	require.True(t, found)
	require.Equal(t, 1, l.Stats().Timers)
	ms := st.ttl(key)
	require.InDelta(t, (48 * time.Hour).Milliseconds(), ms, float64(testutil.Scale(time.Second).Milliseconds()))
}
