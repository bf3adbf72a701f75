package main

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// The key space. Connections are served by all the Loop's reactors at once
// (one per CPU by default) and expiry timers run on any of them, so the map
// is shared between goroutines: one mutex guards it. That is correctness
// first and fast enough for an example (a lock held for a map operation, a
// few hundred nanoseconds); a server that finds the lock in its profiles
// splits the map into shards by a hash of the key, each with its own
// mutex. The other way, core.WithReactors(1), needs no lock at all but
// serves every connection on one core, as redis does.

// Errors of INCR, worded as redis words them.
var (
	errNotInteger = errors.New("ERR value is not an integer or out of range")
	errOverflow   = errors.New("ERR increment or decrement would overflow")
)

// maxTimerDelay bounds how far ahead an expiry timer is set. A key that
// expires later gets a timer for this long, which sets the next one, so
// that no timer has to count years (and a duration cannot overflow).
const maxTimerDelay = 24 * time.Hour

// store is a map of keys to values, with expiry, safe for concurrent use.
type store struct {
	loop *core.Loop // runs the expiry timers

	mu   sync.Mutex
	keys map[string]*entry // guarded by mu
}

// entry is a key's value and expiry. Its fields are guarded by store.mu.
type entry struct {
	key string
	// value is never changed once stored (SET stores a new slice, INCR
	// makes a new one), so a reader may use it after unlocking, and GET
	// writes it to the socket without copying it under the lock.
	value    []byte
	expireAt int64       // when the key expires, in Unix milliseconds; 0: never
	timer    *core.Timer // the expiry timer, while expireAt is set
	gen      uint64      // counts the entry's timers: only the latest may delete it
}

func newStore(l *core.Loop) *store {
	return &store{loop: l, keys: make(map[string]*entry)}
}

// nowMillis is the clock of expiries: Unix milliseconds, as redis keeps them.
func nowMillis() int64 { return time.Now().UnixMilli() }

// liveLocked returns key's entry, or nil if it does not exist or has
// expired (then it deletes it: the timer may be a tick late, and a read
// must never see a key past its expiry). Call with mu held.
func (st *store) liveLocked(key []byte) *entry {
	e := st.keys[string(key)] // this conversion does not allocate
	if e != nil && e.expireAt != 0 && e.expireAt <= nowMillis() {
		st.deleteLocked(e)
		return nil
	}
	return e
}

func (st *store) deleteLocked(e *entry) {
	if e.timer != nil {
		e.timer.Stop()
	}
	delete(st.keys, e.key)
}

// get returns key's value; the caller must not change it.
func (st *store) get(key []byte) ([]byte, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if e := st.liveLocked(key); e != nil {
		return e.value, true
	}
	return nil, false
}

// set stores a copy of value under key, replacing what was there and its
// expiry. expireAt is when it expires, in Unix milliseconds; 0 for never.
func (st *store) set(key, value []byte, expireAt int64) {
	e := &entry{key: string(key), value: bytes.Clone(value), expireAt: expireAt}
	if e.value == nil {
		e.value = []byte{} // an empty value, not a missing one
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if old := st.keys[e.key]; old != nil {
		st.deleteLocked(old)
	}
	st.keys[e.key] = e
	if expireAt != 0 {
		st.armLocked(e)
	}
}

// del deletes the keys and returns how many existed.
func (st *store) del(keys [][]byte) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	var n int64
	for _, k := range keys {
		if e := st.liveLocked(k); e != nil {
			st.deleteLocked(e)
			n++
		}
	}
	return n
}

// incr adds one to the integer stored at key (0 if it does not exist) and
// returns the result. The key keeps its expiry, as in redis.
func (st *store) incr(key []byte) (int64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.liveLocked(key)
	var n int64
	if e != nil {
		v, ok := parseInt(e.value)
		if !ok {
			return 0, errNotInteger
		}
		if v == math.MaxInt64 {
			return 0, errOverflow
		}
		n = v
	}
	n++
	value := strconv.AppendInt(nil, n, 10)
	if e == nil {
		st.keys[string(key)] = &entry{key: string(key), value: value}
	} else {
		e.value = value // a new slice: readers of the old one are unaffected
	}
	return n, nil
}

// expire sets when key expires, in Unix milliseconds, and reports whether
// the key exists. A time already past deletes the key, as in redis.
func (st *store) expire(key []byte, at int64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.liveLocked(key)
	switch {
	case e == nil:
		return false
	case at <= nowMillis():
		st.deleteLocked(e)
	default:
		e.expireAt = at
		st.armLocked(e)
	}
	return true
}

// ttl returns the milliseconds key has left: -2 if it does not exist, -1
// if it does not expire (TTL's replies).
func (st *store) ttl(key []byte) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.liveLocked(key)
	switch {
	case e == nil:
		return -2
	case e.expireAt == 0:
		return -1
	}
	return e.expireAt - nowMillis()
}

// size returns how many keys the map holds. Like redis' DBSIZE it counts
// expired keys that the timers have not deleted yet, so a test can watch
// the timers work without reading the keys.
func (st *store) size() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return int64(len(st.keys))
}

// armLocked (re)starts e's expiry timer on the Loop, replacing the one it
// had. Call with mu held.
//
// The timer runs on one of the Loop's reactors, maybe while another one
// gives the key a new value or a new expiry: the function then finds the
// entry replaced, or its generation moved on, and leaves it alone. (Stop
// is not enough on its own: it cannot stop a timer whose function has
// started and waits for the lock.)
func (st *store) armLocked(e *entry) {
	if e.timer != nil {
		e.timer.Stop()
	}
	e.gen++
	gen := e.gen
	ms := min(max(e.expireAt-nowMillis(), 0), maxTimerDelay.Milliseconds())
	// Delay fails (e.timer.Err) only once the Loop has ended, when nothing
	// reads the keys any more.
	e.timer = st.loop.Delay(time.Duration(ms)*time.Millisecond, func() { st.expired(e, gen) })
}

// expired is the expiry timer's function.
func (st *store) expired(e *entry, gen uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.keys[e.key] != e || e.gen != gen {
		return // deleted, replaced or expiring at another time since
	}
	if e.expireAt > nowMillis() {
		st.armLocked(e) // a timer capped at maxTimerDelay
		return
	}
	delete(st.keys, e.key)
}
