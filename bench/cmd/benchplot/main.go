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
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

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
	plot.DefaultFont = sans
	r := &renderer{colors: map[string]int{}, stdout: stdout, stderr: stderr}
	for _, c := range charts {
		path := filepath.Join(*in, c.input)
		d, err := loadDataset(path, schemas[c.input])
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

// schemas gives the columns that charts read from each input file.
var schemas = map[string]schema{
	"echo.csv": {category: []string{"scenario"}, metrics: []string{"msgs_per_s", "p50_us", "p99_us"}},
	"idle.csv": {metrics: []string{"conns", "bytes_per_conn"}},
	"http.csv": {category: []string{"tool", "scenario"}, metrics: []string{"requests_per_s"}},
}

// charts lists every output file, its input file and what it shows.
var charts = []struct {
	file, input string
	build       func(r *renderer, d *dataset) chartSpec
}{
	{file: "bench-throughput.svg", input: "echo.csv", build: (*renderer).relativeThroughput},
	{file: "bench-throughput-abs.svg", input: "echo.csv", build: (*renderer).absoluteThroughput},
	{file: "bench-latency.svg", input: "echo.csv", build: (*renderer).latency},
	{file: "bench-memory.svg", input: "idle.csv", build: (*renderer).memory},
	{file: "bench-http.svg", input: "http.csv", build: (*renderer).http},
}

// renderer draws charts, each implementation in one colour, and notes problems.
type renderer struct {
	colors         map[string]int // implementation → index in the palette
	stdout, stderr io.Writer
}

// notef prints a note about a skipped chart or incomplete data to stderr.
func (r *renderer) notef(format string, args ...any) {
	fmt.Fprintf(r.stderr, "benchplot: "+format+"\n", args...)
}
