package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Output formats.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
)

// writeReport writes rows to w in format.
func writeReport(w io.Writer, rows []row, format string) error {
	var err error
	switch format {
	case formatTable:
		err = writeTable(w, rows)
	case formatCSV:
		err = writeCSV(w, rows)
	case formatJSON:
		err = writeJSON(w, rows)
	default:
		return fmt.Errorf("benchmem: unknown output format %q", format)
	}
	if err != nil {
		return fmt.Errorf("benchmem: writing the report: %w", err)
	}
	return nil
}

// column is a column of the table: its title, whether it is numeric
// (right-aligned), and its cell for a row.
type column struct {
	title   string
	numeric bool
	cell    func(r row) string
}

// optMiB writes a byte count measured once the load was over: empty for
// peak rows, which have none.
func optMiB(r row, v int64) string {
	if r.Phase == phasePeak {
		return ""
	}
	return formatMiB(v)
}

// tableColumns are the table's columns, round first (shown only for a run
// of several rounds).
var tableColumns = []column{
	{"round", true, func(r row) string { return strconv.Itoa(r.Round) }},
	{"scenario", false, func(r row) string { return r.Scenario }},
	{"phase", false, func(r row) string { return r.Phase }},
	{"N", true, func(r row) string { return strconv.Itoa(r.N) }},
	{"cap", true, func(r row) string { return formatCap(r.Cap) }},
	{"reached", true, func(r row) string { return formatMiB(r.Reached) }},
	{"heap", true, func(r row) string { return formatMiB(r.Heap) }},
	{"RSS", true, func(r row) string { return formatMiB(r.RSS) }},
	{fmt.Sprintf("heap ÷ N·cap (≤ %.2f)", heapTarget), true, func(r row) string { return mark(r.HeapRatio, r.HeapOK) }},
	{fmt.Sprintf("RSS ÷ N·cap (≤ %.1f)", rssTarget), true, func(r row) string { return mark(r.RSSRatio, r.RSSOK) }},
	{"open", true, func(r row) string {
		if r.Open == nil {
			return ""
		}
		return strconv.Itoa(*r.Open)
	}},
	{"fullest socket", true, func(r row) string { return optMiB(r, r.Fullest) }},
	{"events", false, func(r row) string { return formatEvents(r.Events, "none") }},
	{"heap, 2nd GC", true, func(r row) string { return optMiB(r, r.Heap2GC) }},
	{"RSS, freed", true, func(r row) string { return optMiB(r, r.RSSReleased) }},
	{"baseline heap / RSS", true, func(r row) string {
		return formatMiB(r.BaseHeap) + " / " + formatMiB(r.BaseRSS)
	}},
}

// tableLegend follows the table.
const tableLegend = `
reached: Stats().BytesBufferedOut (write-cap) or BytesBufferedIn, all sockets; fullest socket: the most
one open socket held (Socket.Unsent or Buffered). heap: live heap (/gc/heap/live:bytes)
after runtime.GC, or its peak during a flood; RSS: VmRSS after that GC, or VmHWM for a peak; both above
the idle server's baseline (last column), and divided by N × cap. heap, 2nd GC: after another runtime.GC
(sync.Pool contents dropped); RSS, freed: after debug.FreeOSMemory.
`

// writeTable writes rows as a Markdown table (as in docs/benchmarks.md),
// followed by a legend.
func writeTable(w io.Writer, rows []row) error {
	cols := tableColumns[1:]
	if slices.ContainsFunc(rows, func(r row) bool { return r.Round > 1 }) {
		cols = tableColumns
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	var titles, rules []string
	for _, c := range cols {
		titles = append(titles, c.title)
		rule := "---"
		if c.numeric {
			rule = "---:"
		}
		rules = append(rules, rule)
	}
	line(titles)
	line(rules)
	for _, r := range rows {
		var cells []string
		for _, c := range cols {
			cells = append(cells, c.cell(r))
		}
		line(cells)
	}
	b.WriteString(tableLegend)
	_, err := io.WriteString(w, b.String())
	return err
}

// mark writes a ratio and whether it meets its target.
func mark(v float64, ok bool) string {
	if ok {
		return fmt.Sprintf("%.2f ok", v)
	}
	return fmt.Sprintf("%.2f over", v)
}

// formatEvents writes event counts for the table, as "50
// tcp-error/read-buffer-full, 2 tcp-reset", by kind name, or none when
// there are none.
func formatEvents(events map[string]int, none string) string {
	if len(events) == 0 {
		return none
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(events)) {
		parts = append(parts, fmt.Sprintf("%d %s", events[k], k))
	}
	return strings.Join(parts, ", ")
}

// csvEvents writes event counts for a CSV cell: "kind=count;kind=count",
// by kind name.
func csvEvents(events map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(events)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, events[k]))
	}
	return strings.Join(parts, ";")
}

// csvHeader names the CSV columns; bytes are bytes, durations
// milliseconds.
var csvHeader = []string{
	"round", "scenario", "phase", "n", "cap", "reached", "heap", "rss", "heap_ratio", "rss_ratio",
	"heap_ok", "rss_ok", "base_heap", "base_rss", "heap_2gc", "rss_released", "open", "fullest", "events",
	"flood_sent", "flood_cut", "flood_held", "flood_ms",
}

// writeCSV writes rows as CSV, one line per row.
func writeCSV(w io.Writer, rows []row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	for _, r := range rows {
		open := ""
		if r.Open != nil {
			open = strconv.Itoa(*r.Open)
		}
		flood := []string{"", "", "", ""}
		if fs := r.Flood; fs != nil {
			flood = []string{i64(fs.Sent), strconv.Itoa(fs.Cut), strconv.Itoa(fs.Held), i64(fs.Took.Milliseconds())}
		}
		rec := []string{
			strconv.Itoa(r.Round), r.Scenario, r.Phase, strconv.Itoa(r.N), strconv.Itoa(r.Cap), i64(r.Reached), i64(r.Heap), i64(r.RSS),
			f(r.HeapRatio), f(r.RSSRatio), strconv.FormatBool(r.HeapOK), strconv.FormatBool(r.RSSOK),
			i64(r.BaseHeap), i64(r.BaseRSS), i64(r.Heap2GC), i64(r.RSSReleased), open, i64(r.Fullest),
			csvEvents(r.Events),
		}
		if err := cw.Write(append(rec, flood...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes rows as a JSON array.
func writeJSON(w io.Writer, rows []row) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
