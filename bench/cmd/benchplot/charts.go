package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/floats"
)

// scenarioAxisLabel explains the short echo scenario names.
const scenarioAxisLabel = "scenario (c = connections, message size, d = messages in flight per connection)"

// newSpec describes a chart of the medians of metric, by implementation and category, on a log scale if they
// span more than a factor of 30.
func newSpec(d *dataset, metric, title, xLabel, yLabel string) chartSpec {
	m := d.matrix(metric, "", median)
	vs := slices.DeleteFunc(slices.Concat(m...), func(v float64) bool { return !drawable(v, true) })
	return chartSpec{title: fmt.Sprintf("%s (median of %d rounds)", title, len(d.rounds)), xLabel: xLabel,
		yLabel: yLabel, categories: d.categories, series: d.impls, values: m,
		logY: len(vs) > 0 && floats.Max(vs)/floats.Min(vs) > 30}
}

// relativeThroughput shows the echo throughput of every implementation divided by gnet's in the same scenario.
func (r *renderer) relativeThroughput(d *dataset) chartSpec {
	s := newSpec(d, "msgs_per_s", "Echo throughput relative to raw gnet", scenarioAxisLabel,
		"throughput relative to gnet (gnet = 1.0)")
	if s.series[0] != refImpl {
		r.notef("no %s rows in the echo results, so no relative throughput", refImpl)
		return chartSpec{}
	}
	var missing []string
	for j, base := range slices.Clone(s.values[0]) {
		if !(base > 0) { // true for NaN too
			base = math.NaN()
			missing = append(missing, s.categories[j])
		}
		for i := range s.values {
			s.values[i][j] /= base
		}
	}
	if len(missing) > 0 {
		r.notef("no %s throughput for scenario(s) %s: their relative bars are left out",
			refImpl, strings.Join(missing, ", "))
	}
	return relative(s)
}

// relative makes s show ratios to gnet's values: linear, with a line at 1 and two decimals on each bar.
func relative(s chartSpec) chartSpec {
	s.logY, s.refLine, s.refLabel = false, 1, "gnet = 1.0"
	s.label = func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	return s
}

// absoluteThroughput shows the echo throughput in messages per second.
func (r *renderer) absoluteThroughput(d *dataset) chartSpec {
	s := newSpec(d, "msgs_per_s", "Echo throughput", scenarioAxisLabel, "messages per second")
	s.ticks, s.label = si(6), si(3)
	return s
}

// latency shows the median p50 latency as points and the median p99 as whiskers above them, on a log scale.
func (r *renderer) latency(d *dataset) chartSpec {
	s := newSpec(d, "p50_us", "Echo p50 (point) and p99 (whisker) round-trip latency", scenarioAxisLabel,
		"round-trip latency (µs)")
	s.lows, s.highs, s.logY = s.values, d.matrix("p99_us", "", median), true
	return s
}

// memory shows the server memory per idle connection: a bar per implementation, named on the x axis.
func (r *renderer) memory(d *dataset) chartSpec {
	conns := slices.Concat(d.matrix("conns", "", median)...)
	count := fmt.Sprintf("%.0f", floats.Min(conns))
	if floats.Min(conns) != floats.Max(conns) {
		count += fmt.Sprintf(" to %.0f", floats.Max(conns))
	}
	s := newSpec(d, "bytes_per_conn", "Server memory per idle connection with "+count+" connections",
		"implementation", "server RSS growth per idle connection (bytes)")
	s.categories, s.logY, s.ownCategory, s.label = s.series, false, true, bytesLabel
	return s
}

// http shows the requests per second of the HTTP and Redis benchmarks, naming the load generator above the
// scenario on the x axis.
func (r *renderer) http(d *dataset) chartSpec {
	var tools, categories []string
	for _, c := range d.categories {
		if tool, _, _ := strings.Cut(c, "/"); !slices.Contains(tools, tool) {
			tools = append(tools, tool)
		}
		categories = append(categories, strings.Replace(c, "/", "/\n", 1))
	}
	s := newSpec(d, "requests_per_s", "Request throughput with "+strings.Join(tools, " and "),
		"load generator / scenario", "requests per second")
	s.categories, s.ticks, s.label = categories, si(6), si(3)
	return s
}

// churn shows the server CPU per connection of each churn load and of the burst, with whiskers from the least
// to the greatest of the rounds, and under it the connections per second relative to gnet's, paired per round.
func (r *renderer) churn(d *dataset) chartSpec {
	const cpu = "cpu_us_per_conn"
	s := newSpec(d, cpu, "Server CPU per connection, lower is better", "",
		"server CPU per connection (µs),\nwhiskers from min to max")
	s.lows, s.highs, s.logY = d.matrix(cpu, "", floats.Min), d.matrix(cpu, "", floats.Max), false
	if s.series[0] != refImpl {
		r.notef("no %s rows in the churn results, so no relative connection rate", refImpl)
		return s
	}
	rel := newSpec(d, "conns_per_s", "Connections per second relative to raw gnet, paired per round",
		"load (c = clients, fin / rst = close mode; burst-N: N connections at once, rate while opening them)",
		"connections per second\nrelative to gnet (gnet = 1.0)")
	rel.values = d.matrix("conns_per_s", refImpl, median)
	s.below = &rel
	*s.below = relative(rel)
	return s
}

// drawable reports whether v can be shown: finite and, on a log scale, positive.
func drawable(v float64, logY bool) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && (!logY || v > 0)
}

// si returns a format with prec significant digits and an SI suffix: 250k, 1.23M.
func si(prec int) func(float64) string {
	return func(v float64) string {
		for i, suffix := range []string{"G", "M", "k"} {
			if unit := math.Pow(1000, float64(3-i)); math.Abs(v) >= unit {
				return strconv.FormatFloat(v/unit, 'g', prec, 64) + suffix
			}
		}
		return strconv.FormatFloat(v, 'g', prec, 64)
	}
}

// bytesLabel formats a number of bytes for a bar label.
func bytesLabel(v float64) string {
	if math.Abs(v) >= 10*1024 {
		return strconv.FormatFloat(v/1024, 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " B"
}
