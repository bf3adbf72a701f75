package adapters

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimerHeap: timers fire in deadline order, once; a removed timer does
// not fire; a re-armed one fires at its new deadline; waitMillis rounds up.
func TestTimerHeap(t *testing.T) {
	var h timerHeap
	now := time.Now()
	require.Equal(t, -1, h.waitMillis(now), "no timer")
	var fired []string
	mk := func(name string) *timer { return &timer{fn: func() { fired = append(fired, name) }} }
	a, b, c, d := mk("a"), mk("b"), mk("c"), mk("d")
	h.set(c, now.Add(3*time.Millisecond))
	h.set(a, now.Add(1*time.Millisecond))
	h.set(b, now.Add(2*time.Millisecond))
	h.set(d, now.Add(4*time.Millisecond))
	h.remove(b)
	h.remove(b) // not armed: nothing
	h.set(c, now.Add(500*time.Microsecond))
	require.Equal(t, 1, h.waitMillis(now), "0.5 ms rounds up to 1")
	h.fire(now.Add(3 * time.Millisecond))
	require.Equal(t, []string{"c", "a"}, fired)
	require.Equal(t, 1, h.Len())
	h.fire(now.Add(time.Hour))
	require.Equal(t, []string{"c", "a", "d"}, fired)
	require.Zero(t, h.Len())
	require.Equal(t, -1, h.waitMillis(now))
}
