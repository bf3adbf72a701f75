package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// readTable reads dir/name as CSV rows keyed by its header; a missing
// file gives no rows.
func readTable(dir, name string) ([]map[string]string, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	rows := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := make(map[string]string, len(rec))
		for i, h := range recs[0] {
			if i < len(rec) {
				row[h] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// fields reads numeric columns of a row; an empty field reads as
// missing (ok false), a malformed one as an error.
type fields struct {
	row  map[string]string
	file string
	line int
	err  error
}

func (f *fields) num(col string) (float64, bool) {
	s, present := f.row[col]
	if !present {
		f.fail(fmt.Errorf("no column %q", col))
		return 0, false
	}
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		f.fail(fmt.Errorf("column %q: %w", col, err))
		return 0, false
	}
	return v, true
}

func (f *fields) round() int {
	v, _ := f.num("round")
	return int(v)
}

func (f *fields) fail(err error) {
	if f.err == nil {
		f.err = fmt.Errorf("%s:%d: %w", f.file, f.line, err)
	}
}

// loadResults reads the CSV results in dir (those present) for the summary.
func loadResults(dir string) (*results, error) {
	rs := newResults()
	rounds := map[int]bool{}
	echo, err := readTable(dir, "echo.csv")
	if err != nil {
		return nil, err
	}
	for i, row := range echo {
		f := &fields{row: row, file: "echo.csv", line: i + 2}
		round, sc, impl := f.round(), row["scenario"], row["impl"]
		rounds[round] = true
		for col, s := range map[string]*series{"msgs_per_s": rs.msgs, "p50_us": rs.p50, "p99_us": rs.p99, "p999_us": rs.p999} {
			if v, ok := f.num(col); ok {
				s.add(round, sc, impl, v)
			}
		}
		msgs, okM := f.num("msgs")
		cpu, okC := f.num("server_cpu_s")
		dur, okD := f.num("duration_s")
		if okM && okC && msgs > 0 {
			rs.cpuPerMsg.add(round, sc, impl, cpu*1e9/msgs)
		}
		if okC && okD && dur > 0 {
			rs.serverPct.add(round, sc, impl, 100*cpu/dur)
			if load, ok := f.num("client_cpu_s"); ok {
				rs.loadPct.add(round, sc, impl, 100*load/dur)
			}
		}
		if f.err != nil {
			return nil, f.err
		}
	}
	idle, err := readTable(dir, "idle.csv")
	if err != nil {
		return nil, err
	}
	for i, row := range idle {
		f := &fields{row: row, file: "idle.csv", line: i + 2}
		round := f.round()
		rounds[round] = true
		if v, ok := f.num("bytes_per_conn"); ok {
			rs.idle.add(round, "idle", row["impl"], v)
		}
		if n, ok := f.num("conns"); ok {
			rs.idleConns = int(n)
		}
		if f.err != nil {
			return nil, f.err
		}
	}
	tools, err := readTable(dir, "http.csv")
	if err != nil {
		return nil, err
	}
	for i, row := range tools {
		f := &fields{row: row, file: "http.csv", line: i + 2}
		round, name, impl := f.round(), row["tool"]+" "+row["scenario"], row["impl"]
		rounds[round] = true
		if v, ok := f.num("requests_per_s"); ok {
			rs.rps.add(round, name, impl, v)
		}
		if v, ok := f.num("p50_us"); ok {
			rs.toolP50.add(round, name, impl, v)
		}
		if v, ok := f.num("p99_us"); ok {
			rs.toolP99.add(round, name, impl, v)
		}
		if f.err != nil {
			return nil, f.err
		}
	}
	if err := rs.loadChurn(dir, rounds); err != nil {
		return nil, err
	}
	rs.rounds = len(rounds)
	return rs, nil
}
