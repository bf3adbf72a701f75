package load

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Errors counts the connections of a churn or burst run that failed, by
// cause. A failed connection is closed (with a reset) and not counted as
// done; its client goes on.
type Errors struct {
	Refused int64  // connect: ECONNREFUSED (no listener, or its queue overflowed with syncookies off)
	Reset   int64  // ECONNRESET or EPIPE, on connect, write or read
	Short   int64  // the server closed the connection before the whole reply came
	Bad     int64  // the reply is not the request: wrong bytes, or more bytes than sent
	Timeout int64  // no whole reply within the timeout, or ETIMEDOUT
	NoPort  int64  // connect: EADDRNOTAVAIL, no ephemeral port left
	Other   int64  // anything else
	First   string // the first failure, to say what happened
}

// Total is the number of failed connections.
func (e Errors) Total() int64 {
	return e.Refused + e.Reset + e.Short + e.Bad + e.Timeout + e.NoPort + e.Other
}

// String lists the non-zero counts and the first failure, or says "none".
func (e Errors) String() string {
	var parts []string
	for i, n := range e.Counts() {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", ErrorKinds[i], n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ") + " (first: " + e.First + ")"
}

// ErrorKinds names the kinds of failure in the order Counts gives them
// (as CSV columns, say).
var ErrorKinds = []string{"refused", "reset", "short", "bad", "timeout", "noport", "other"}

// Counts returns the counts in the order of ErrorKinds.
func (e Errors) Counts() []int64 {
	return []int64{e.Refused, e.Reset, e.Short, e.Bad, e.Timeout, e.NoPort, e.Other}
}

// errKind indexes ErrorKinds.
type errKind int

const (
	errRefused errKind = iota
	errReset
	errShort
	errBad
	errTimeout
	errNoPort
	errOther
)

// kindOf classifies a system call's error.
func kindOf(err error) errKind {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return errOther
	}
	switch errno {
	case syscall.ECONNREFUSED:
		return errRefused
	case syscall.ECONNRESET, syscall.EPIPE:
		return errReset
	case syscall.ETIMEDOUT:
		return errTimeout
	case syscall.EADDRNOTAVAIL:
		return errNoPort
	}
	return errOther
}

// tally collects a churn or burst run's results: connections done in the
// measuring window [from, until), their latencies, and the failures. It is
// safe for concurrent use.
type tally struct {
	from, until time.Time
	h           hist
	conns       atomic.Int64
	failed      [errOther + 1]atomic.Int64
	firstOnce   sync.Once
	first       string
}

func newTally(from, until time.Time) *tally { return &tally{from: from, until: until} }

// done records a connection whose reply came back at now, connected at
// start, if now is in the window.
func (t *tally) done(start, now time.Time) {
	if now.Before(t.from) || !now.Before(t.until) {
		return
	}
	t.conns.Add(1)
	t.h.record(now.Sub(start))
}

// fail records a failed connection.
func (t *tally) fail(k errKind, err error) {
	t.failed[k].Add(1)
	t.firstOnce.Do(func() { t.first = ErrorKinds[k] + ": " + err.Error() })
}

// errors returns the failures so far. Call it once every goroutine that
// records has returned.
func (t *tally) errors() Errors {
	n := func(k errKind) int64 { return t.failed[k].Load() }
	return Errors{Refused: n(errRefused), Reset: n(errReset), Short: n(errShort), Bad: n(errBad),
		Timeout: n(errTimeout), NoPort: n(errNoPort), Other: n(errOther), First: t.first}
}
