package main

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseStats(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want serverStats
		err  string
	}{
		{name: "all", in: "goroutines=7 peak_goroutines=30 goroutines_created=1200",
			want: serverStats{goroutines: 7, peakGoroutines: 30, created: 1200}},
		{name: "created unknown", in: "goroutines=7 peak_goroutines=7 goroutines_created=",
			want: serverStats{goroutines: 7, peakGoroutines: 7, created: -1}},
		{name: "no counts", in: "goroutines_created=3", err: "no goroutine counts"},
		{name: "malformed", in: "goroutines=x peak_goroutines=1", err: "invalid syntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStats(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestPeaksMax(t *testing.T) {
	require.Equal(t, peaks{goroutines: 9, threads: 6}, peaks{goroutines: 9, threads: 5}.max(peaks{goroutines: 2, threads: 6}))
}

const netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n" +
	"TcpExt: 0 42 43\n" +
	"IpExt: InNoRoutes\n" +
	"IpExt: 0\n"

func TestNetstatField(t *testing.T) {
	n, err := netstatField(netstat, "TcpExt", "ListenOverflows")
	require.NoError(t, err)
	require.EqualValues(t, 42, n)
	_, err = netstatField(netstat, "TcpExt", "Nonsense")
	require.ErrorContains(t, err, "no TcpExt Nonsense")
	_, err = netstatField("", "TcpExt", "ListenOverflows")
	require.ErrorContains(t, err, "no TcpExt values")
	if _, err := os.Stat("/proc/net/netstat"); err == nil {
		_, err := listenOverflows()
		require.NoError(t, err)
	}
}

func TestPickChurnAndToolLoads(t *testing.T) {
	scs, err := pickChurn(options{churn: []string{"churn-64c-rst", "churn-8c-fin"}})
	require.NoError(t, err)
	require.Equal(t, []churnScenario{churnScenarios[3], churnScenarios[0]}, scs)
	_, err = pickChurn(options{churn: []string{"churn-1c"}})
	require.ErrorContains(t, err, "churn-1c")

	require.NoError(t, checkToolLoads(split(toolLoadNames())))
	require.ErrorContains(t, checkToolLoads([]string{"plaintext", "nonsense"}), "nonsense")
}

func TestWrkConnectionClose(t *testing.T) {
	for _, tr := range toolRuns(3e9, 50) {
		args := strings.Join(tr.args("127.0.0.1:1", "/tmp"), " ")
		if tr.scenario == "plaintext-close" {
			require.Contains(t, args, "-H Connection: close http://127.0.0.1:1/")
		} else {
			require.NotContains(t, args, "Connection")
		}
	}
}

func TestInterleave(t *testing.T) {
	var calls []string
	err := interleave(context.Background(), 2, []string{"x", "y"}, []string{"a", "b"}, func(round int, ld, impl string) error {
		calls = append(calls, itoa(round)+ld+impl)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"1xb", "1xa", "1yb", "1ya", "2xa", "2xb", "2ya", "2yb"}, calls)

	err = interleave(context.Background(), 2, []string{"x"}, []string{"a"}, func(int, string, string) error {
		return errors.New("boom")
	})
	require.EqualError(t, err, "round 1, x: boom")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, interleave(ctx, 1, []string{"x"}, []string{"a"}, nil), context.Canceled)
}

// churnRow returns a churn.csv row with the given figures and no failures
// but errs.
func churnRow(round, sc, impl, conns, perSec, cpu, created, peakG, errs string) string {
	fields := []string{round, sc, impl, "64", "fin", "64", "16", "1.000", conns, perSec, "100.0", "900.0", "2000.0",
		cpu, "1.000", created, peakG, "6", "0", errs, "0", errs, "0", "0", "0", "0", "0", ""}
	return strings.Join(fields, ",")
}

func TestSummarizeChurnFromCSV(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) {
		require.NoError(t, os.WriteFile(dir+"/"+name, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	}
	write("churn.csv", strings.Join(churnHeader, ","),
		churnRow("1", "churn-64c-fin", "gnet", "10000", "10000", "0.200", "0", "7", "0"),
		churnRow("1", "churn-64c-fin", "stdlib", "8000", "8000", "0.320", "8000", "70", "0"),
		churnRow("1", "churn-64c-fin", "asyncnet", "9000", "9000", "0.450", "9000", "130", "2"),
		churnRow("2", "churn-64c-fin", "asyncnet", "11000", "11000", "0.550", "11000", "150", "3"),
		churnRow("2", "churn-64c-fin", "gnet", "10000", "10000", "0.200", "", "7", "0"),
		churnRow("2", "churn-64c-fin", "stdlib", "10000", "10000", "0.400", "10000", "66", "0"),
	)
	burstRow := func(impl, open, cpu, peakG string) string {
		return strings.Join([]string{"1", impl, "10000", "16", "10000", open, "0.200", "1000.0", "30000.0", "40000.0",
			cpu, "10000", peakG, "6", "12", "0", "0", "0", "0", "0", "0", "0", "0", ""}, ",")
	}
	write("burst.csv", strings.Join(burstHeader, ","),
		burstRow("gnet", "0.400", "0.300", "7"),
		burstRow("stdlib", "0.500", "0.600", "10007"),
		burstRow("asyncnet", "0.800", "0.900", "40"),
	)
	require.Len(t, strings.Split(churnRow("1", "s", "i", "1", "1", "1", "1", "1", "0"), ","), len(churnHeader))
	require.Len(t, strings.Split(burstRow("i", "1", "1", "1"), ","), len(burstHeader))
	require.NoError(t, summarize(dir))
	got, err := os.ReadFile(dir + "/summary.md")
	require.NoError(t, err)
	s := string(got)
	require.Contains(t, s, "Medians of 2 interleaved rounds")
	// asyncnet: 10,000 conns/s (median of 9,000 and 11,000); ÷ gnet 0.9 and
	// 1.1, median 1.00; ÷ stdlib 1.125 and 1.1; CPU 50 µs/conn, 2.5 × gnet's
	// 20, 1.25 × stdlib's 40; errors 2 + 3.
	require.Contains(t, s, "| churn-64c-fin | asyncnet | 10,000 | 1.00 | 1.11 | 100 | 900 | 50.0 | 2.50 | 1.25 | 1.00 | 140 | 6 | 0 | 5 |")
	require.Contains(t, s, "| churn-64c-fin | gnet | 10,000 | 1 | 1.12 | 100 | 900 | 20.0 | 1 | 0.50 | 0.00 | 7 | 6 | 0 | 0 |")
	require.Contains(t, s, "| churn-64c-fin | stdlib | 9,000 | 0.90 | 1 |")
	require.Contains(t, s, "| burst-10000 | asyncnet | 800 | 200 | 30.0 | 90.0 | 3.00 | 1.50 | 1.00 | 40 | 6 | 12 | 0 |")
	require.True(t, slices.IsSorted([]int{strings.Index(s, "### Churn"), strings.Index(s, "### Burst")}))

	write("burst.csv", strings.Join(burstHeader, ","), burstRow("gnet", "soon", "0.300", "7"))
	require.ErrorContains(t, summarize(dir), "burst.csv:2")
}
