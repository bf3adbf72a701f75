package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseWrk(t *testing.T) {
	out, err := os.ReadFile("testdata/wrk.txt")
	require.NoError(t, err)
	r, err := parseWrk(out)
	require.NoError(t, err)
	require.InDelta(t, 70555.71, r.rps, 0.01)
	require.Equal(t, 95*time.Microsecond, r.p50)
	require.Equal(t, 1130*time.Microsecond, r.p99)

	_, err = parseWrk([]byte("nothing"))
	require.ErrorContains(t, err, "Requests/sec")
	withErrors := strings.Replace(string(out), "Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec", 1)
	_, err = parseWrk([]byte(withErrors))
	require.ErrorContains(t, err, "errors")
}

func TestParseRedisCSV(t *testing.T) {
	out, err := os.ReadFile("testdata/redis.csv")
	require.NoError(t, err)
	r, err := parseRedisCSV(out)
	require.NoError(t, err)
	require.InDelta(t, 66225.17, r.rps, 0.01)
	require.Equal(t, 79*time.Microsecond, r.p50)
	require.Equal(t, 327*time.Microsecond, r.p99)

	_, err = parseRedisCSV([]byte(`"test","rps"` + "\n"))
	require.Error(t, err)
	_, err = parseRedisCSV([]byte(`"test","rps"` + "\n" + `"PING_INLINE","1"` + "\n"))
	require.ErrorContains(t, err, "p50_latency_ms")
}

func TestMedianAndRatio(t *testing.T) {
	m, ok := median([]float64{3, 1, 2})
	require.True(t, ok)
	require.Equal(t, 2.0, m)
	m, _ = median([]float64{4, 1, 3, 2})
	require.Equal(t, 2.5, m)
	_, ok = median(nil)
	require.False(t, ok)

	s := newSeries()
	for round, v := range map[int][2]float64{1: {100, 90}, 2: {200, 190}, 3: {50, 60}} {
		s.add(round, "sc", "gnet", v[0])
		s.add(round, "sc", "asyncnet", v[1])
	}
	r, ok := s.ratio(key{"sc", "asyncnet"}, key{"sc", "gnet"})
	require.True(t, ok)
	require.InDelta(t, 0.95, r, 1e-9, "the median of the per-round ratios 0.9, 0.95 and 1.2")
	require.Equal(t, []string{"gnet", "asyncnet"}, s.impls)
}

func TestOrderRotates(t *testing.T) {
	impls := []string{"a", "b", "c"}
	require.Equal(t, []string{"b", "c", "a"}, order(impls, 1))
	require.Equal(t, []string{"c", "a", "b"}, order(impls, 2))
	require.Equal(t, []string{"a", "b", "c"}, order(impls, 3))
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		require.Equal(t, want, num(v, 0))
	}
	require.Equal(t, "12,345.7", num(12345.67, 1))
}

func TestPickScenarios(t *testing.T) {
	scs, err := pickScenarios(options{scenarios: []string{"10kc-idle-1pct"}, smoke: true})
	require.NoError(t, err)
	require.Equal(t, 20, scs[0].conns)
	require.Equal(t, 2, scs[0].active)
	_, err = pickScenarios(options{scenarios: []string{"nonsense"}})
	require.ErrorContains(t, err, "nonsense")
}

func TestParseWrkPipelined(t *testing.T) {
	out, err := os.ReadFile("testdata/wrk.txt")
	require.NoError(t, err)
	zeroed := strings.Replace(string(out), "99%    1.13ms", "99%    0.00us", 1)
	r, err := parseWrk([]byte(zeroed))
	require.NoError(t, err)
	require.Zero(t, r.p99, "wrk's 0 for a percentile it did not measure stays unknown")
	require.Equal(t, "", microsOrEmpty(r.p99))
}

func TestSummarizeFromCSV(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(dir+"/"+name, []byte(body), 0o644))
	}
	write("echo.csv", strings.Join([]string{
		strings.Join(echoHeader, ","),
		"1,sc,gnet,1,64,1,1,2.000,200,100,10.0,20.0,30.0,1.000,100,1.000",
		"1,sc,asyncnet,1,64,1,1,2.000,180,90,11.0,20.0,30.0,1.000,100,1.000",
		"2,sc,asyncnet,1,64,1,1,2.000,220,110,9.0,20.0,30.0,1.000,100,1.000",
		"2,sc,gnet,1,64,1,1,2.000,200,100,10.0,20.0,30.0,1.000,100,1.000",
	}, "\n"))
	write("idle.csv", strings.Join(idleHeader, ",")+"\n1,gnet,100,1000,1100,1024\n1,asyncnet,100,1000,1200,2048\n")
	write("http.csv", strings.Join(httpHeader, ",")+"\n1,wrk,gnet,plaintext,1000,100.0,\n1,wrk,asyncnet,plaintext,950,110.0,\n")
	require.NoError(t, summarize(dir))
	got, err := os.ReadFile(dir + "/summary.md")
	require.NoError(t, err)
	s := string(got)
	require.Contains(t, s, "Medians of 2 interleaved rounds")
	require.Contains(t, s, "| sc | asyncnet | 100 | 1.00 | 10.0 | 1.00 |", "median of 90 and 110; ratios of 0.9 and 1.1")
	require.Contains(t, s, "| asyncnet | 2,048 | +1024 |")
	require.Contains(t, s, "| wrk plaintext | asyncnet | 950 | 0.95 | 110 | — |")

	write("echo.csv", strings.Join(echoHeader, ",")+"\n1,sc,gnet,1,64,1,1,2.000,200,fast,10.0,20.0,30.0,1.000,100,1.000\n")
	require.ErrorContains(t, summarize(dir), "echo.csv:2")
}
