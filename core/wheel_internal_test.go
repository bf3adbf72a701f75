package core

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

type recorder struct{ fired []int64 }

func (r *recorder) expire(n *timerNode) { r.fired = append(r.fired, n.when) }

func TestWheelExpiresInOrderOfTicks(t *testing.T) {
	var w wheel
	rec := &recorder{}
	var nodes [6]timerNode
	whens := []int64{3, 1, wheelSize + 2, 2*wheelSize + 1, 2, 5 * wheelSize}
	for i := range nodes {
		nodes[i].owner = rec
		w.add(&nodes[i], whens[i])
	}
	require.Equal(t, 6, w.n)
	w.add(&nodes[4], 2) // re-arming replaces
	require.Equal(t, 6, w.n)
	w.remove(&nodes[0])
	w.remove(&nodes[0])
	require.Equal(t, 5, w.n)

	w.advance(2)
	require.Equal(t, []int64{1, 2}, rec.fired)
	w.advance(wheelSize + 2)
	require.Equal(t, []int64{1, 2, wheelSize + 2}, rec.fired, "a node a turn away waits for its turn")
	w.advance(10 * wheelSize) // a long stall: everything due fires, once
	require.Equal(t, []int64{1, 2, wheelSize + 2, 2*wheelSize + 1, 5 * wheelSize}, rec.fired)
	require.Zero(t, w.n)
}

func TestWheelPastDeadlineFiresNextTick(t *testing.T) {
	var w wheel
	rec := &recorder{}
	w.advance(100)
	n := timerNode{owner: rec}
	w.add(&n, 50)
	w.advance(100)
	require.Empty(t, rec.fired)
	w.advance(101)
	require.Equal(t, []int64{101}, rec.fired)
}

// TestWheelRandom checks the wheel against a plain list: deadlines at every
// level (and past the top), removals, re-arming from expire, and jumps in
// time. Every node fires exactly once, at the first advance that reaches
// its deadline, and nextDue never overshoots the earliest deadline.
func TestWheelRandom(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var w wheel
		type entry struct {
			node   timerNode
			want   int64 // 0: not armed
			fired  int
			rearms int
		}
		entries := make([]*entry, 600)
		byNode := map[*timerNode]*entry{}
		randDelta := func() int64 {
			switch rng.IntN(5) {
			case 0:
				return 1 + rng.Int64N(wheelSize)
			case 1:
				return 1 + rng.Int64N(wheelSize*upSize)
			case 2:
				return 1 + rng.Int64N(wheelSize*upSize*upSize)
			case 3:
				return 1 + rng.Int64N(wheelSize*upSize*upSize*upSize*2) // past the top
			default:
				return 1 + rng.Int64N(20)
			}
		}
		owner := ownerFunc(func(n *timerNode) {
			e := byNode[n]
			if e.want == 0 || w.tick < e.want {
				t.Fatalf("seed %d: node due %d fired at %d", seed, e.want, w.tick)
			}
			e.fired++
			e.want = 0
			if e.rearms > 0 { // re-arm from inside expire
				e.rearms--
				e.want = w.tick + randDelta()
				w.add(n, e.want)
			}
		})
		for i := range entries {
			e := &entry{want: randDelta(), rearms: rng.IntN(2)}
			e.node.owner = owner
			entries[i] = e
			byNode[&e.node] = e
			w.add(&e.node, e.want)
		}
		now := int64(0)
		for step := 0; step < 400; step++ {
			earliest := int64(math.MaxInt64)
			for _, e := range entries {
				if e.want != 0 {
					earliest = min(earliest, e.want)
				}
			}
			require.LessOrEqual(t, w.nextDue(), earliest, "seed %d: nextDue overshoots", seed)
			if rng.IntN(8) == 0 { // cancel one
				e := entries[rng.IntN(len(entries))]
				w.remove(&e.node)
				e.want = 0
			}
			switch rng.IntN(3) {
			case 0:
				now += 1 + rng.Int64N(5)
			case 1:
				now += rng.Int64N(wheelSize * 4)
			default:
				now += rng.Int64N(wheelSize * upSize * upSize * 8)
			}
			w.advance(now)
			for _, e := range entries {
				if e.want != 0 && e.want <= now {
					t.Fatalf("seed %d: node due %d not fired by %d", seed, e.want, now)
				}
			}
		}
		n := 0
		for _, e := range entries {
			if e.want != 0 {
				n++
			}
		}
		require.Equal(t, n, w.n, "seed %d: armed count", seed)
	}
}

type ownerFunc func(n *timerNode)

func (f ownerFunc) expire(n *timerNode) { f(n) }

func BenchmarkWheelArmCancel(b *testing.B) {
	var w wheel
	nodes := make([]timerNode, 1024)
	for i := range nodes {
		nodes[i].owner = &recorder{}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := &nodes[i&1023]
		w.add(n, int64(i&4095)+1)
		w.remove(n)
		i++
	}
}

// BenchmarkWheelTick100k measures one tick of a reactor's wheel holding
// 100,000 armed read timeouts of an hour (idle sockets): the per-tick cost
// that idle sockets with timeouts add to a reactor.
func BenchmarkWheelTick100k(b *testing.B) {
	var w wheel
	rec := &recorder{}
	nodes := make([]timerNode, 100_000)
	const hour = 1 << 40 // beyond any run of the benchmark
	for i := range nodes {
		nodes[i].owner = rec
		w.add(&nodes[i], int64(hour)+int64(i%wheelSize))
	}
	now := int64(0)
	for b.Loop() {
		now++
		w.advance(now)
	}
	if len(rec.fired) != 0 {
		b.Fatal("an hour-long timeout fired")
	}
}

// TestWheelReentrantAdvance: an expire that arms a node on the emptied wheel
// and advances it (as a reactor catching up does) must not disturb the
// batch being fired.
func TestWheelReentrantAdvance(t *testing.T) {
	var w wheel
	var fired []int64
	var nodes [3]timerNode
	extra := timerNode{owner: ownerFunc(func(n *timerNode) { fired = append(fired, -n.when) })}
	for i := range nodes {
		nodes[i].owner = ownerFunc(func(n *timerNode) {
			fired = append(fired, n.when)
			if n == &nodes[0] {
				w.add(&extra, w.tick+1)
				w.advance(w.tick + 1)
			}
		})
		w.add(&nodes[i], 5)
	}
	w.advance(5)
	require.Equal(t, []int64{5, -6, 5, 5}, fired)
}
