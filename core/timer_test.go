package core_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

const tick = 5 * time.Millisecond

// slack allows for a busy two-core machine; it only widens the upper
// bounds, by testutil.Scale's factor.
var slack = testutil.Scale(250 * time.Millisecond)

func TestDelayFiresOnTime(t *testing.T) {
	const d = 60 * time.Millisecond
	var start time.Time
	var elapsed time.Duration
	testutil.Run(t, func(l *core.Loop) {
		start = time.Now()
		require.NoError(t, l.Delay(d, func() { elapsed = time.Since(start) }).Err())
		require.Equal(t, 1, l.Stats().Timers)
	}, core.WithTickInterval(tick))
	require.GreaterOrEqual(t, elapsed, d, "never early")
	require.Less(t, elapsed, d+3*tick+slack)
}

// TestIntervalStoppedAfterThree ports cl-async's interval test: stopped
// after its third run, it ran three times.
func TestIntervalStoppedAfterThree(t *testing.T) {
	runs := 0
	var stopped bool
	testutil.Run(t, func(l *core.Loop) {
		var it *core.Timer
		it = l.Interval(10*time.Millisecond, func() {
			if runs++; runs == 3 {
				stopped = it.Stop()
			}
		})
	}, core.WithTickInterval(tick))
	require.Equal(t, 3, runs)
	require.True(t, stopped, "Stop of an interval keeps its next run from happening")
}

func TestStopBeforeFiring(t *testing.T) {
	var ran atomic.Bool
	var first, second bool
	var stats core.Stats
	l := core.NewLoop(core.WithTickInterval(tick))
	require.NoError(t, testutil.RunErr(t, l, func(l *core.Loop) {
		tm := l.Delay(time.Hour, func() { ran.Store(true) })
		first = tm.Stop()
		second = tm.Stop()
		stats = l.Stats()
	}))
	require.True(t, first)
	require.False(t, second)
	require.False(t, ran.Load())
	require.Zero(t, stats.Timers, "a stopped timer no longer counts")
}

func TestStopAfterFiring(t *testing.T) {
	var stopped = true
	testutil.Run(t, func(l *core.Loop) {
		var tm *core.Timer
		tm = l.Delay(time.Millisecond, func() {
			l.Delay(0, func() { stopped = tm.Stop() })
		})
	}, core.WithTickInterval(tick))
	require.False(t, stopped, "a Delay that ran cannot be stopped")
}

func TestTimersDoNotRunAfterExit(t *testing.T) {
	var ran atomic.Int32
	l := core.NewLoop(core.WithTickInterval(tick))
	require.NoError(t, testutil.RunErr(t, l, func(l *core.Loop) {
		for range 10 {
			l.Delay(50*time.Millisecond, func() { ran.Add(1) })
		}
		l.Interval(10*time.Millisecond, func() { ran.Add(1) })
		l.Exit()
	}))
	require.Zero(t, ran.Load())
	require.Zero(t, l.Stats().Timers)
	require.ErrorIs(t, l.Delay(0, func() {}).Err(), core.ErrLoopNotRunning)
}

func TestTimerArguments(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		testutil.RequireArgError(t, l.Delay(time.Second, nil).Err(), "fn")
		testutil.RequireArgError(t, l.Delay(-time.Second, func() {}).Err(), "d")
		testutil.RequireArgError(t, l.Interval(0, func() {}).Err(), "d")
		require.False(t, l.Delay(time.Second, nil).Stop())
		require.Zero(t, l.Stats().Timers)
	})
	require.ErrorIs(t, core.NewLoop().Interval(time.Second, func() {}).Err(), core.ErrLoopNotRunning)
}

// TestTimersOnOneLoopNeverOverlap: with one reactor, timer callbacks do not
// run alongside each other (nor alongside any other callback).
func TestTimersOnOneLoopNeverOverlap(t *testing.T) {
	var inside, overlaps, runs atomic.Int32
	testutil.Run(t, func(l *core.Loop) {
		for i := range 50 {
			l.Delay(time.Duration(i%5)*time.Millisecond, func() {
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				runs.Add(1)
				time.Sleep(100 * time.Microsecond) // widen any overlap window
				inside.Add(-1)
			})
		}
	}, core.WithReactors(1), core.WithTickInterval(time.Millisecond))
	require.Equal(t, int32(50), runs.Load())
	require.Zero(t, overlaps.Load())
}

// BenchmarkDelayStop measures arming and stopping a Loop timer from the
// outside, end to end (the reactor's wheel work included):
//
//	go test -run '^$' -bench 'DelayStop|WheelArmCancel' -benchmem ./core
func BenchmarkDelayStop(b *testing.B) {
	l := core.NewLoop(core.WithReactors(1), core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Wait() }()
	fn := func() {}
	b.ReportAllocs()
	for b.Loop() {
		l.Delay(time.Hour, fn).Stop()
	}
	l.Exit()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
