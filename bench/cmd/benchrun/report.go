package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat"
)

// key names one measured series: a scenario (or tool/scenario) and an
// implementation.
type key struct{ scenario, impl string }

// series collects a value per round for each key.
type series struct {
	order  []string // scenarios, in the order first seen
	impls  []string // implementations, in the order first seen
	values map[key]map[int]float64
}

func newSeries() *series { return &series{values: map[key]map[int]float64{}} }

func (s *series) add(round int, scenario, impl string, v float64) {
	if !slices.Contains(s.order, scenario) {
		s.order = append(s.order, scenario)
	}
	if !slices.Contains(s.impls, impl) {
		s.impls = append(s.impls, impl)
	}
	k := key{scenario, impl}
	if s.values[k] == nil {
		s.values[k] = map[int]float64{}
	}
	s.values[k][round] = v
}

// median of the key's values, and whether it has any.
func (s *series) median(k key) (float64, bool) {
	var vs []float64
	for _, v := range s.values[k] {
		vs = append(vs, v)
	}
	return median(vs)
}

// ratio is the median over rounds of k's value divided by ref's value in
// the same round (pairing runs of one round cancels slow drifts of a
// shared machine).
func (s *series) ratio(k, ref key) (float64, bool) {
	var rs []float64
	for round, v := range s.values[k] {
		if r, ok := s.values[ref][round]; ok && r != 0 {
			rs = append(rs, v/r)
		}
	}
	return median(rs)
}

// median returns the middle value of vs, or the mean of the two middle
// ones for an even count, and whether there are any. It sorts vs.
func median(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	sort.Float64s(vs)
	// Interpolating at (n+1)/2n lands on the middle value, or halfway
	// between the two middle ones.
	return stat.Quantile(0.5+0.5/float64(len(vs)), stat.LinInterp, vs, nil), true
}

// results are everything measured, for the summary.
type results struct {
	msgs, p50, p99, p999, cpuPerMsg *series
	serverPct, loadPct              *series // CPU use during the window, % of one CPU
	idle                            *series
	idleConns                       int
	rps, toolP50, toolP99           *series
	churnRate, churnP50, churnP99   *series
	churn                           connSeries
	burstOpen, burstClose, burstP99 *series
	burst                           connSeries
	rounds                          int
}

func newResults() *results {
	return &results{msgs: newSeries(), p50: newSeries(), p99: newSeries(), p999: newSeries(), cpuPerMsg: newSeries(),
		serverPct: newSeries(), loadPct: newSeries(),
		idle: newSeries(), rps: newSeries(), toolP50: newSeries(), toolP99: newSeries(),
		churnRate: newSeries(), churnP50: newSeries(), churnP99: newSeries(), churn: newConnSeries(),
		burstOpen: newSeries(), burstClose: newSeries(), burstP99: newSeries(), burst: newConnSeries()}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

const ref = "gnet" // the reference every ratio is against

// write prints the summary as Markdown tables.
func (rs *results) write(w io.Writer) {
	fmt.Fprintf(w, "Medians of %d interleaved rounds; ratios are medians of per-round ratios to raw gnet (and, for churn, to Go's net package).\n\n", rs.rounds)
	if len(rs.msgs.order) > 0 {
		fmt.Fprintln(w, "### Echo")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| scenario | server | msgs/s | ÷ gnet | p50 µs | p50 ÷ gnet | p99 µs | p99.9 µs | server CPU ns/msg | server CPU % | load CPU % |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, sc := range rs.msgs.order {
			for _, impl := range rs.msgs.impls {
				k := key{sc, impl}
				m, ok := rs.msgs.median(k)
				if !ok {
					continue
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sc, impl, num(m, 0),
					ratioCell(rs.msgs, k), cell(rs.p50, k, 1), ratioCell(rs.p50, k), cell(rs.p99, k, 0),
					cell(rs.p999, k, 0), cell(rs.cpuPerMsg, k, 0), cell(rs.serverPct, k, 0), cell(rs.loadPct, k, 0))
			}
		}
		fmt.Fprintln(w)
	}
	rs.writeChurn(w)
	if len(rs.idle.order) > 0 {
		fmt.Fprintf(w, "### Memory per idle connection (%d connections, after one echo each)\n\n", rs.idleConns)
		fmt.Fprintln(w, "| server | bytes/conn | − gnet |")
		fmt.Fprintln(w, "|---|---:|---:|")
		for _, impl := range rs.idle.impls {
			k := key{rs.idle.order[0], impl}
			m, ok := rs.idle.median(k)
			if !ok {
				continue
			}
			diff := "—"
			if g, ok := rs.idle.median(key{k.scenario, ref}); ok && impl != ref {
				diff = fmt.Sprintf("%+.0f", m-g)
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", impl, num(m, 0), diff)
		}
		fmt.Fprintln(w)
	}
	if len(rs.rps.order) > 0 {
		fmt.Fprintln(w, "### HTTP and RESP, loaded by wrk and redis-benchmark")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| load | server | requests/s | ÷ gnet | p50 µs | p99 µs |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
		for _, sc := range rs.rps.order {
			for _, impl := range rs.rps.impls {
				k := key{sc, impl}
				m, ok := rs.rps.median(k)
				if !ok {
					continue
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", sc, impl, num(m, 0), ratioCell(rs.rps, k),
					cell(rs.toolP50, k, 0), cell(rs.toolP99, k, 0))
			}
		}
		fmt.Fprintln(w)
	}
}

func cell(s *series, k key, prec int) string {
	m, ok := s.median(k)
	if !ok {
		return "—"
	}
	return num(m, prec)
}

func ratioCell(s *series, k key) string { return ratioTo(s, k, ref) }

// num formats v with thousands separators.
func num(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	intPart, frac := s, ""
	for i := range s {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i:]
			break
		}
	}
	neg := len(intPart) > 0 && intPart[0] == '-'
	if neg {
		intPart = intPart[1:]
	}
	var out []byte
	for i := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i])
	}
	if neg {
		return "-" + string(out) + frac
	}
	return string(out) + frac
}
