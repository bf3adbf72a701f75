// Command benchplot turns the raw benchmark results (CSV) into the SVG
// charts used by the documentation.
//
// Usage, from the bench module:
//
//	go run ./cmd/benchplot -in results -out ../docs/img
//
// It reads echo.csv, idle.csv and http.csv from the -in directory. Each
// file holds one row per measurement and several rounds of every
// measurement; every chart shows the median over the rounds. A missing
// file only skips the charts drawn from it (with a note on stderr); a
// malformed file is an error naming the file and the line.
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// refImpl is the implementation every other one is compared with.
const refImpl = "gnet"

// Size of every chart.
const (
	figWidth  = 8 * vg.Inch
	figHeight = 4.5 * vg.Inch
)

// errNoData reports that an input holds nothing a chart could show; the
// chart is skipped rather than failing the run.
var errNoData = errors.New("no data to plot")

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

// run parses the command line, then draws every chart whose input exists.
// It prints the path of each file written to stdout and notes about
// skipped charts to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("benchplot", flag.ContinueOnError)
	flags.SetOutput(stderr)
	in := flags.String("in", "results", "directory holding the benchmark CSV files")
	out := flags.String("out", "../docs/img", "directory the SVG charts are written to")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flags.Args())
	}
	if _, err := os.Stat(*in); err != nil {
		return fmt.Errorf("input directory: %w", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	r := &renderer{colors: newPalette(), stdout: stdout, stderr: stderr}
	for _, src := range sources {
		if err := r.process(src, *in, *out); err != nil {
			return err
		}
	}
	return nil
}

// source is one input CSV file and the charts drawn from it.
type source struct {
	file   string
	schema schema
	charts []chart
}

// chart is one output SVG file and the function that draws it.
type chart struct {
	file  string
	build func(r *renderer, d *dataset) (*figure, error)
}

// sources lists every input file and the charts drawn from it.
var sources = []source{
	{
		file: "echo.csv",
		schema: schema{
			category: []string{"scenario"},
			metrics:  []string{"msgs_per_s", "p50_us", "p99_us"},
		},
		charts: []chart{
			{"bench-throughput.svg", (*renderer).relativeThroughput},
			{"bench-throughput-abs.svg", (*renderer).absoluteThroughput},
			{"bench-latency.svg", (*renderer).latency},
		},
	},
	{
		file: "idle.csv",
		schema: schema{
			metrics: []string{"conns", "bytes_per_conn"},
		},
		charts: []chart{
			{"bench-memory.svg", (*renderer).memory},
		},
	},
	{
		file: "http.csv",
		schema: schema{
			category: []string{"tool", "scenario"},
			metrics:  []string{"requests_per_s"},
		},
		charts: []chart{
			{"bench-http.svg", (*renderer).http},
		},
	},
}

// renderer draws charts with one colour per implementation, the same in
// every chart, and reports what it does.
type renderer struct {
	colors *palette
	stdout io.Writer
	stderr io.Writer
}

// process loads one source from dir and writes its charts to outDir. A
// missing or empty file skips the charts with a note on stderr.
func (r *renderer) process(src source, dir, outDir string) error {
	path := filepath.Join(dir, src.file)
	d, err := loadDataset(path, src.schema)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.notef("%s not found, skipping %s", path, chartNames(src.charts))
		return nil
	case errors.Is(err, errNoData):
		r.notef("%s has no data rows, skipping %s", path, chartNames(src.charts))
		return nil
	case err != nil:
		return err
	}
	for _, c := range src.charts {
		if err := r.drawChart(c, d, outDir); err != nil {
			return fmt.Errorf("%s from %s: %w", c.file, path, err)
		}
	}
	return nil
}

// drawChart builds one chart and writes it as SVG to outDir.
func (r *renderer) drawChart(c chart, d *dataset, outDir string) error {
	fig, err := c.build(r, d)
	if errors.Is(err, errNoData) {
		r.notef("nothing to show in %s, skipping it", c.file)
		return nil
	}
	if err != nil {
		return err
	}
	path := filepath.Join(outDir, c.file)
	if err := writeSVG(path, fig); err != nil {
		return err
	}
	fmt.Fprintln(r.stdout, path)
	return nil
}

// notef prints a note about a skipped chart or incomplete data to stderr.
func (r *renderer) notef(format string, args ...any) {
	fmt.Fprintf(r.stderr, "benchplot: "+format+"\n", args...)
}

// chartNames lists the output files of charts, for messages.
func chartNames(charts []chart) string {
	names := make([]string, len(charts))
	for i, c := range charts {
		names[i] = c.file
	}
	return strings.Join(names, ", ")
}

// ---------------------------------------------------------------------
// Reading the CSV files.

// schema names the columns of an input file beyond "round" and "impl":
// the columns whose values, joined with "/", name a category (a point on
// the x axis), and the numeric columns collected for every measurement.
type schema struct {
	category []string
	metrics  []string
}

// columns returns every column the schema needs.
func (s schema) columns() []string {
	cols := append([]string{"round", "impl"}, s.category...)
	return append(cols, s.metrics...)
}

// table is a CSV file whose columns are addressed by header name.
type table struct {
	path string
	cols map[string]int
	rows []row
}

// row is one CSV record and the line it starts on.
type row struct {
	line   int
	fields []string
}

// readTable reads a CSV file with a header row and checks that it has
// every column in required; other columns are ignored.
func readTable(path string, required []string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header row", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cols, err := headerIndex(header, required)
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", path, err)
	}
	rows, err := readRows(cr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &table{path: path, cols: cols, rows: rows}, nil
}

// headerIndex maps column names to positions and checks that every
// required column is present. Unnamed columns are ignored.
func headerIndex(header, required []string) (map[string]int, error) {
	cols := make(map[string]int, len(header))
	for i, name := range header {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		if name == "" {
			continue
		}
		if _, dup := cols[name]; dup {
			return nil, fmt.Errorf("duplicate column %q", name)
		}
		cols[name] = i
	}
	for _, name := range required {
		if _, ok := cols[name]; !ok {
			return nil, fmt.Errorf("missing required column %q", name)
		}
	}
	return cols, nil
}

// readRows reads the remaining records, remembering their line numbers.
// The csv package already rejects records with the wrong number of fields
// and reports the line.
func readRows(cr *csv.Reader) ([]row, error) {
	var rows []row
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, row{line: line, fields: fields})
	}
}

// rowReader reads typed fields from one row, keeping the first error so a
// caller can read every field and check once.
type rowReader struct {
	t   *table
	r   row
	err error
}

// field returns the trimmed text of column name.
func (rr *rowReader) field(name string) string {
	return strings.TrimSpace(rr.r.fields[rr.t.cols[name]])
}

// fail records the first error, prefixed with the file, line and column.
func (rr *rowReader) fail(name, format string, args ...any) {
	if rr.err == nil {
		rr.err = fmt.Errorf("%s:%d: column %q: %s", rr.t.path, rr.r.line, name, fmt.Sprintf(format, args...))
	}
}

// str returns the text of column name, which must not be empty.
func (rr *rowReader) str(name string) string {
	v := rr.field(name)
	if v == "" {
		rr.fail(name, "empty value")
	}
	return v
}

// int returns the integer in column name.
func (rr *rowReader) int(name string) int {
	v, err := strconv.Atoi(rr.field(name))
	if err != nil {
		rr.fail(name, "invalid integer %q", rr.field(name))
	}
	return v
}

// float returns the finite number in column name.
func (rr *rowReader) float(name string) float64 {
	v, err := strconv.ParseFloat(rr.field(name), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		rr.fail(name, "invalid number %q", rr.field(name))
		return math.NaN()
	}
	return v
}

// loadDataset reads one input file into a dataset. A file without data
// rows yields errNoData.
func loadDataset(path string, s schema) (*dataset, error) {
	t, err := readTable(path, s.columns())
	if err != nil {
		return nil, err
	}
	if len(t.rows) == 0 {
		return nil, errNoData
	}
	d := newDataset()
	for _, r := range t.rows {
		if err := d.addRow(&rowReader{t: t, r: r}, s); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// ---------------------------------------------------------------------
// Medians over rounds.

// cell identifies the measurements of one implementation in one category.
type cell struct {
	impl, category string
}

// dataset holds the per-round values of several metrics, by
// implementation and category, remembering the order in which
// implementations and categories first appear.
type dataset struct {
	impls      []string
	categories []string
	rounds     map[int]bool
	values     map[string]map[cell][]float64 // metric → cell → one value per round
}

// newDataset returns an empty dataset.
func newDataset() *dataset {
	return &dataset{rounds: map[int]bool{}, values: map[string]map[cell][]float64{}}
}

// addRow reads one row according to the schema and adds its values.
func (d *dataset) addRow(rr *rowReader, s schema) error {
	round := rr.int("round")
	impl := rr.str("impl")
	parts := make([]string, len(s.category))
	for i, col := range s.category {
		parts[i] = rr.str(col)
	}
	vals := make([]float64, len(s.metrics))
	for i, m := range s.metrics {
		vals[i] = rr.float(m)
	}
	if rr.err != nil {
		return rr.err
	}
	c := cell{impl: impl, category: strings.Join(parts, "/")}
	d.note(round, c)
	for i, m := range s.metrics {
		d.add(m, c, vals[i])
	}
	return nil
}

// note records a round, implementation and category as seen.
func (d *dataset) note(round int, c cell) {
	d.rounds[round] = true
	if !slices.Contains(d.impls, c.impl) {
		d.impls = append(d.impls, c.impl)
	}
	if !slices.Contains(d.categories, c.category) {
		d.categories = append(d.categories, c.category)
	}
}

// add appends one value of metric for cell c.
func (d *dataset) add(metric string, c cell, v float64) {
	if d.values[metric] == nil {
		d.values[metric] = map[cell][]float64{}
	}
	d.values[metric][c] = append(d.values[metric][c], v)
}

// median returns the median over rounds of metric for impl in category,
// or NaN when there is no value.
func (d *dataset) median(metric, impl, category string) float64 {
	return median(d.values[metric][cell{impl: impl, category: category}])
}

// matrix returns the medians of metric as [implementation][category], in
// the order of implOrder and d.categories.
func (d *dataset) matrix(metric string) [][]float64 {
	impls := d.implOrder()
	m := make([][]float64, len(impls))
	for i, impl := range impls {
		m[i] = make([]float64, len(d.categories))
		for j, cat := range d.categories {
			m[i][j] = d.median(metric, impl, cat)
		}
	}
	return m
}

// implOrder returns the implementations in order of first appearance,
// except that the reference implementation comes first.
func (d *dataset) implOrder() []string {
	order := make([]string, 0, len(d.impls))
	if slices.Contains(d.impls, refImpl) {
		order = append(order, refImpl)
	}
	for _, impl := range d.impls {
		if impl != refImpl {
			order = append(order, impl)
		}
	}
	return order
}

// all returns every value of metric, whatever the cell.
func (d *dataset) all(metric string) []float64 {
	var vs []float64
	for _, c := range d.sortedCells(metric) {
		vs = append(vs, d.values[metric][c]...)
	}
	return vs
}

// sortedCells returns the cells holding values of metric in a stable order.
func (d *dataset) sortedCells(metric string) []cell {
	cells := make([]cell, 0, len(d.values[metric]))
	for c := range d.values[metric] {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].impl != cells[j].impl {
			return cells[i].impl < cells[j].impl
		}
		return cells[i].category < cells[j].category
	})
	return cells
}

// median returns the median of vs (the mean of the two middle values for
// an even count), or NaN for no values. vs is not modified.
func median(vs []float64) float64 {
	n := len(vs)
	if n == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// relative divides every row of m by the row of the reference
// implementation, category by category. A category without a positive
// reference value gets NaN everywhere. It also returns those categories.
func relative(m [][]float64, ref int, categories []string) ([][]float64, []string) {
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = make([]float64, len(m[i]))
	}
	var missing []string
	for j, cat := range categories {
		base := m[ref][j]
		ok := base > 0 // false for NaN too
		if !ok {
			missing = append(missing, cat)
		}
		for i := range m {
			out[i][j] = math.NaN()
			if ok {
				out[i][j] = m[i][j] / base
			}
		}
	}
	return out, missing
}

// ---------------------------------------------------------------------
// The charts.

// relativeThroughput draws the echo throughput of every implementation
// divided by gnet's in the same scenario.
func (r *renderer) relativeThroughput(d *dataset) (*figure, error) {
	impls := d.implOrder()
	if len(impls) == 0 || impls[0] != refImpl {
		r.notef("no %s rows in the echo results, so no relative throughput", refImpl)
		return nil, errNoData
	}
	rel, missing := relative(d.matrix("msgs_per_s"), 0, d.categories)
	if len(missing) > 0 {
		r.notef("no %s throughput for scenario(s) %s: their relative bars are left out",
			refImpl, strings.Join(missing, ", "))
	}
	return r.grouped(groupedChart{
		title:      fmt.Sprintf("Echo throughput relative to raw gnet (median of %d rounds)", len(d.rounds)),
		xLabel:     scenarioAxisLabel,
		yLabel:     "throughput relative to gnet (gnet = 1.0)",
		categories: d.categories,
		series:     impls,
		values:     rel,
		refLine:    1,
		refLabel:   "gnet = 1.0",
		barLabel:   func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	})
}

// scenarioAxisLabel explains the short echo scenario names.
const scenarioAxisLabel = "scenario (c = connections, message size, d = messages in flight per connection)"

// absoluteThroughput draws the echo throughput in messages per second.
func (r *renderer) absoluteThroughput(d *dataset) (*figure, error) {
	m := d.matrix("msgs_per_s")
	logY := wideRange(m)
	return r.grouped(groupedChart{
		title:      fmt.Sprintf("Echo throughput (median of %d rounds)", len(d.rounds)),
		xLabel:     scenarioAxisLabel,
		yLabel:     scaleNote("messages per second", logY),
		categories: d.categories,
		series:     d.implOrder(),
		values:     m,
		logY:       logY,
		tickFormat: siFormat,
		barLabel:   siLabel,
	})
}

// latency draws the median p50 latency as bars and the median p99 as
// whiskers on top, on a log scale.
func (r *renderer) latency(d *dataset) (*figure, error) {
	return r.grouped(groupedChart{
		title:      fmt.Sprintf("Echo p50 (bar) and p99 (whisker) round-trip latency (median of %d rounds)", len(d.rounds)),
		xLabel:     scenarioAxisLabel,
		yLabel:     "round-trip latency (µs, log scale)",
		categories: d.categories,
		series:     d.implOrder(),
		values:     d.matrix("p50_us"),
		highs:      d.matrix("p99_us"),
		highLabel:  "p99",
		logY:       true,
		tickFormat: plainFormat,
	})
}

// memory draws the server memory per idle connection, one bar per
// implementation.
func (r *renderer) memory(d *dataset) (*figure, error) {
	impls := d.implOrder()
	values := make([]float64, len(impls))
	for i, impl := range impls {
		values[i] = d.median("bytes_per_conn", impl, "")
	}
	return r.singleBars(singleChart{
		title:      fmt.Sprintf("Server memory per idle connection (%s, median of %d rounds)", connsText(d.all("conns")), len(d.rounds)),
		xLabel:     "implementation",
		yLabel:     "server RSS growth per idle connection (bytes)",
		names:      impls,
		values:     values,
		tickFormat: plainFormat,
		barLabel:   bytesLabel,
	})
}

// http draws the requests per second of the HTTP and Redis benchmarks.
func (r *renderer) http(d *dataset) (*figure, error) {
	m := d.matrix("requests_per_s")
	logY := wideRange(m)
	return r.grouped(groupedChart{
		title:      fmt.Sprintf("Request throughput with %s (median of %d rounds)", toolNames(d.categories), len(d.rounds)),
		xLabel:     "load generator / scenario",
		yLabel:     scaleNote("requests per second", logY),
		categories: d.categories,
		series:     d.implOrder(),
		values:     m,
		logY:       logY,
		tickFormat: siFormat,
		barLabel:   siLabel,
	})
}

// toolNames lists the load generators named by "tool/scenario" categories.
func toolNames(categories []string) string {
	var tools []string
	for _, c := range categories {
		tool, _, _ := strings.Cut(c, "/")
		if !slices.Contains(tools, tool) {
			tools = append(tools, tool)
		}
	}
	return strings.Join(tools, " and ")
}

// connsText describes the numbers of connections of the idle benchmark.
func connsText(conns []float64) string {
	if len(conns) == 0 {
		return "unknown number of connections"
	}
	lo, hi := conns[0], conns[0]
	for _, c := range conns {
		lo, hi = math.Min(lo, c), math.Max(hi, c)
	}
	if lo == hi {
		return fmt.Sprintf("%.0f connections", lo)
	}
	return fmt.Sprintf("%.0f to %.0f connections", lo, hi)
}

// wideRange reports whether the positive values of m span so many orders
// of magnitude that a log scale shows them better.
func wideRange(m [][]float64) bool {
	lo, hi := positiveRange(flatten(m))
	return lo > 0 && hi/lo > 30
}

// scaleNote appends a note about a log scale to an axis label.
func scaleNote(label string, logY bool) string {
	if logY {
		return label + " (log scale)"
	}
	return label
}

// flatten concatenates the rows of m.
func flatten(m [][]float64) []float64 {
	var vs []float64
	for _, r := range m {
		vs = append(vs, r...)
	}
	return vs
}

// positiveRange returns the smallest and largest positive finite values,
// or (0, 0) when there are none.
func positiveRange(vs []float64) (lo, hi float64) {
	for _, v := range vs {
		if !(v > 0) || math.IsInf(v, 0) {
			continue
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = math.Max(hi, v)
	}
	return lo, hi
}

// finiteRange returns the smallest and largest finite values and whether
// there are any.
func finiteRange(vs []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
	}
	return lo, hi, ok
}

// ---------------------------------------------------------------------
// Number formats.

// siFormat formats an axis tick with an SI suffix: 250k, 1.5M.
func siFormat(v float64) string {
	scaled, suffix := siScale(v)
	return strconv.FormatFloat(scaled, 'f', -1, 64) + suffix
}

// siLabel formats a bar value with three significant digits: 987k, 1.23M.
func siLabel(v float64) string {
	scaled, suffix := siScale(v)
	return strconv.FormatFloat(scaled, 'g', 3, 64) + suffix
}

// siScale divides v by the largest SI multiple not above it.
func siScale(v float64) (float64, string) {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return v / 1e9, "G"
	case a >= 1e6:
		return v / 1e6, "M"
	case a >= 1e3:
		return v / 1e3, "k"
	}
	return v, ""
}

// plainFormat formats an axis tick as a plain number.
func plainFormat(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// bytesLabel formats a number of bytes for a bar label.
func bytesLabel(v float64) string {
	if math.Abs(v) >= 10*1024 {
		return strconv.FormatFloat(v/1024, 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " B"
}

// ---------------------------------------------------------------------
// Building plots.

// groupedChart describes a grouped bar chart: categories along the x axis
// and, in each, one bar per series (implementation).
type groupedChart struct {
	title, xLabel, yLabel string
	categories            []string
	series                []string
	values                [][]float64 // [series][category]; NaN: no bar
	highs                 [][]float64 // optional whisker tops, same shape
	highLabel             string      // legend text of the whiskers
	logY                  bool
	refLine               float64 // when > 0, a dashed line at this value
	refLabel              string  // legend text of the reference line
	tickFormat            func(float64) string
	barLabel              func(float64) string // nil: bars are not labelled
}

// grouped builds a grouped bar chart.
func (r *renderer) grouped(g groupedChart) (*figure, error) {
	if len(g.categories) == 0 || len(g.series) == 0 || !hasBars(g.values, g.logY) {
		return nil, errNoData
	}
	p := newPlot(g.xLabel, g.yLabel)
	fig := &figure{title: g.title, plot: p, legend: newLegend()}
	p.Add(horizontalGrid())
	width := groupWidth / float64(len(g.series))
	var labels []plot.Plotter
	for i, name := range g.series {
		b := r.newBars(name, g.values[i], width, g.logY)
		b.xs = groupPositions(len(g.categories), i, len(g.series))
		if g.highs != nil {
			b.highs = g.highs[i]
		}
		p.Add(b)
		fig.legend.Add(name, b)
		if g.barLabel != nil {
			labels = append(labels, newBarLabels(b, g.barLabel))
		}
	}
	if g.highs != nil {
		fig.legend.Add(g.highLabel, whiskerThumb{style: whiskerStyle()})
	}
	if g.refLine > 0 {
		ref := refLine(g.refLine, len(g.categories))
		p.Add(ref)
		fig.legend.Add(g.refLabel, ref)
	}
	p.Add(labels...)
	if err := setYAxis(p, g.logY, g.tickFormat); err != nil {
		return nil, err
	}
	setCategories(p, g.categories, figWidth-2.5*vg.Inch)
	return fig, nil
}

// singleChart describes a bar chart with one bar per implementation.
type singleChart struct {
	title, xLabel, yLabel string
	names                 []string
	values                []float64
	tickFormat            func(float64) string
	barLabel              func(float64) string
}

// singleBars builds a bar chart with one bar, in its own colour, per
// implementation; the x axis names them, so there is no legend.
func (r *renderer) singleBars(s singleChart) (*figure, error) {
	if len(s.names) == 0 || !hasBars([][]float64{s.values}, false) {
		return nil, errNoData
	}
	p := newPlot(s.xLabel, s.yLabel)
	p.Add(horizontalGrid())
	var labels []plot.Plotter
	for i, name := range s.names {
		b := r.newBars(name, []float64{s.values[i]}, singleWidth, false)
		b.xs = []float64{float64(i)}
		p.Add(b)
		labels = append(labels, newBarLabels(b, s.barLabel))
	}
	p.Add(labels...)
	if err := setYAxis(p, false, s.tickFormat); err != nil {
		return nil, err
	}
	setCategories(p, s.names, figWidth-vg.Inch)
	return &figure{title: s.title, plot: p}, nil
}

// Widths of bars, in x axis units (one unit per category).
const (
	groupWidth  = 0.8 // all the bars of one category together
	singleWidth = 0.6 // a lone bar
)

// groupPositions returns the x positions of bar i of k in every one of n
// categories.
func groupPositions(n, i, k int) []float64 {
	w := groupWidth / float64(k)
	xs := make([]float64, n)
	for j := range xs {
		xs[j] = float64(j) - groupWidth/2 + (float64(i)+0.5)*w
	}
	return xs
}

// hasBars reports whether any value of m can be drawn as a bar.
func hasBars(m [][]float64, logY bool) bool {
	for _, v := range flatten(m) {
		if drawable(v, logY) {
			return true
		}
	}
	return false
}

// drawable reports whether a bar of height v can be drawn: finite and,
// on a log scale, positive.
func drawable(v float64, logY bool) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	return !logY || v > 0
}

// newPlot returns a plot with sans-serif text and the given axis labels.
func newPlot(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Label.TextStyle.Font = sansFont(10)
	p.Y.Label.TextStyle.Font = sansFont(10)
	p.X.Label.Padding = vg.Points(4)
	p.Y.Label.Padding = vg.Points(4)
	p.X.Tick.Label.Font = sansFont(9.5)
	p.Y.Tick.Label.Font = sansFont(9)
	return p
}

// horizontalGrid returns light grid lines at the labelled y ticks.
func horizontalGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal.Color = color.Gray{Y: 215}
	g.Horizontal.Width = vg.Points(0.5)
	return g
}

// setYAxis sets the scale, range and ticks of the value axis from the
// data already added to p. A linear axis ends on a labelled tick; a log
// axis starts at a power of ten, so that bars rise from a round value.
func setYAxis(p *plot.Plot, logY bool, format func(float64) string) error {
	if format == nil {
		format = plainFormat
	}
	if !logY {
		if step := tickStep(p.Y.Min, p.Y.Max); step > 0 {
			p.Y.Max = math.Ceil(p.Y.Max/step) * step
		}
		p.Y.Tick.Marker = linearTicks{format: format}
		return nil
	}
	if !(p.Y.Min > 0) || !(p.Y.Max >= p.Y.Min) {
		return errNoData
	}
	p.Y.Min = math.Pow(10, math.Floor(log10(p.Y.Min)))
	p.Y.Max = niceAbove(p.Y.Max * 1.1)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{format: format}
	return nil
}

// niceAbove returns the smallest of 1, 2 and 5 times a power of ten that
// is at least v, which must be positive.
func niceAbove(v float64) float64 {
	base := math.Pow(10, math.Floor(log10(v)))
	for _, m := range []float64{1, 2, 5} {
		if base*m >= v {
			return base * m
		}
	}
	return base * 10
}

// log10 is math.Log10 rounded to the nearest integer when it is within
// rounding error of one, so that exact powers of ten stay exact.
func log10(v float64) float64 {
	l := math.Log10(v)
	if r := math.Round(l); math.Abs(l-r) < 1e-9 {
		return r
	}
	return l
}

// setCategories puts the category names under the bars, breaking those
// too wide for their share of width, and leaves half a category of room
// on either side.
func setCategories(p *plot.Plot, names []string, width vg.Length) {
	slot := width / vg.Length(len(names))
	wrapped := make([]string, len(names))
	for i, name := range names {
		wrapped[i] = wrapLabel(name, p.X.Tick.Label, slot)
	}
	p.NominalX(wrapped...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	p.X.Padding = 0
	p.Y.Padding = 0
}

// wrapLabel breaks a name that is wider than width in two lines, after
// the '/' nearest its middle or, without one, after the '-' nearest it.
func wrapLabel(name string, sty text.Style, width vg.Length) string {
	if sty.Width(name) <= width {
		return name
	}
	for _, sep := range []byte{'/', '-'} {
		if i := nearestMiddle(name, sep); i >= 0 {
			return name[:i+1] + "\n" + name[i+1:]
		}
	}
	return name
}

// nearestMiddle returns the index of the sep nearest the middle of s,
// ignoring a trailing one, or -1 if there is none.
func nearestMiddle(s string, sep byte) int {
	mid := float64(len(s)) / 2
	best := -1
	for i := 0; i < len(s)-1; i++ {
		if s[i] == sep && (best < 0 || math.Abs(float64(i)-mid) < math.Abs(float64(best)-mid)) {
			best = i
		}
	}
	return best
}

// refLine returns a dashed horizontal line at y across n categories.
func refLine(y float64, n int) *plotter.Line {
	l := &plotter.Line{XYs: plotter.XYs{{X: -0.5, Y: y}, {X: float64(n) - 0.5, Y: y}}}
	l.LineStyle = draw.LineStyle{
		Color:  color.Gray{Y: 40},
		Width:  vg.Points(1),
		Dashes: []vg.Length{vg.Points(5), vg.Points(3)},
	}
	return l
}

// textStyle returns a sans-serif text style of the given size in points.
func textStyle(size float64) text.Style {
	return text.Style{Color: color.Black, Font: sansFont(size), Handler: plot.DefaultTextHandler}
}

// sansFont returns Liberation Sans of the given size in points.
func sansFont(size float64) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, vg.Points(size))
}

// newLegend returns an empty legend with sans-serif text, to be drawn
// beside the plot.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(10)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(14)
	l.Padding = vg.Points(4)
	return &l
}

// ---------------------------------------------------------------------
// Ticks.

// linearTicks labels multiples of a round step (1, 2, 2.5 or 5 times a
// power of ten) chosen for about six labels, with a minor tick between
// each two.
type linearTicks struct {
	format func(float64) string
}

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	step := tickStep(lo, hi)
	if step <= 0 {
		return nil
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo / step * 2); k <= math.Floor(hi/step*2); k++ {
		v := k * step / 2
		if math.Mod(k, 2) != 0 {
			ticks = append(ticks, plot.Tick{Value: v})
			continue
		}
		// Print and parse to drop rounding noise such as 0.6000000000000001.
		v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
		ticks = append(ticks, plot.Tick{Value: v, Label: t.format(v)})
	}
	return ticks
}

// tickStep returns the distance between labelled ticks on a linear axis
// from lo to hi, or 0 for an empty or invalid range.
func tickStep(lo, hi float64) float64 {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return 0
	}
	raw := span / 6
	base := math.Pow(10, math.Floor(log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if base*m >= raw {
			return base * m
		}
	}
	return base * 10
}

// logTicks marks 1 to 9 times every power of ten and labels the powers of
// ten; when the axis spans at most two decades it also labels 2 and 5
// times them.
type logTicks struct {
	format func(float64) string
}

// Ticks implements plot.Ticker.
func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	first, last := math.Floor(log10(lo)), math.Ceil(log10(hi))
	dense := last-first <= 2
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10 && (e < last || m == 1); m++ {
			tick := plot.Tick{Value: base * m}
			if m == 1 || dense && (m == 2 || m == 5) {
				tick.Label = t.format(tick.Value)
			}
			ticks = append(ticks, tick)
		}
	}
	return ticks
}

// ---------------------------------------------------------------------
// Bars, whiskers and labels.

// bars draws one series of a bar chart: a bar per x position, optionally
// topped by a whisker. Unlike plotter.BarChart it works on a log scale
// (bars then rise from the bottom of the axis) and it skips missing (NaN)
// values.
type bars struct {
	xs, ys []float64 // bar centres and heights, in data units
	highs  []float64 // whisker tops, nil for no whiskers
	width  float64   // bar width, in x data units
	logY   bool
	fill   color.Color
	edge   draw.LineStyle
	high   draw.LineStyle
}

// newBars returns the bars of one implementation.
func (r *renderer) newBars(impl string, ys []float64, width float64, logY bool) *bars {
	fill := r.colors.color(impl)
	return &bars{
		ys:    ys,
		width: width,
		logY:  logY,
		fill:  fill,
		edge:  draw.LineStyle{Color: darken(fill), Width: vg.Points(0.5)},
		high:  whiskerStyle(),
	}
}

// whiskerStyle is the line style of p99 whiskers.
func whiskerStyle() draw.LineStyle {
	return draw.LineStyle{Color: color.Gray{Y: 30}, Width: vg.Points(1)}
}

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	base := c.Min.Y
	if !b.logY && p.Y.Min <= 0 && p.Y.Max >= 0 {
		base = trY(0)
	}
	for i, y := range b.ys {
		if !drawable(y, b.logY) {
			continue
		}
		x0, x1 := trX(b.xs[i]-b.width/2), trX(b.xs[i]+b.width/2)
		top := trY(y)
		rect := []vg.Point{{X: x0, Y: base}, {X: x0, Y: top}, {X: x1, Y: top}, {X: x1, Y: base}}
		c.FillPolygon(b.fill, c.ClipPolygonY(rect))
		c.StrokeLines(b.edge, c.ClipLinesY(append(rect, rect[0]))...)
		if b.highs != nil && drawable(b.highs[i], b.logY) {
			drawWhisker(&c, b.high, trX(b.xs[i]), top, trY(b.highs[i]), (x1-x0)/2)
		}
	}
}

// drawWhisker draws a vertical line from y0 to y1 at x with a cap of the
// given width at y1.
func drawWhisker(c *draw.Canvas, sty draw.LineStyle, x, y0, y1, capWidth vg.Length) {
	c.StrokeLines(sty, c.ClipLinesY([]vg.Point{{X: x, Y: y0}, {X: x, Y: y1}})...)
	if c.ContainsY(y1) {
		c.StrokeLine2(sty, x-capWidth/2, y1, x+capWidth/2, y1)
	}
}

// DataRange implements plot.DataRanger. Linear bars include zero; log
// bars only their positive values. Without drawable values the range is
// empty (+Inf, -Inf), which leaves the plot's range alone.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, _ = finiteRange(b.xs)
	xmin -= b.width / 2
	xmax += b.width / 2
	var vs []float64
	for i, y := range b.ys {
		if !drawable(y, b.logY) {
			continue
		}
		vs = append(vs, y)
		if b.highs != nil && drawable(b.highs[i], b.logY) {
			vs = append(vs, b.highs[i])
		}
	}
	if !b.logY && len(vs) > 0 {
		vs = append(vs, 0)
	}
	ymin, ymax, _ = finiteRange(vs)
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (b *bars) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	pts := []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}}
	c.FillPolygon(b.fill, pts)
	c.StrokeLines(b.edge, append(pts, pts[0]))
}

// whiskerThumb is the legend thumbnail of whiskers.
type whiskerThumb struct {
	style draw.LineStyle
}

// Thumbnail implements plot.Thumbnailer.
func (w whiskerThumb) Thumbnail(c *draw.Canvas) {
	x := c.Center().X
	drawWhisker(c, w.style, x, c.Min.Y, c.Max.Y, c.Size().X/2)
}

// barLabels writes the value of each bar of a series above it: level if
// it fits the bar's width, turned a quarter if it is only narrower than
// the bar that way, and not at all otherwise.
type barLabels struct {
	b     *bars
	texts []string
	style text.Style
}

// labelGap separates a bar label from the top of its bar.
const labelGap = 2 // points

// newBarLabels returns the labels of the bars b, formatted with format.
func newBarLabels(b *bars, format func(float64) string) *barLabels {
	texts := make([]string, len(b.ys))
	for i, y := range b.ys {
		if drawable(y, b.logY) {
			texts[i] = format(y)
		}
	}
	return &barLabels{b: b, texts: texts, style: textStyle(7.5)}
}

// Plot implements plot.Plotter.
func (l *barLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	if len(l.b.xs) == 0 {
		return
	}
	barWidth := trX(l.b.xs[0]+l.b.width/2) - trX(l.b.xs[0]-l.b.width/2)
	sty, ok := l.fit(barWidth)
	if !ok {
		return
	}
	for i, t := range l.texts {
		if t == "" {
			continue
		}
		// The room above the data area that GlyphBoxes asked for is
		// outside c, so only the x position is checked.
		pt := vg.Point{X: trX(l.b.xs[i]), Y: trY(l.anchor(i))}
		if c.ContainsX(pt.X) {
			c.FillText(sty, pt.Add(labelOffset(sty, t)), t)
		}
	}
}

// labelOffset moves a label drawn in style sty so that its bounding box
// is centred on the bar and starts labelGap above it.
func labelOffset(sty text.Style, t string) vg.Point {
	r := sty.Rectangle(t)
	return vg.Point{X: -(r.Min.X + r.Max.X) / 2, Y: vg.Points(labelGap) - r.Min.Y}
}

// fit returns the style that makes every label fit a bar of the given
// width, and false if none does.
func (l *barLabels) fit(barWidth vg.Length) (text.Style, bool) {
	level := l.style
	level.XAlign, level.YAlign = draw.XCenter, draw.YBottom
	if l.widest(level) <= barWidth {
		return level, true
	}
	turned := l.turned()
	if turned.Rectangle("0").Size().X <= barWidth {
		return turned, true
	}
	return text.Style{}, false
}

// turned returns the label style turned a quarter counterclockwise,
// reading upwards from the top of the bar.
func (l *barLabels) turned() text.Style {
	sty := l.style
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	return sty
}

// widest returns the width of the widest label in style sty.
func (l *barLabels) widest(sty text.Style) vg.Length {
	var w vg.Length
	for _, t := range l.texts {
		w = max(w, sty.Rectangle(t).Size().X)
	}
	return w
}

// anchor returns the data value the label of bar i sits above: the bar's
// top, or zero for a negative bar.
func (l *barLabels) anchor(i int) float64 {
	return math.Max(l.b.ys[i], 0)
}

// GlyphBoxes implements plot.GlyphBoxer so that the plot leaves room
// above the tallest bar for its label, drawn either way.
func (l *barLabels) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	turned := l.turned()
	var boxes []plot.GlyphBox
	for i, t := range l.texts {
		if t == "" {
			continue
		}
		boxes = append(boxes, plot.GlyphBox{
			X:         p.X.Norm(l.b.xs[i]),
			Y:         p.Y.Norm(l.anchor(i)),
			Rectangle: turned.Rectangle(t).Add(labelOffset(turned, t)),
		})
	}
	return boxes
}

// ---------------------------------------------------------------------
// Colours.

// palette gives every implementation the same colour in every chart.
type palette struct {
	assigned map[string]color.Color
	next     int
}

// knownColors are the colours of the implementations the benchmarks
// know: gnet, the reference, grey; asyncnet strong blue; its stream API a
// lighter blue; the others distinct hues.
var knownColors = map[string]color.Color{
	"gnet":            rgb(0x8c8c8c),
	"asyncnet":        rgb(0x1f5fbf),
	"asyncnet-stream": rgb(0x86b6ec),
	"stdlib":          rgb(0xe08a2c),
	"nbio":            rgb(0x3a9e58),
	"netpoll":         rgb(0xc44e52),
}

// spareColors are handed out, in turn, to implementations not in
// knownColors.
var spareColors = []color.Color{
	rgb(0x8e6bb8), rgb(0x8c613c), rgb(0xd17fc0), rgb(0xb5b033), rgb(0x3fb6c4),
}

// newPalette returns a palette with only the known colours assigned.
func newPalette() *palette {
	return &palette{assigned: map[string]color.Color{}}
}

// color returns the colour of impl.
func (p *palette) color(impl string) color.Color {
	if c, ok := knownColors[impl]; ok {
		return c
	}
	if c, ok := p.assigned[impl]; ok {
		return c
	}
	c := spareColors[p.next%len(spareColors)]
	p.next++
	p.assigned[impl] = c
	return c
}

// rgb returns the opaque colour 0xRRGGBB.
func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// darken returns c at two thirds of its brightness, for bar outlines.
func darken(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.RGBA{R: uint8(r * 2 / 3 >> 8), G: uint8(g * 2 / 3 >> 8), B: uint8(b * 2 / 3 >> 8), A: 0xff}
}

// ---------------------------------------------------------------------
// Output.

// figure is a plot with a title across the whole figure and an optional
// legend to the right of the plot, where it cannot hide any bar.
type figure struct {
	title  string
	plot   *plot.Plot
	legend *plot.Legend // nil: no legend
}

// margin is the blank border around a figure and between its parts.
const margin = 8 // points

// draw draws the figure on c.
func (f *figure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c = draw.Crop(c, vg.Points(margin), -vg.Points(margin), vg.Points(margin/2), -vg.Points(margin))
	titleStyle := textStyle(12)
	titleStyle.XAlign, titleStyle.YAlign = draw.XCenter, draw.YTop
	c.FillText(titleStyle, vg.Point{X: c.Center().X, Y: c.Max.Y}, f.title)
	body := draw.Crop(c, 0, 0, 0, -(titleStyle.Rectangle(f.title).Size().Y + vg.Points(margin)))
	if f.legend == nil {
		f.plot.Draw(body)
		return
	}
	// 15% slack: a viewer without Liberation Sans falls back to a font
	// that may be wider (DejaVu Sans is).
	lw := f.legend.Rectangle(body).Size().X * 1.15
	f.plot.Draw(draw.Crop(body, 0, -(lw + vg.Points(2*margin)), 0, 0))
	f.legend.Draw(draw.Crop(body, body.Size().X-lw, 0, 0, -vg.Points(margin)))
}

// writeSVG draws fig and writes it to path as SVG.
func writeSVG(path string, fig *figure) error {
	c := vgsvg.New(figWidth, figHeight)
	fig.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	if err := os.WriteFile(path, withFontFallbacks(buf.Bytes()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// withFontFallbacks lets viewers without Liberation Sans, which the SVG
// names but does not embed (that would add hundreds of kilobytes), use a
// metrically compatible font instead of their default serif.
func withFontFallbacks(svg []byte) []byte {
	return bytes.ReplaceAll(svg,
		[]byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
}
