package main

import (
	"fmt"
	"io"
)

// stdlib is the second reference of the churn tables: Go's net package,
// what a Go program accepts connections with when it uses no library.
const stdlib = "stdlib"

// sum of the key's values over the rounds, and whether it has any.
func (s *series) sum(k key) (float64, bool) {
	var total float64
	for _, v := range s.values[k] {
		total += v
	}
	return total, len(s.values[k]) > 0
}

// sumCell formats the key's sum over the rounds, or "—" if it has none.
func sumCell(s *series, k key) string {
	v, ok := s.sum(k)
	if !ok {
		return "—"
	}
	return num(v, 0)
}

// ratioTo formats the median of k's per-round ratios to refImpl's value.
func ratioTo(s *series, k key, refImpl string) string {
	if k.impl == refImpl {
		return "1"
	}
	r, ok := s.ratio(k, key{k.scenario, refImpl})
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2f", r)
}

// shared returns the cells the churn and burst tables share, from the
// server CPU per connection on.
func (cs connSeries) shared(k key) []any {
	return []any{cell(cs.cpuPerConn, k, 1), ratioTo(cs.cpuPerConn, k, ref), ratioTo(cs.cpuPerConn, k, stdlib),
		cell(cs.createdPerConn, k, 2), cell(cs.goroutines, k, 0), cell(cs.threads, k, 0),
		sumCell(cs.overflows, k), sumCell(cs.errors, k)}
}

const sharedHeads = " server CPU µs/conn | ÷ gnet | ÷ stdlib | goroutines made/conn | peak goroutines | peak threads | listen overflows | errors |"
const sharedAlign = "---:|---:|---:|---:|---:|---:|---:|---:|"

// writeChurn prints the churn and burst tables, if there are results.
func (rs *results) writeChurn(w io.Writer) {
	if len(rs.churnRate.order) > 0 {
		fmt.Fprintln(w, "### Churn: short-lived connections")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Each client connects, sends 64 B, reads the echo and closes (fin: normally; rst: with SO_LINGER 0), in a loop.")
		fmt.Fprintln(w, "Latency is from the connect call to the whole reply. Listen overflows and errors are totals over all rounds.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| scenario | server | conns/s | ÷ gnet | ÷ stdlib | p50 µs | p99 µs |"+sharedHeads)
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|"+sharedAlign)
		for _, sc := range rs.churnRate.order {
			for _, impl := range rs.churnRate.impls {
				k := key{sc, impl}
				m, ok := rs.churnRate.median(k)
				if !ok {
					continue
				}
				cells := append([]any{sc, impl, num(m, 0), ratioTo(rs.churnRate, k, ref), ratioTo(rs.churnRate, k, stdlib),
					cell(rs.churnP50, k, 0), cell(rs.churnP99, k, 0)}, rs.churn.shared(k)...)
				writeRow(w, cells)
			}
		}
		fmt.Fprintln(w)
	}
	if len(rs.burstOpen.order) > 0 {
		fmt.Fprintln(w, "### Burst: connections opened at once")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Open: from the first connect to the last echo, all connections open; close: from the clients'")
		fmt.Fprintln(w, "shutdowns to the server's last FIN. Server CPU covers both.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| burst | server | open ms | close ms | p99 connect to echo ms |"+sharedHeads)
		fmt.Fprintln(w, "|---|---|---:|---:|---:|"+sharedAlign)
		for _, b := range rs.burstOpen.order {
			for _, impl := range rs.burstOpen.impls {
				k := key{b, impl}
				open, ok := rs.burstOpen.median(k)
				if !ok {
					continue
				}
				closing, _ := rs.burstClose.median(k)
				p99, _ := rs.burstP99.median(k)
				cells := append([]any{b, impl, num(open*1e3, 0), num(closing*1e3, 0), num(p99/1e3, 1)}, rs.burst.shared(k)...)
				writeRow(w, cells)
			}
		}
		fmt.Fprintln(w)
	}
}

// writeRow prints a Markdown table row.
func writeRow(w io.Writer, cells []any) {
	for _, c := range cells {
		fmt.Fprintf(w, "| %v ", c)
	}
	fmt.Fprintln(w, "|")
}
