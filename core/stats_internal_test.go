package core

import "testing"

// BenchmarkCountMessage is what the counters add to one echoed message on
// the reactor: the bytes read (OnTraffic) and the bytes the kernel took
// (OnSent). Compare with the server CPU per message in docs/benchmarks.md
// (microseconds): the counters are three orders of magnitude below it.
//
//	go test -run '^$' -bench CountMessage ./core
func BenchmarkCountMessage(b *testing.B) {
	var r reactor
	seen := 0
	for b.Loop() {
		if n := 64; n > seen {
			bump(&r.count.bytesRead, uint64(n-seen))
		}
		seen = 0
		bump(&r.count.bytesWritten, 64)
	}
	if r.count.bytesRead.Load() == 0 || r.count.bytesWritten.Load() == 0 {
		b.Fatal("nothing counted")
	}
}

// BenchmarkStats is the cost of one Stats call (a scrape) with the
// default number of reactors.
func BenchmarkStats(b *testing.B) {
	l := NewLoop(WithStayRunning())
	if err := l.Start(nil); err != nil {
		b.Fatal(err)
	}
	defer func() { l.Exit(); _ = l.Wait() }()
	for b.Loop() {
		_ = l.Stats()
	}
}
