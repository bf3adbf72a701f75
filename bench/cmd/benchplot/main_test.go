package main

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// allCharts are the files run writes from complete inputs.
var allCharts = []string{
	"bench-throughput.svg",
	"bench-throughput-abs.svg",
	"bench-latency.svg",
	"bench-memory.svg",
	"bench-http.svg",
	"bench-churn.svg",
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

// svgTexts checks that path holds an SVG document and returns the text of
// its text elements, in order.
func svgTexts(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, []byte("<?xml")), "%s starts with %q", path, data[:min(len(data), 20)])
	require.Contains(t, string(data), "</svg>")
	var texts []string
	for _, m := range regexp.MustCompile(`>([^<>]*)</text>`).FindAllSubmatch(data, -1) {
		texts = append(texts, string(m[1]))
	}
	return texts
}

// loadFile reads the file at path with the schema of name into a new dataset.
func loadFile(path, name string) (*dataset, error) {
	d := newDataset()
	return d, d.load(path, schemas[name])
}

// testRenderer returns a renderer whose notes go to stderr.
func testRenderer(stderr io.Writer) *renderer {
	return &renderer{colors: map[string]int{}, stdout: io.Discard, stderr: stderr}
}

func TestMedian(t *testing.T) {
	cases := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "one value", in: []float64{7}, want: 7},
		{name: "odd count, unsorted", in: []float64{3, 1, 2}, want: 2},
		{name: "even count is the mean of the middle two", in: []float64{4, 1, 3, 2}, want: 2.5},
		{name: "two values", in: []float64{20000, 30000}, want: 25000},
		{name: "duplicates", in: []float64{5, 5, 1, 9}, want: 5},
		{name: "five rounds", in: []float64{2493, 2190, 3010, 1200, 2500}, want: 2493},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append([]float64(nil), c.in...)
			require.InDelta(t, c.want, median(in), 1e-9)
			require.Equal(t, c.in, in, "median must not reorder its input")
		})
	}
	require.True(t, math.IsNaN(median(nil)), "no values: NaN")
}

func TestLoadEchoMediansOverRounds(t *testing.T) {
	d, err := loadFile(filepath.Join("testdata", "echo.csv"), "echo.csv")
	require.NoError(t, err)

	require.Len(t, d.rounds, 2)
	require.Equal(t, []string{"1c-pingpong-64B", "100c-64B-d16"}, d.categories)
	// asyncnet comes first in the file, but gnet is always first.
	require.Equal(t, []string{"gnet", "asyncnet", "stdlib"}, d.impls)

	// Two rounds each: the median is the mean of both.
	require.Equal(t, [][]float64{
		{25000, 1100000}, // gnet
		{32500, 990000},  // asyncnet
		{12500, 550000},  // stdlib
	}, d.matrix("msgs_per_s", "", median))
	require.InDelta(t, 32, d.matrix("p50_us", "", median)[1][0], 1e-9)
	require.InDelta(t, 9400, d.matrix("p99_us", "", median)[2][1], 1e-9)
}

func TestRelativeUsesGnetOfTheSameScenario(t *testing.T) {
	d, err := loadFile(filepath.Join("testdata", "echo.csv"), "echo.csv")
	require.NoError(t, err)

	s := testRenderer(io.Discard).relativeThroughput(d)
	want := [][]float64{
		{1, 1},     // gnet
		{1.3, 0.9}, // asyncnet: 32500/25000 and 990000/1100000
		{0.5, 0.5}, // stdlib: 12500/25000 and 550000/1100000
	}
	for i := range want {
		for j := range want[i] {
			require.InDelta(t, want[i][j], s.values[i][j], 1e-12, "impl %d, scenario %d", i, j)
		}
	}
	require.False(t, s.logY)
	require.Equal(t, 1.0, s.refLine)
}

func TestRelativeWithoutReference(t *testing.T) {
	path := writeFile(t, t.TempDir(), "echo.csv", "round,scenario,impl,msgs_per_s,p50_us,p99_us\n"+
		"1,a,gnet,100,1,2\n1,a,asyncnet,150,1,2\n"+
		"1,b,asyncnet,80,1,2\n"+ // no gnet in b
		"1,c,gnet,0,1,2\n1,c,asyncnet,10,1,2\n") // gnet at zero in c
	d, err := loadFile(path, "echo.csv")
	require.NoError(t, err)

	var notes bytes.Buffer
	s := testRenderer(&notes).relativeThroughput(d)
	require.InDelta(t, 1.5, s.values[1][0], 1e-12)
	for i := range s.values {
		require.True(t, math.IsNaN(s.values[i][1]))
		require.True(t, math.IsNaN(s.values[i][2]))
	}
	require.Contains(t, notes.String(), "scenario(s) b, c")
}

func TestRunWritesEverySVG(t *testing.T) {
	out := filepath.Join(t.TempDir(), "img") // run creates it
	stdout, stderr, err := runBenchplot(t, "-in", "testdata", "-out", out)
	require.NoError(t, err)
	require.Empty(t, stderr)

	for _, name := range allCharts {
		path := filepath.Join(out, name)
		require.NotEmpty(t, svgTexts(t, path))
		require.Contains(t, stdout, path+"\n", "run prints each file it writes")
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, len(allCharts))
}

func TestRunChartContent(t *testing.T) {
	out := t.TempDir()
	_, _, err := runBenchplot(t, "-in", "testdata", "-out", out)
	require.NoError(t, err)
	texts := func(name string) []string { return svgTexts(t, filepath.Join(out, name)) }

	echoes := []string{"gnet", "asyncnet", "stdlib", "1c-pingpong-64B", "100c-64B-d16"}
	rel := texts("bench-throughput.svg")
	require.Subset(t, rel, append(echoes, "Echo throughput relative to raw gnet (median of 2 rounds)", "gnet = 1.0"))
	require.Subset(t, rel, []string{"1.30", "0.90", "0.50"}, "bars are labelled with their ratio")

	abs := texts("bench-throughput-abs.svg")
	require.Subset(t, abs, append(echoes, "messages per second (log scale)", "32.5k", "1.1M"))
	require.Contains(t, abs, "1M", "log ticks are labelled with SI suffixes")

	latency := texts("bench-latency.svg")
	require.Subset(t, latency, append(echoes, "round-trip latency (µs) (log scale)"))
	require.Contains(t, latency, "Echo p50 (point) and p99 (whisker) round-trip latency (median of 2 rounds)")

	memory := texts("bench-memory.svg")
	require.Subset(t, memory, []string{"gnet", "asyncnet", "stdlib", "2068 B", "8448 B"}, "medians of 2 rounds")
	require.Contains(t, memory, "Server memory per idle connection with 10000 connections (median of 2 rounds)")

	http := texts("bench-http.svg")
	require.Subset(t, http, []string{"gnet", "asyncnet", "stdlib", "wrk/", "plaintext", "redis-benchmark/", "ping_inline"})
	require.Contains(t, http, "Request throughput with wrk and redis-benchmark (median of 2 rounds)")
}

func TestFitTurnsLabelsUprightWhenBarsAreNarrow(t *testing.T) {
	canvas := draw.New(vgsvg.New(figWidth, figHeight))
	for _, c := range []struct {
		name    string
		series  int
		upright bool
	}{
		{name: "two series", series: 2, upright: false},
		{name: "thirty series", series: 30, upright: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := chartSpec{categories: []string{"a", "b"}, label: si(3)}
			for i := range c.series {
				s.series = append(s.series, string(rune('p'+i)))
				s.values = append(s.values, []float64{123456, 654321})
			}
			f, err := testRenderer(io.Discard).newFigure(s)
			require.NoError(t, err)
			f.fit(canvas)
			require.Len(t, f.bars, 2*c.series)
			require.Greater(t, f.bars[0].Width, f.bars[0].LineStyle.Width)
			require.Len(t, f.labels, c.series)
			require.Equal(t, c.upright, f.labels[0].TextStyle[0].Rotation != 0)
		})
	}
}

func TestNewFigureWithNothingToShow(t *testing.T) {
	s := chartSpec{categories: []string{"a"}, series: []string{"gnet"}, values: [][]float64{{0}}, logY: true}
	_, err := testRenderer(io.Discard).newFigure(s)
	require.ErrorIs(t, err, errNoData, "a log scale cannot show zero")
}

func TestRunSkipsMissingFiles(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	copyFixture(t, in, "echo.csv")

	stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out)
	require.NoError(t, err, "a missing input is not an error")

	for _, name := range []string{"bench-throughput.svg", "bench-throughput-abs.svg", "bench-latency.svg"} {
		svgTexts(t, filepath.Join(out, name))
		require.Contains(t, stdout, name)
	}
	for _, name := range []string{"bench-memory.svg", "bench-http.svg", "bench-churn.svg"} {
		require.NoFileExists(t, filepath.Join(out, name))
		require.NotContains(t, stdout, name)
		require.Contains(t, stderr, name, "the skipped chart is named on stderr")
	}
	require.Contains(t, stderr, "idle.csv")
	require.Contains(t, stderr, "http.csv")
	require.Contains(t, stderr, filepath.Join(in, "churn", "churn.csv"), "not in -in, so looked for in -in/churn")
	require.Contains(t, stderr, filepath.Join(in, "churn", "burst.csv"))
}

func TestRunMalformedFileNamesFileAndLine(t *testing.T) {
	_, _, err := runBenchplot(t, "-in", filepath.Join("testdata", "malformed"), "-out", t.TempDir())
	require.Error(t, err)
	require.Contains(t, err.Error(), filepath.Join("testdata", "malformed", "echo.csv")+":4:")
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
		{name: "missing column", content: "round,scenario,impl,msgs_per_s,p50_us\n1,s,gnet,1,2\n", want: []string{":1:", `"p99_us"`}},
		{name: "wrong field count", content: header + "1,s,gnet,1,2,3\n1,s,gnet,1,2\n", want: []string{"line 3"}},
		{name: "bad round", content: header + "1,s,gnet,1,2,3\none,s,gnet,1,2,3\n", want: []string{":3:", `"round"`}},
		{name: "empty impl", content: header + "1,s,,1,2,3\n", want: []string{":2:", `"impl"`}},
		{name: "empty scenario", content: header + "1,,gnet,1,2,3\n", want: []string{":2:", `"scenario"`}},
		{name: "not finite", content: header + "1,s,gnet,NaN,2,3\n", want: []string{":2:", `"msgs_per_s"`}},
		{name: "empty file", content: "", want: []string{"header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "echo.csv", c.content)
			_, err := loadFile(path, "echo.csv")
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
	d, err := loadFile(path, "echo.csv")
	require.NoError(t, err)
	require.Equal(t, [][]float64{{200}}, d.matrix("msgs_per_s", "", median))
	require.Equal(t, [][]float64{{30}}, d.matrix("p50_us", "", median))
	require.Equal(t, [][]float64{{85}}, d.matrix("p99_us", "", median))
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
	svgTexts(t, filepath.Join(out, "bench-throughput-abs.svg"))
	require.NotContains(t, stdout, "bench-throughput.svg")
	require.NotContains(t, stdout, "bench-latency.svg")
	require.Contains(t, stderr, "no gnet rows")
	require.Contains(t, stderr, "skipping bench-throughput.svg")
	require.Contains(t, stderr, "skipping bench-latency.svg")
}

func TestRunArguments(t *testing.T) {
	_, _, err := runBenchplot(t, "-in", filepath.Join(t.TempDir(), "nope"), "-out", t.TempDir())
	require.ErrorContains(t, err, "input directory")

	_, _, err = runBenchplot(t, "-in", "testdata", "-out", t.TempDir(), "extra")
	require.ErrorContains(t, err, "unexpected arguments")

	_, _, err = runBenchplot(t, "-bogus")
	require.Error(t, err)

	_, _, err = runBenchplot(t, "-h")
	require.NoError(t, err)
}

func TestFormats(t *testing.T) {
	cases := []struct {
		name   string
		format func(float64) string
		in     float64
		want   string
	}{
		{name: "tick in thousands", format: si(6), in: 250000, want: "250k"},
		{name: "tick in millions", format: si(6), in: 1.5e6, want: "1.5M"},
		{name: "tick below a thousand", format: si(6), in: 100, want: "100"},
		{name: "label, three digits", format: si(3), in: 987654, want: "988k"},
		{name: "label in millions", format: si(3), in: 1234567, want: "1.23M"},
		{name: "bytes", format: bytesLabel, in: 462, want: "462 B"},
		{name: "kibibytes", format: bytesLabel, in: 11679, want: "11.4 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, c.format(c.in))
		})
	}
}

func TestColorsAreConsistent(t *testing.T) {
	r := testRenderer(io.Discard)
	asyncnet, stdlib := r.color("asyncnet"), r.color("stdlib")
	require.NotEqual(t, asyncnet, stdlib)
	require.NotEqual(t, asyncnet, r.color(refImpl))
	require.Equal(t, asyncnet, r.color("asyncnet"), "the same colour in every chart")
}

// churnDataset loads the churn and burst fixtures.
func churnDataset(t *testing.T) *dataset {
	t.Helper()
	d := newDataset()
	for _, name := range []string{"churn.csv", "burst.csv"} {
		require.NoError(t, d.load(filepath.Join("testdata", "churn", name), schemas[name]))
	}
	return d
}

func TestChurnSpec(t *testing.T) {
	d := churnDataset(t)
	require.Equal(t, []string{"gnet", "asyncnet", "stdlib"}, d.impls)
	require.Equal(t, []string{"churn-8c-fin", "churn-64c-rst", "burst-1000"}, d.categories)

	s := testRenderer(io.Discard).churn(d)
	require.False(t, s.logY, "bars")
	// Server CPU µs per connection: server_cpu_s / conns (churn) or / echoed (burst).
	want := map[string][3][]float64{ // median, min, max for gnet, asyncnet, stdlib
		"churn-8c-fin":  {{30, 55, 45}, {30, 50, 40}, {30, 60, 50}},
		"churn-64c-rst": {{25, 35, 40}, {25, 35, 40}, {25, 35, 40}},
		"burst-1000":    {{30, 60, 45}, {30, 60, 45}, {30, 60, 45}},
	}
	for j, category := range d.categories {
		for i := range d.impls {
			require.InDelta(t, want[category][0][i], s.values[i][j], 1e-9, "median, %s %s", d.impls[i], category)
			require.InDelta(t, want[category][1][i], s.lows[i][j], 1e-9, "min, %s %s", d.impls[i], category)
			require.InDelta(t, want[category][2][i], s.highs[i][j], 1e-9, "max, %s %s", d.impls[i], category)
		}
	}

	require.NotNil(t, s.below, "a second panel")
	rel := *s.below
	require.Equal(t, 1.0, rel.refLine)
	// Paired per round: stdlib in churn-8c-fin is 0.5 of gnet in round 1 and
	// 0.8 in round 2, so 0.65, where the ratio of the medians would be 0.667.
	// The burst's rate is echoed / open_s.
	ratios := [][]float64{{1, 1, 1}, {0.75, 1.05, 0.5}, {0.65, 0.775, 0.625}}
	for i := range ratios {
		for j := range ratios[i] {
			require.InDelta(t, ratios[i][j], rel.values[i][j], 1e-9, "%s %s", d.impls[i], d.categories[j])
		}
	}
}

func TestChurnWithoutReference(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "churn.csv", "round,scenario,impl,conns,conns_per_s,server_cpu_s\n1,s,asyncnet,100,50,0.01\n")
	out := t.TempDir()
	stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out, "-only", "bench-churn.svg")
	require.NoError(t, err)
	require.Contains(t, stdout, "bench-churn.svg", "the CPU panel is still drawn")
	require.Contains(t, stderr, "no gnet rows in the churn results")
	require.NotContains(t, svgTexts(t, filepath.Join(out, "bench-churn.svg")), "gnet = 1.0")
}

func TestRunChurnChart(t *testing.T) {
	out := t.TempDir()
	_, _, err := runBenchplot(t, "-in", "testdata", "-out", out)
	require.NoError(t, err)

	texts := svgTexts(t, filepath.Join(out, "bench-churn.svg"))
	require.Subset(t, texts, []string{
		"Server CPU per connection, lower is better (median of 2 rounds)",
		"Connections per second relative to raw gnet, paired per round (median of 2 rounds)",
		"gnet", "asyncnet", "stdlib", "churn-8c-fin", "churn-64c-rst", "burst-1000", "gnet = 1.0",
		"0.75", "0.65", "1.05", "0.50",
	})
	var servers int
	for _, text := range texts {
		if text == "asyncnet" {
			servers++
		}
	}
	require.Equal(t, 2, servers, "each panel has a legend")
	svg, err := os.ReadFile(filepath.Join(out, "bench-churn.svg"))
	require.NoError(t, err)
	require.Contains(t, string(svg), `height="486pt"`, "two panels of 3.375 in, taller than one of 4.5 in")
}

func TestRunChurnInputs(t *testing.T) {
	churn, err := os.ReadFile(filepath.Join("testdata", "churn", "churn.csv"))
	require.NoError(t, err)
	burst, err := os.ReadFile(filepath.Join("testdata", "churn", "burst.csv"))
	require.NoError(t, err)

	t.Run("in the input directory", func(t *testing.T) {
		in, out := t.TempDir(), t.TempDir()
		writeFile(t, in, "churn.csv", string(churn))
		writeFile(t, in, "burst.csv", string(burst))
		stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out, "-only", "bench-churn.svg")
		require.NoError(t, err)
		require.Empty(t, stderr)
		require.Equal(t, filepath.Join(out, "bench-churn.svg")+"\n", stdout)
		require.Contains(t, svgTexts(t, filepath.Join(out, "bench-churn.svg")), "burst-1000")
	})
	t.Run("the input directory before churn/", func(t *testing.T) {
		in, out := t.TempDir(), t.TempDir()
		writeFile(t, in, "churn.csv", string(churn))
		require.NoError(t, os.Mkdir(filepath.Join(in, "churn"), 0o755))
		writeFile(t, filepath.Join(in, "churn"), "churn.csv", "not read")
		writeFile(t, filepath.Join(in, "churn"), "burst.csv", "not read")
		_, stderr, err := runBenchplot(t, "-in", in, "-out", out, "-only", "bench-churn.svg")
		require.NoError(t, err, "both files come from the same directory, -in")
		require.Contains(t, stderr, "bench-churn.svg drawn without")
		require.Contains(t, stderr, filepath.Join(in, "burst.csv"))
		texts := svgTexts(t, filepath.Join(out, "bench-churn.svg"))
		require.Contains(t, texts, "churn-8c-fin")
		require.NotContains(t, texts, "burst-1000")
	})
	t.Run("absent", func(t *testing.T) {
		in, out := t.TempDir(), t.TempDir()
		stdout, stderr, err := runBenchplot(t, "-in", in, "-out", out, "-only", "bench-churn.svg")
		require.NoError(t, err)
		require.Empty(t, stdout)
		require.Contains(t, stderr, "skipping bench-churn.svg")
		require.Equal(t, 1, bytes.Count([]byte(stderr), []byte("\n")), "one note: %q", stderr)
		require.NoFileExists(t, filepath.Join(out, "bench-churn.svg"))
	})
}

func TestRunOnly(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, err := runBenchplot(t, "-in", "testdata", "-out", out, "-only", "bench-memory.svg")
	require.NoError(t, err)
	require.Empty(t, stderr)
	require.Equal(t, filepath.Join(out, "bench-memory.svg")+"\n", stdout)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	_, _, err = runBenchplot(t, "-in", "testdata", "-out", out, "-only", "bench-nope.svg")
	require.ErrorContains(t, err, `-only: no chart "bench-nope.svg"`)
}

func TestLoadSecondRowForARound(t *testing.T) {
	path := writeFile(t, t.TempDir(), "echo.csv", "round,scenario,impl,msgs_per_s,p50_us,p99_us\n"+
		"1,s,gnet,1,2,3\n1,s,asyncnet,1,2,3\n1,s,gnet,4,5,6\n")
	_, err := loadFile(path, "echo.csv")
	require.ErrorContains(t, err, path+":4: a second row for round 1 of gnet s")
}

func TestLoadLeavesOutDerivedValuesThatAreNotFinite(t *testing.T) {
	path := writeFile(t, t.TempDir(), "burst.csv", "round,impl,conns,echoed,open_s,server_cpu_s\n"+
		"1,gnet,100,0,0.5,0.01\n2,gnet,100,100,0.5,0.01\n")
	d, err := loadFile(path, "burst.csv")
	require.NoError(t, err)
	require.Equal(t, [][]float64{{100}}, d.matrix("cpu_us_per_conn", "", median), "round 1 echoed nothing")
	require.Equal(t, [][]float64{{0}}, d.matrix("conns_per_s", "", floats.Min))
}
