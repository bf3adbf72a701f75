package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// echoSchema is the schema of echo.csv, as used by run.
var echoSchema = sources[0].schema

// allCharts are the files run writes from complete inputs.
var allCharts = []string{
	"bench-throughput.svg",
	"bench-throughput-abs.svg",
	"bench-latency.svg",
	"bench-memory.svg",
	"bench-http.svg",
}

// runBenchplot runs the command with args and returns its stdout, stderr
// and error.
func runBenchplot(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// copyFixture copies testdata/name into dir.
func copyFixture(t *testing.T, dir, name string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	writeFile(t, dir, name, string(data))
}

// requireSVG checks that path holds a non-empty SVG document.
func requireSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotEmpty(t, data)
	require.True(t, bytes.HasPrefix(data, []byte("<?xml")) || bytes.HasPrefix(data, []byte("<svg")),
		"%s starts with %q", path, data[:min(len(data), 20)])
	require.Contains(t, string(data), "</svg>")
}

func TestMedian(t *testing.T) {
	cases := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one value", []float64{7}, 7},
		{"odd count, unsorted", []float64{3, 1, 2}, 2},
		{"even count is the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"two values", []float64{20000, 30000}, 25000},
		{"duplicates", []float64{5, 5, 1, 9}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append([]float64(nil), c.in...)
			require.InDelta(t, c.want, median(in), 1e-12)
			require.Equal(t, c.in, in, "median must not reorder its input")
		})
	}
	require.True(t, math.IsNaN(median(nil)), "no values: NaN")
}

func TestLoadEchoMediansOverRounds(t *testing.T) {
	d, err := loadDataset(filepath.Join("testdata", "echo.csv"), echoSchema)
	require.NoError(t, err)

	require.Len(t, d.rounds, 2)
	require.Equal(t, []string{"1c-pingpong-64B", "100c-64B-d16"}, d.categories)
	// asyncnet comes first in the file, but gnet is always first.
	require.Equal(t, []string{"gnet", "asyncnet", "stdlib"}, d.implOrder())

	// Two rounds each: the median is the mean of both.
	require.InDelta(t, 25000, d.median("msgs_per_s", "gnet", "1c-pingpong-64B"), 1e-9)
	require.InDelta(t, 1100000, d.median("msgs_per_s", "gnet", "100c-64B-d16"), 1e-9)
	require.InDelta(t, 32, d.median("p50_us", "asyncnet", "1c-pingpong-64B"), 1e-9)
	require.InDelta(t, 9400, d.median("p99_us", "stdlib", "100c-64B-d16"), 1e-9)
	require.True(t, math.IsNaN(d.median("msgs_per_s", "nbio", "1c-pingpong-64B")))

	m := d.matrix("msgs_per_s")
	require.Equal(t, [][]float64{
		{25000, 1100000}, // gnet
		{32500, 990000},  // asyncnet
		{12500, 550000},  // stdlib
	}, m)
}

func TestRelativeUsesGnetOfTheSameScenario(t *testing.T) {
	d, err := loadDataset(filepath.Join("testdata", "echo.csv"), echoSchema)
	require.NoError(t, err)

	rel, missing := relative(d.matrix("msgs_per_s"), 0, d.categories)
	require.Empty(t, missing)
	want := [][]float64{
		{1, 1},     // gnet
		{1.3, 0.9}, // asyncnet: 32500/25000 and 990000/1100000
		{0.5, 0.5}, // stdlib: 12500/25000 and 550000/1100000
	}
	for i := range want {
		for j := range want[i] {
			require.InDelta(t, want[i][j], rel[i][j], 1e-12, "impl %d, scenario %d", i, j)
		}
	}
}

func TestRelativeWithoutReference(t *testing.T) {
	m := [][]float64{
		{100, math.NaN(), 0}, // reference: missing in b, zero in c
		{150, 80, 10},
	}
	rel, missing := relative(m, 0, []string{"a", "b", "c"})
	require.Equal(t, []string{"b", "c"}, missing)
	require.InDelta(t, 1.5, rel[1][0], 1e-12)
	for i := range rel {
		require.True(t, math.IsNaN(rel[i][1]))
		require.True(t, math.IsNaN(rel[i][2]))
	}
}

func TestRunWritesEverySVG(t *testing.T) {
	out := filepath.Join(t.TempDir(), "img") // run creates it
	stdout, stderr, err := runBenchplot(t, "-in", "testdata", "-out", out)
	require.NoError(t, err)
	require.Empty(t, stderr)

	for _, name := range allCharts {
		path := filepath.Join(out, name)
		requireSVG(t, path)
		require.Contains(t, stdout, path+"\n", "run prints each file it writes")
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, len(allCharts))
}

func TestRunTitlesAndLabels(t *testing.T) {
	out := t.TempDir()
	_, _, err := runBenchplot(t, "-in", "testdata", "-out", out)
	require.NoError(t, err)

	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		return string(data)
	}
	rel := read("bench-throughput.svg")
	require.Contains(t, rel, "Echo throughput relative to raw gnet (median of 2 rounds)")
	require.Contains(t, rel, ">1.30<", "bars are labelled with their ratio")
	require.Contains(t, rel, ">0.90<")
	require.Contains(t, read("bench-memory.svg"), "Server memory per idle connection (10000 connections")
	require.Contains(t, read("bench-latency.svg"), "p50 (bar) and p99 (whisker)")
	http := read("bench-http.svg")
	require.Contains(t, http, "wrk/plaintext")
	require.Contains(t, http, "redis-benchmark/")
}

func TestRunSkipsMissingFiles(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	copyFixture(t, in, "echo.csv")

	stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out)
	require.NoError(t, err, "a missing input is not an error")

	for _, name := range []string{"bench-throughput.svg", "bench-throughput-abs.svg", "bench-latency.svg"} {
		requireSVG(t, filepath.Join(out, name))
		require.Contains(t, stdout, name)
	}
	for _, name := range []string{"bench-memory.svg", "bench-http.svg"} {
		require.NoFileExists(t, filepath.Join(out, name))
		require.NotContains(t, stdout, name)
		require.Contains(t, stderr, name, "the skipped chart is named on stderr")
	}
	require.Contains(t, stderr, "idle.csv")
	require.Contains(t, stderr, "http.csv")
}

func TestRunMalformedFileNamesFileAndLine(t *testing.T) {
	_, _, err := runBenchplot(t, "-in", filepath.Join("testdata", "malformed"), "-out", t.TempDir())
	require.Error(t, err)
	require.Contains(t, err.Error(), filepath.Join("testdata", "malformed", "echo.csv")+":4")
	require.Contains(t, err.Error(), "msgs_per_s")
	require.Contains(t, err.Error(), `"fast"`)
}

func TestLoadErrors(t *testing.T) {
	const header = "round,scenario,impl,msgs_per_s,p50_us,p99_us\n"
	cases := []struct {
		name    string
		content string
		want    []string // substrings of the error, besides the file name
	}{
		{"missing column", "round,scenario,impl,msgs_per_s,p50_us\n1,s,gnet,1,2\n", []string{`"p99_us"`}},
		{"wrong field count", header + "1,s,gnet,1,2,3\n1,s,gnet,1,2\n", []string{"line 3"}},
		{"bad round", header + "1,s,gnet,1,2,3\none,s,gnet,1,2,3\n", []string{":3:", `"round"`}},
		{"empty impl", header + "1,s,,1,2,3\n", []string{":2:", `"impl"`}},
		{"not finite", header + "1,s,gnet,NaN,2,3\n", []string{":2:", `"msgs_per_s"`}},
		{"duplicate column", "round,round,scenario,impl,msgs_per_s,p50_us,p99_us\n", []string{`"round"`}},
		{"empty file", "", []string{"header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "echo.csv", c.content)
			_, err := loadDataset(path, echoSchema)
			require.Error(t, err)
			require.Contains(t, err.Error(), path)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadToleratesExtraAndReorderedColumns(t *testing.T) {
	path := writeFile(t, t.TempDir(), "echo.csv",
		"note,p99_us,impl,msgs_per_s,scenario,p50_us,round\n"+
			"x,90,gnet,100,s1,40,1\n"+
			"y,80,gnet,300,s1,20,2\n")
	d, err := loadDataset(path, echoSchema)
	require.NoError(t, err)
	require.InDelta(t, 200, d.median("msgs_per_s", "gnet", "s1"), 1e-12)
	require.InDelta(t, 30, d.median("p50_us", "gnet", "s1"), 1e-12)
	require.InDelta(t, 85, d.median("p99_us", "gnet", "s1"), 1e-12)
}

func TestRunSkipsHeaderOnlyFile(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFile(t, in, "idle.csv", "round,impl,conns,rss_before_kib,rss_after_kib,bytes_per_conn\n")

	stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out)
	require.NoError(t, err)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "no data rows")
	require.NoFileExists(t, filepath.Join(out, "bench-memory.svg"))
}

func TestRunSkipsChartsWithNothingToShow(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	// No gnet rows, and latencies of zero, which a log scale cannot show.
	writeFile(t, in, "echo.csv", "round,scenario,impl,msgs_per_s,p50_us,p99_us\n"+
		"1,s1,asyncnet,1000,0,0\n"+
		"1,s2,stdlib,2000,0,0\n")

	stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out)
	require.NoError(t, err)
	requireSVG(t, filepath.Join(out, "bench-throughput-abs.svg"))
	require.NotContains(t, stdout, "bench-throughput.svg")
	require.NotContains(t, stdout, "bench-latency.svg")
	require.Contains(t, stderr, "bench-throughput.svg")
	require.Contains(t, stderr, "bench-latency.svg")
}

func TestRunArguments(t *testing.T) {
	_, _, err := runBenchplot(t, "-in", filepath.Join(t.TempDir(), "nope"), "-out", t.TempDir())
	require.ErrorContains(t, err, "input directory")

	_, _, err = runBenchplot(t, "-in", "testdata", "-out", t.TempDir(), "extra")
	require.ErrorContains(t, err, "unexpected arguments")

	_, _, err = runBenchplot(t, "-bogus")
	require.Error(t, err)
}

func TestLinearTicksHaveCleanLabels(t *testing.T) {
	ticks := linearTicks{format: plainFormat}.Ticks(0, 1.3)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	require.Equal(t, []string{"0", "0.25", "0.5", "0.75", "1", "1.25"}, labels)
}

func TestLogTicksLabelPowersOfTen(t *testing.T) {
	var labels []string
	for _, tk := range (logTicks{format: siFormat}).Ticks(1e3, 2e6) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	require.Equal(t, []string{"1k", "10k", "100k", "1M", "10M"}, labels)
	require.Nil(t, logTicks{format: siFormat}.Ticks(0, 10), "no ticks, rather than a panic, for a non-positive range")
}

func TestWrapLabel(t *testing.T) {
	sty := textStyle(10)
	require.Equal(t, "wrk/plaintext", wrapLabel("wrk/plaintext", sty, 1000))
	require.Equal(t, "redis-benchmark/\nping_inline", wrapLabel("redis-benchmark/ping_inline", sty, 10))
	require.Equal(t, "1000c-\n1KiB-d1", wrapLabel("1000c-1KiB-d1", sty, 10))
	require.Equal(t, "plaintext", wrapLabel("plaintext", sty, 10))
}

func TestPaletteIsConsistent(t *testing.T) {
	p := newPalette()
	require.Equal(t, knownColors["asyncnet"], p.color("asyncnet"))
	first := p.color("mystery")
	require.NotEqual(t, first, p.color("other"))
	require.Equal(t, first, p.color("mystery"))
	require.NotEqual(t, p.color("gnet"), p.color("asyncnet"))
}
