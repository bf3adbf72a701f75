package main

import (
	"fmt"
	"slices"
	"time"
)

// The scenarios. Each abuses one of asyncnet's memory caps.
const (
	// writeCap: peers that never read, a server that writes until its
	// sockets' write caps (core.WithMaxWriteBuffer) refuse more.
	writeCap = "write-cap"
	// readCapStream: a stream server (server.TCPServerStream) that never
	// reads, flooded by its peers, under core.WithMaxReadBuffer.
	readCapStream = "read-cap-stream"
	// readCapPaused: a callback server whose sockets disable reading on
	// connect, flooded by its peers, under core.WithMaxReadBuffer.
	readCapPaused = "read-cap-paused"
)

// scenarios lists the scenarios in the order they run.
var scenarios = []string{writeCap, readCapStream, readCapPaused}

// benchCase is one run of a scenario: how many connections, what cap. The
// driver hands it, as JSON, to the server process it starts for the run.
type benchCase struct {
	Scenario    string        `json:"scenario"`
	N           int           `json:"n"`                      // connections
	Cap         int           `json:"cap"`                    // the cap under test, in bytes per connection
	Flood       time.Duration `json:"flood"`                  // the longest the peers flood (read scenarios)
	Loops       int           `json:"loops"`                  // the server's event loops; 0 means GOMAXPROCS
	HeapProfile string        `json:"heap_profile,omitempty"` // a file for a heap profile of the settled server, or ""
}

// floods reports whether the peers flood the server (the read scenarios)
// rather than sit still while it writes (write-cap).
func (c benchCase) floods() bool { return c.Scenario != writeCap }

// total returns N × cap: the most the caps allow the server to hold.
func (c benchCase) total() int64 { return int64(c.N) * int64(c.Cap) }

// String names the case, as in "write-cap n=10 cap=64MiB".
func (c benchCase) String() string {
	return fmt.Sprintf("%s n=%d cap=%s", c.Scenario, c.N, formatCap(c.Cap))
}

// fileName names the case's files, as in "write-cap-n10-64MiB".
func (c benchCase) fileName() string {
	return fmt.Sprintf("%s-n%d-%s", c.Scenario, c.N, formatCap(c.Cap))
}

// defaultCases are the cases of a full run: the two write-cap cases of the
// user report (10 connections under the default 64 MiB cap, 200 under
// 1 MiB) and the read scenarios under the default 4 MiB read cap. Their
// caps sum to about 1.3 GiB, so that even at several times the caps the
// server fits a machine of a few GiB.
var defaultCases = []benchCase{
	{Scenario: writeCap, N: 10, Cap: 64 << 20},
	{Scenario: writeCap, N: 200, Cap: 1 << 20},
	{Scenario: readCapStream, N: 50, Cap: 4 << 20},
	{Scenario: readCapPaused, N: 50, Cap: 4 << 20},
}

// smokeCases are the cases of -smoke: every scenario, tiny. 1 MiB is the
// smallest write cap that needs no watermark option (the default high
// watermark is 1 MiB).
var smokeCases = []benchCase{
	{Scenario: writeCap, N: 4, Cap: 1 << 20},
	{Scenario: readCapStream, N: 4, Cap: 256 << 10},
	{Scenario: readCapPaused, N: 4, Cap: 256 << 10},
}

// Flood durations: the longest the peers of a read scenario write.
const (
	defaultFlood = 3 * time.Second
	smokeFlood   = 300 * time.Millisecond
)

// pickCases returns the cases of a run: those of defaultCases (smokeCases
// with o.smoke) whose scenario o.scenarios names, in that list's order,
// with o.n and o.cap (when not 0) in place of each case's own, without
// duplicates.
func pickCases(o options) ([]benchCase, error) {
	for _, s := range o.scenarios {
		if !slices.Contains(scenarios, s) {
			return nil, fmt.Errorf("benchmem: unknown scenario %q (known: %v)", s, scenarios)
		}
	}
	if len(o.scenarios) == 0 {
		return nil, fmt.Errorf("benchmem: no scenario to run (known: %v)", scenarios)
	}
	list, flood := defaultCases, defaultFlood
	if o.smoke {
		list, flood = smokeCases, smokeFlood
	}
	if o.flood > 0 {
		flood = o.flood
	}
	var out []benchCase
	for _, c := range list {
		if !slices.Contains(o.scenarios, c.Scenario) {
			continue
		}
		if o.n > 0 {
			c.N = o.n
		}
		if o.cap > 0 {
			c.Cap = o.cap
		}
		c.Flood, c.Loops = flood, o.loops
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}
