package main

// The targets: a connection should never hold more than about 1.25 times
// its cap in live heap, and the process no more than 1.5 times in
// resident memory (which adds the runtime's slack: freed heap not yet
// returned, fragmentation, stacks).
const (
	heapTarget = 1.25
	rssTarget  = 1.5
)

// The phases of a row: when the memory was read.
const (
	phaseSettled    = "settled"     // write-cap: the unsent bytes stopped growing
	phaseNotSettled = "not settled" // write-cap: they still grew when settleLimit ran out
	phasePeak       = "peak"        // read scenarios: the most held during the flood
	phaseAfter      = "after"       // read scenarios: after the flood, connections still open
)

// row is one line of the report. Heap and RSS are above the case's
// baseline; the ratios divide them by N × cap.
type row struct {
	Round       int            `json:"round"` // 1, 2, ... with -rounds
	Scenario    string         `json:"scenario"`
	Phase       string         `json:"phase"`
	N           int            `json:"n"`
	Cap         int            `json:"cap"`
	Reached     int64          `json:"reached"`                // unsent (write-cap) or kept (read scenarios) bytes, from Loop.Stats
	Heap        int64          `json:"heap"`                   // live heap above the baseline
	RSS         int64          `json:"rss"`                    // resident memory above the baseline
	HeapRatio   float64        `json:"heap_ratio"`             // Heap ÷ (N × cap)
	RSSRatio    float64        `json:"rss_ratio"`              // RSS ÷ (N × cap)
	HeapOK      bool           `json:"heap_ok"`                // HeapRatio ≤ heapTarget
	RSSOK       bool           `json:"rss_ok"`                 // RSSRatio ≤ rssTarget
	BaseHeap    int64          `json:"base_heap"`              // the idle server's live heap
	BaseRSS     int64          `json:"base_rss"`               // the idle server's resident memory
	Heap2GC     int64          `json:"heap_2gc,omitempty"`     // settled, after: the live heap after a second GC, above the baseline
	RSSReleased int64          `json:"rss_released,omitempty"` // settled, after: resident memory after debug.FreeOSMemory, above the baseline
	Open        *int           `json:"open,omitempty"`         // settled, after: connections still open
	Fullest     int64          `json:"fullest,omitempty"`      // settled, after: what the fullest open socket held (Socket.Unsent or Buffered)
	Events      map[string]int `json:"events"`                 // the sockets' conditions so far, by kind
	Flood       *floodStats    `json:"flood,omitempty"`        // read scenarios: what the peers saw
}

// ratio returns part ÷ whole, or 0 for an empty whole.
func ratio(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// newRow fills the columns of a row common to every phase. heap and rss
// are readings of the server process, baseline included; the row holds
// them above the baseline, and their ratios to N × cap.
func newRow(r result, phase string, reached, heap, rss int64) row {
	total := r.Case.total()
	w := row{
		Scenario: r.Case.Scenario, Phase: phase, N: r.Case.N, Cap: r.Case.Cap,
		Reached: reached,
		Heap:    heap - r.Base.Heap, RSS: rss - r.Base.RSS,
		BaseHeap: r.Base.Heap, BaseRSS: r.Base.RSS,
		Events: r.Events,
	}
	w.HeapRatio, w.RSSRatio = ratio(w.Heap, total), ratio(w.RSS, total)
	w.HeapOK, w.RSSOK = w.HeapRatio <= heapTarget, w.RSSRatio <= rssTarget
	return w
}

// rowsOf turns a case's result, and what its peers saw of the flood (nil
// for write-cap), into the report's rows: one for write-cap, a peak and an
// after row for the read scenarios.
func rowsOf(r result, fs *floodStats) []row {
	if r.Peak == nil {
		phase := phaseSettled
		if !r.Settled {
			phase = phaseNotSettled
		}
		return []row{afterRow(r, phase, r.Out)}
	}
	peakRow := newRow(r, phasePeak, r.Peak.In, r.Peak.Heap, r.Peak.RSS)
	peakRow.Flood = fs
	after := afterRow(r, phaseAfter, r.In)
	after.Flood = fs
	return []row{peakRow, after}
}

// afterRow is the row of the memory measured once the load was over.
func afterRow(r result, phase string, reached int64) row {
	w := newRow(r, phase, reached, r.After.Heap, r.After.RSS)
	w.Heap2GC = r.After.Heap2 - r.Base.Heap
	w.RSSReleased = r.After.RSSReleased - r.Base.RSS
	open := r.Open
	w.Open = &open
	w.Fullest = r.Fullest
	return w
}
