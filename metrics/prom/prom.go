// Package prom exports a Loop's Stats to Prometheus: a
// prometheus.Collector that reads core.Loop.Stats at each scrape. It is a
// module of its own (github.com/asyncnet/asyncnet/metrics/prom), so that
// programs that do not use Prometheus do not depend on its client.
//
//	prometheus.MustRegister(prom.NewCollector(l, prometheus.Labels{"service": "echo"}))
//	http.Handle("/metrics", promhttp.Handler())
//
// The metrics, all prefixed asyncnet_ and labelled with the ConstLabels
// given (to tell several Loops apart):
//
//	sockets{direction="incoming"|"outgoing"}          gauge: open sockets
//	servers, pending_connects, timers                 gauges
//	buffered_bytes{direction="in"|"out"}              gauge: kept unread, written unsent
//	accepted_total, connected_total                   counters: sockets opened
//	connect_failures_total, accept_errors_total       counters
//	closed_total{cause="eof"|"reset"|"timeout"|"overflow"|"app"|"error"}
//	read_bytes_total, written_bytes_total              counters
//	refused_writes_total                              counter
package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/asyncnet/asyncnet/core"
)

// Collector is a prometheus.Collector of one Loop's Stats.
type Collector struct {
	l     *core.Loop
	descs []*prometheus.Desc
	m     map[string]*prometheus.Desc
}

// NewCollector returns a Collector of l's Stats, whose metrics carry
// constLabels (nil for none).
func NewCollector(l *core.Loop, constLabels prometheus.Labels) *Collector {
	c := &Collector{l: l, m: map[string]*prometheus.Desc{}}
	add := func(name, help string, labels ...string) {
		d := prometheus.NewDesc("asyncnet_"+name, help, labels, constLabels)
		c.m[name] = d
		c.descs = append(c.descs, d)
	}
	add("sockets", "Open sockets.", "direction")
	add("servers", "Servers not yet closed.")
	add("pending_connects", "Outgoing sockets still resolving or connecting.")
	add("timers", "Delay and Interval timers not yet run or stopped.")
	add("buffered_bytes", "Bytes kept unread (in) and written but not yet taken by the kernel (out).", "direction")
	add("accepted_total", "Connections the servers accepted.")
	add("connected_total", "Outgoing connections that connected.")
	add("connect_failures_total", "Outgoing connects that failed or were closed before they connected.")
	add("accept_errors_total", "Accept errors, and connections refused for a bad PROXY header.")
	add("closed_total", "Sockets closed, by cause.", "cause")
	add("read_bytes_total", "Bytes received.")
	add("written_bytes_total", "Bytes the kernel took.")
	add("refused_writes_total", "Writes refused by the write cap.")
	return c
}

// Describe sends the descriptors of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect reads the Loop's Stats once and sends every metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.l.Stats()
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.m[name], prometheus.GaugeValue, v, labels...)
	}
	counter := func(name string, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.m[name], prometheus.CounterValue, float64(v), labels...)
	}
	gauge("sockets", float64(st.IncomingSockets), "incoming")
	gauge("sockets", float64(st.OutgoingSockets), "outgoing")
	gauge("servers", float64(st.Servers))
	gauge("pending_connects", float64(st.PendingConnects))
	gauge("timers", float64(st.Timers))
	gauge("buffered_bytes", float64(st.BytesBufferedIn), "in")
	gauge("buffered_bytes", float64(st.BytesBufferedOut), "out")
	counter("accepted_total", st.Accepted)
	counter("connected_total", st.Connected)
	counter("connect_failures_total", st.ConnectFailures)
	counter("accept_errors_total", st.AcceptErrors)
	counter("closed_total", st.ClosedEOF, "eof")
	counter("closed_total", st.ClosedReset, "reset")
	counter("closed_total", st.ClosedTimeout, "timeout")
	counter("closed_total", st.ClosedOverflow, "overflow")
	counter("closed_total", st.ClosedByApp, "app")
	counter("closed_total", st.ClosedError, "error")
	counter("read_bytes_total", st.BytesRead)
	counter("written_bytes_total", st.BytesWritten)
	counter("refused_writes_total", st.RefusedWrites)
}
