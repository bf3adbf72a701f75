// Command benchplot turns the raw benchmark results (CSV) into the SVG
// charts used by the documentation.
//
// Usage, from the bench module:
//
//	go run ./cmd/benchplot -in results -out ../docs/img
//
// It reads echo.csv, idle.csv, http.csv, churn.csv and burst.csv from the
// -in directory, the last two from its churn subdirectory (where make
// bench-churn writes them) if neither is in -in. Each file holds one row
// per measurement and several rounds of every measurement; every chart
// shows the median over the rounds. A missing file only skips the charts
// drawn from it (with a note on stderr); a malformed file is an error
// naming the file and the line. -only draws one chart.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
)

// sans is the font of every text, for a viewer to substitute Arial or Helvetica.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// errNoData marks a chart with nothing to show: it is skipped, with a note.
var errNoData = errors.New("nothing to plot")

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

// run parses the command line and draws every chart whose input exists,
// printing the path of each file written to stdout and notes to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("benchplot", flag.ContinueOnError)
	flags.SetOutput(stderr)
	in := flags.String("in", "results", "directory holding the benchmark CSV files")
	out := flags.String("out", "../docs/img", "directory the SVG charts are written to")
	only := flags.String("only", "", "draw only this chart, such as bench-churn.svg")
	if err := flags.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	} else if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flags.Args())
	} else if *only != "" && !slices.ContainsFunc(charts, func(c chart) bool { return c.file == *only }) {
		return fmt.Errorf("-only: no chart %q", *only)
	} else if _, err := os.Stat(*in); err != nil {
		return fmt.Errorf("input directory: %w", err)
	} else if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	plot.DefaultFont = sans
	r := &renderer{colors: map[string]int{}, stdout: stdout, stderr: stderr}
	for _, c := range charts {
		if *only != "" && c.file != *only {
			continue
		}
		d, err := r.load(*in, c)
		if err == nil {
			err = r.writeSVG(filepath.Join(*out, c.file), c.build(r, d))
		}
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNoData):
			r.notef("skipping %s: %v", c.file, err)
		case err != nil:
			return fmt.Errorf("%s: %w", c.file, err)
		}
	}
	return nil
}

// load reads the inputs of c into one dataset, from dir or, if none is there, from dir/c.sub. A missing input
// is a note, or the error if all are.
func (r *renderer) load(dir string, c chart) (*dataset, error) {
	d, missing := newDataset(), []error{}
	for _, name := range c.inputs {
		if err := d.load(filepath.Join(dir, name), schemas[name]); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, err)
		} else if err != nil {
			return nil, err
		}
	}
	if len(missing) == len(c.inputs) && c.sub != "" {
		dir, c.sub = filepath.Join(dir, c.sub), ""
		return r.load(dir, c)
	} else if len(missing) == len(c.inputs) {
		return nil, errors.Join(missing...)
	} else if len(d.rounds) == 0 {
		return nil, fmt.Errorf("%s has no data rows: %w", strings.Join(c.inputs, " or "), errNoData)
	} else if len(missing) > 0 {
		r.notef("%s drawn without %v", c.file, errors.Join(missing...))
	}
	return d, nil
}

// schemas gives the columns that charts read from each input file.
var schemas = map[string]schema{
	"echo.csv": {category: []string{"scenario"}, metrics: []string{"msgs_per_s", "p50_us", "p99_us"}},
	"idle.csv": {metrics: []string{"conns", "bytes_per_conn"}},
	"http.csv": {category: []string{"tool", "scenario"}, metrics: []string{"requests_per_s"}},
	"churn.csv": {category: []string{"scenario"}, metrics: []string{"conns", "conns_per_s", "server_cpu_s"},
		derive: func(v map[string]float64) { v["cpu_us_per_conn"] = v["server_cpu_s"] * 1e6 / v["conns"] }},
	"burst.csv": {category: []string{"conns"}, prefix: "burst-", metrics: []string{"echoed", "open_s", "server_cpu_s"},
		derive: func(v map[string]float64) { // rate: of opening the connections
			v["cpu_us_per_conn"], v["conns_per_s"] = v["server_cpu_s"]*1e6/v["echoed"], v["echoed"]/v["open_s"]
		}},
}

// chart is an output file, its inputs, the subdirectory of -in they may be
// in instead, and what it shows.
type chart struct {
	file, sub string
	inputs    []string
	build     func(r *renderer, d *dataset) chartSpec
}

var charts = []chart{
	{file: "bench-throughput.svg", inputs: []string{"echo.csv"}, build: (*renderer).relativeThroughput},
	{file: "bench-throughput-abs.svg", inputs: []string{"echo.csv"}, build: (*renderer).absoluteThroughput},
	{file: "bench-latency.svg", inputs: []string{"echo.csv"}, build: (*renderer).latency},
	{file: "bench-memory.svg", inputs: []string{"idle.csv"}, build: (*renderer).memory},
	{file: "bench-http.svg", inputs: []string{"http.csv"}, build: (*renderer).http},
	{file: "bench-churn.svg", inputs: []string{"churn.csv", "burst.csv"}, sub: "churn", build: (*renderer).churn},
}

// renderer draws charts, each implementation in one colour, and notes problems.
type renderer struct {
	colors         map[string]int // implementation → index in the palette
	stdout, stderr io.Writer
}

// notef prints a note about a skipped chart or incomplete data to stderr, on one line.
func (r *renderer) notef(format string, args ...any) {
	fmt.Fprintln(r.stderr, "benchplot:", strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", "; "))
}
