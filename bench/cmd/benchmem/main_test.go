package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary be a server process too: the smoke test
// runs the driver, which starts this binary again with a case in caseEnv.
func TestMain(m *testing.M) {
	if spec := os.Getenv(caseEnv); spec != "" {
		os.Exit(serveMain(spec))
	}
	os.Exit(m.Run())
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  string
	}{
		{in: "1048576", want: 1 << 20},
		{in: "1MiB", want: 1 << 20},
		{in: "64 mib", want: 64 << 20},
		{in: "256KiB", want: 256 << 10},
		{in: "1.5KiB", want: 1536},
		{in: "2GiB", want: 2 << 30},
		{in: "4MB", want: 4_000_000},
		{in: "10B", want: 10},
		{in: "", err: "not a number"},
		{in: "MiB", err: "not a number"},
		{in: "12 parsecs", err: "not a number"},
		{in: "0", err: "not positive"},
		{in: "-1MiB", err: "not positive"},
		{in: "0.3B", err: "whole number"},
		{in: "1e30GiB", err: "too large"},
	} {
		got, err := parseSize(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			require.True(t, strings.HasPrefix(err.Error(), "benchmem: "), err.Error())
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestFormatCap(t *testing.T) {
	for _, tc := range []struct {
		in   int
		want string
	}{
		{in: 64 << 20, want: "64MiB"},
		{in: 256 << 10, want: "256KiB"},
		{in: 1 << 30, want: "1GiB"},
		{in: 1536, want: "1536B"},
	} {
		require.Equal(t, tc.want, formatCap(tc.in))
		back, err := parseSize(tc.want)
		require.NoError(t, err)
		require.Equal(t, tc.in, back, "formatCap's output parses back")
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-cap", "1MiB", "-n", "7", "-scenarios", "write-cap, read-cap-paused", "-csv"})
	require.NoError(t, err)
	require.Equal(t, 1<<20, o.cap)
	require.Equal(t, 7, o.n)
	require.Equal(t, []string{writeCap, readCapPaused}, o.scenarios)
	require.Equal(t, formatCSV, o.format)
	require.Equal(t, defaultRounds, o.rounds)
	o, err = parseFlags([]string{"-smoke"})
	require.NoError(t, err)
	require.Equal(t, 1, o.rounds, "-smoke runs each case once")
	require.Equal(t, formatTable, o.format)

	_, err = parseFlags([]string{"-json", "-csv"})
	require.ErrorContains(t, err, "exclude each other")
	_, err = parseFlags([]string{"-cap", "lots"})
	require.ErrorContains(t, err, "benchmem: size")
	_, err = parseFlags([]string{"-rounds", "-1"})
	require.Error(t, err)
}

func TestPickCases(t *testing.T) {
	cases, err := pickCases(options{scenarios: scenarios})
	require.NoError(t, err)
	require.Equal(t, defaultCases[0].N, cases[0].N)
	require.Len(t, cases, len(defaultCases))
	require.Equal(t, defaultFlood, cases[len(cases)-1].Flood)

	// -n and -cap replace every case's own; the two write-cap cases become one.
	cases, err = pickCases(options{scenarios: []string{writeCap}, n: 3, cap: 2 << 20})
	require.NoError(t, err)
	require.Equal(t, []benchCase{{Scenario: writeCap, N: 3, Cap: 2 << 20, Flood: defaultFlood}}, cases)

	cases, err = pickCases(options{scenarios: []string{readCapStream}, smoke: true})
	require.NoError(t, err)
	require.Equal(t, []benchCase{{Scenario: readCapStream, N: 4, Cap: 256 << 10, Flood: smokeFlood}}, cases)

	_, err = pickCases(options{scenarios: []string{"read-cap"}})
	require.ErrorContains(t, err, `unknown scenario "read-cap"`)
	_, err = pickCases(options{})
	require.ErrorContains(t, err, "no scenario")
}

func TestRowsOf(t *testing.T) {
	const mib = 1 << 20
	base := baseline{Heap: 1 * mib, RSS: 10 * mib}
	events := map[string]int{"tcp-error/read-buffer-full": 4}

	write := result{
		Case: benchCase{Scenario: writeCap, N: 10, Cap: 8 * mib}, Base: base, Settled: true,
		After: settled{Heap: 101 * mib, Heap2: 81 * mib, RSS: 130 * mib, RSSReleased: 90 * mib},
		Out:   78 * mib, Open: 10, Events: map[string]int{},
	}
	rows := rowsOf(write, nil)
	require.Len(t, rows, 1)
	r := rows[0]
	require.Equal(t, phaseSettled, r.Phase)
	require.Equal(t, int64(78*mib), r.Reached)
	require.Equal(t, int64(100*mib), r.Heap, "above the baseline")
	require.Equal(t, int64(120*mib), r.RSS, "above the baseline")
	require.InDelta(t, 1.25, r.HeapRatio, 1e-9, "100 MiB ÷ (10 × 8 MiB)")
	require.InDelta(t, 1.5, r.RSSRatio, 1e-9, "120 MiB ÷ (10 × 8 MiB)")
	require.True(t, r.HeapOK, "the targets are inclusive")
	require.True(t, r.RSSOK)
	require.Equal(t, int64(80*mib), r.Heap2GC)
	require.Equal(t, int64(80*mib), r.RSSReleased)
	require.Equal(t, 10, *r.Open)

	write.Settled = false
	write.After.Heap = 102 * mib
	r = rowsOf(write, nil)[0]
	require.Equal(t, phaseNotSettled, r.Phase)
	require.False(t, r.HeapOK)

	flood := &floodStats{Sent: 50 * mib, Cut: 4}
	read := result{
		Case: benchCase{Scenario: readCapStream, N: 4, Cap: 4 * mib}, Base: base,
		Peak:   &peak{Heap: 33 * mib, RSS: 58 * mib, In: 15 * mib},
		After:  settled{Heap: 1 * mib, Heap2: 1 * mib, RSS: 20 * mib, RSSReleased: 11 * mib},
		Events: events,
	}
	rows = rowsOf(read, flood)
	require.Len(t, rows, 2)
	require.Equal(t, phasePeak, rows[0].Phase)
	require.Equal(t, int64(15*mib), rows[0].Reached)
	require.InDelta(t, 2.0, rows[0].HeapRatio, 1e-9, "32 MiB ÷ (4 × 4 MiB)")
	require.InDelta(t, 3.0, rows[0].RSSRatio, 1e-9, "48 MiB ÷ (4 × 4 MiB)")
	require.False(t, rows[0].HeapOK)
	require.Nil(t, rows[0].Open, "a peak has no open count")
	require.Same(t, flood, rows[0].Flood)
	require.Equal(t, phaseAfter, rows[1].Phase)
	require.Zero(t, rows[1].Heap)
	require.True(t, rows[1].HeapOK)
	require.Equal(t, 0, *rows[1].Open)
	require.Equal(t, events, rows[1].Events)

	require.Zero(t, ratio(5, 0), "no division by zero")
}

func TestReportFormats(t *testing.T) {
	open := 3
	rows := []row{
		{Round: 1, Scenario: writeCap, Phase: phaseSettled, N: 3, Cap: 1 << 20, HeapRatio: 2.5, Open: &open, Events: map[string]int{}},
		{Round: 1, Scenario: readCapStream, Phase: phasePeak, N: 3, Cap: 1 << 20, HeapOK: true, RSSOK: true,
			Events: map[string]int{"tcp-error/read-buffer-full": 2, "tcp-reset": 1}, Flood: &floodStats{Sent: 9, Cut: 3}},
	}
	var b bytes.Buffer
	require.NoError(t, writeReport(&b, rows, formatTable))
	table := b.String()
	require.Contains(t, table, "| write-cap | settled | 3 | 1MiB |")
	require.Contains(t, table, "2.50 over")
	require.Contains(t, table, "0.00 ok")
	require.Contains(t, table, "2 tcp-error/read-buffer-full, 1 tcp-reset")
	require.NotContains(t, table, "| round |", "one round: no round column")

	b.Reset()
	require.NoError(t, writeReport(&b, rows, formatCSV))
	recs, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Equal(t, csvHeader, recs[0])
	require.Equal(t, "tcp-error/read-buffer-full=2;tcp-reset=1", recs[2][slices.Index(csvHeader, "events")])

	b.Reset()
	require.NoError(t, writeReport(&b, rows, formatJSON))
	var back []row
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Equal(t, rows, back)

	require.ErrorContains(t, writeReport(&b, rows, "xml"), "unknown output format")
}

// TestSmoke runs every scenario, tiny, through the driver and the server
// processes, and checks that each gives its rows. It checks no figure: they
// are measurements.
func TestSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("benchmem reads /proc/self/status")
	}
	o, err := parseFlags([]string{"-smoke", "-json"})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(o, &out))
	var rows []row
	require.NoError(t, json.Unmarshal(out.Bytes(), &rows))
	var got []string
	for _, r := range rows {
		got = append(got, r.Scenario+" "+r.Phase)
		require.Positive(t, r.BaseRSS, r.Scenario)
		require.Positive(t, r.BaseHeap, r.Scenario)
		require.NotNil(t, r.Events, r.Scenario)
		if r.Scenario != writeCap {
			require.NotNil(t, r.Flood, r.Scenario)
			require.Positive(t, r.Flood.Sent, "the peers flooded")
		}
	}
	require.Equal(t, []string{
		writeCap + " " + phaseSettled,
		readCapStream + " " + phasePeak, readCapStream + " " + phaseAfter,
		readCapPaused + " " + phasePeak, readCapPaused + " " + phaseAfter,
	}, got)
	require.Positive(t, rows[0].Reached, "write-cap's server got bytes unsent")
}
