package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var httpHeader = []string{"round", "tool", "impl", "scenario", "requests_per_s", "p50_us", "p99_us"}

// toolRun is one load of an HTTP or RESP server by a tool no one here
// wrote: wrk or redis-benchmark.
type toolRun struct {
	tool     string // wrk, redis-benchmark
	proto    string // the server's protocol
	scenario string
	args     func(addr, dir string) []string // the tool's arguments
	parse    func(out []byte) (toolResult, error)
}

type toolResult struct {
	rps      float64
	p50, p99 time.Duration
}

// pipelineLua makes wrk send depth requests at a time (TechEmpower's
// pipeline.lua).
const pipelineLua = `init = function(args)
  local depth = tonumber(args[1]) or 1
  local r = {}
  for i = 1, depth do r[i] = wrk.format() end
  req = table.concat(r)
end
request = function() return req end
`

// toolRuns returns the loads to run, for a measuring time of d, with conns
// connections.
func toolRuns(d time.Duration, conns int) []toolRun {
	secs := strconv.Itoa(max(1, int(d.Seconds())))
	c := strconv.Itoa(conns)
	// wrk runs with a header, if not "", and with that pipelining depth
	// (pipeline.lua), if not "".
	wrk := func(scenario, header, depth string) toolRun {
		return toolRun{tool: "wrk", proto: "http", scenario: scenario, parse: parseWrk,
			args: func(addr, dir string) []string {
				a := []string{"-t1", "-c" + c, "-d" + secs + "s", "--latency"}
				if header != "" {
					a = append(a, "-H", header)
				}
				a = append(a, "http://"+addr+"/")
				if depth != "" {
					a = append(a, "-s", filepath.Join(dir, "pipeline.lua"), "--", depth)
				}
				return a
			}}
	}
	redis := func(scenario, pipeline string, n int) toolRun {
		return toolRun{tool: "redis-benchmark", proto: "resp", scenario: scenario, parse: parseRedisCSV,
			args: func(addr, _ string) []string {
				host, port, _ := strings.Cut(addr, ":")
				return []string{"-h", host, "-p", port, "-t", "ping_inline", "-c", c, "-P", pipeline,
					"-n", strconv.Itoa(n), "--csv"}
			}}
	}
	n := int(d.Seconds() * 100_000) // about d at 100k requests/s
	return []toolRun{
		wrk("plaintext", "", ""),
		wrk("plaintext-pipeline16", "", "16"),
		wrk("plaintext-close", "Connection: close", ""), // a connection per request: churn

		redis("ping_inline", "1", n),
		redis("ping_inline-pipeline16", "16", n*8),
	}
}

// haveTool reports whether the tool is installed.
func haveTool(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// runTool starts impl serving tr's protocol and loads it with the tool,
// pinned to clientCPUs if not empty.
func runTool(sp serverSpec, impl string, tr toolRun, dir, clientCPUs string) (toolResult, error) {
	p, err := sp.start(impl, tr.proto)
	if err != nil {
		return toolResult{}, err
	}
	defer p.stop()
	name, args := tr.tool, tr.args(p.addr, dir)
	if clientCPUs != "" {
		name, args = "taskset", append([]string{"-c", clientCPUs, tr.tool}, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return toolResult{}, fmt.Errorf("%s against %s: %w: %s", tr.tool, impl, err, stderr.String())
	}
	r, err := tr.parse(stdout.Bytes())
	if err != nil {
		return toolResult{}, fmt.Errorf("%s against %s: %w\n%s", tr.tool, impl, err, stdout.String())
	}
	return r, nil
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkErrors  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: .*`)
)

// parseWrk reads wrk's requests/s and latency distribution (--latency).
func parseWrk(out []byte) (toolResult, error) {
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return toolResult{}, errors.New("no Requests/sec in wrk's output")
	}
	if e := wrkErrors.Find(out); e != nil {
		return toolResult{}, fmt.Errorf("wrk reports errors: %s", e)
	}
	var r toolResult
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, l := range wrkLatency.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(l[2]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(l[3])]
		d := time.Duration(v * float64(unit))
		if string(l[1]) == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	// With pipelining wrk times batches, and may print 0 for the upper
	// percentiles: those stay unknown (empty in the CSV).
	return r, nil
}

// parseRedisCSV reads redis-benchmark's --csv output (redis 7: test, rps,
// avg, min, p50, p95, p99, max latency in ms).
func parseRedisCSV(out []byte) (toolResult, error) {
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return toolResult{}, err
	}
	if len(rows) < 2 {
		return toolResult{}, errors.New("no result row in redis-benchmark's output")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	get := func(name string) (float64, error) {
		i, ok := col[name]
		if !ok || i >= len(rows[1]) {
			return 0, fmt.Errorf("no %s column in redis-benchmark's output", name)
		}
		return strconv.ParseFloat(rows[1][i], 64)
	}
	var r toolResult
	var errs [3]error
	var p50, p99 float64
	r.rps, errs[0] = get("rps")
	p50, errs[1] = get("p50_latency_ms")
	p99, errs[2] = get("p99_latency_ms")
	if err := errors.Join(errs[:]...); err != nil {
		return toolResult{}, err
	}
	r.p50 = time.Duration(p50 * float64(time.Millisecond))
	r.p99 = time.Duration(p99 * float64(time.Millisecond))
	return r, nil
}

func (r toolResult) row(round int, tr toolRun, impl string) []string {
	return []string{itoa(round), tr.tool, impl, tr.scenario, ftoa(r.rps, 0), microsOrEmpty(r.p50), microsOrEmpty(r.p99)}
}

// microsOrEmpty formats d in microseconds, or "" if it is unknown (0).
func microsOrEmpty(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return micros(d)
}

// writeLua writes the wrk pipelining script into dir.
func writeLua(dir string) error {
	return os.WriteFile(filepath.Join(dir, "pipeline.lua"), []byte(pipelineLua), 0o644)
}
