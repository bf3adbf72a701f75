package main

import "fmt"

// connSeries are the figures the churn and burst tables share, by load
// and server.
type connSeries struct {
	cpuPerConn     *series // server CPU µs per connection
	createdPerConn *series // goroutines the server created per connection
	goroutines     *series // peak goroutines
	threads        *series // peak OS threads
	overflows      *series // listen queue overflows
	errors         *series // failed connections
}

func newConnSeries() connSeries {
	return connSeries{cpuPerConn: newSeries(), createdPerConn: newSeries(), goroutines: newSeries(),
		threads: newSeries(), overflows: newSeries(), errors: newSeries()}
}

// add reads the shared figures of a churn.csv or burst.csv row, given the
// connections the row's CPU time and goroutines were spent on.
func (cs connSeries) add(f *fields, round int, name, impl string, conns float64) {
	if cpu, ok := f.num("server_cpu_s"); ok && conns > 0 {
		cs.cpuPerConn.add(round, name, impl, cpu*1e6/conns)
	}
	if created, ok := f.num("goroutines_created"); ok && conns > 0 {
		cs.createdPerConn.add(round, name, impl, created/conns)
	}
	addColumns(f, round, name, impl, map[string]*series{"peak_goroutines": cs.goroutines, "peak_threads": cs.threads,
		"listen_overflows": cs.overflows, "errors": cs.errors})
}

// addColumns adds the row's value of each column to its series.
func addColumns(f *fields, round int, name, impl string, cols map[string]*series) {
	for col, s := range cols {
		if v, ok := f.num(col); ok {
			s.add(round, name, impl, v)
		}
	}
}

// loadChurn reads churn.csv and burst.csv, if present, into rs.
func (rs *results) loadChurn(dir string, rounds map[int]bool) error {
	churn, err := readTable(dir, "churn.csv")
	if err != nil {
		return err
	}
	for i, row := range churn {
		f := &fields{row: row, file: "churn.csv", line: i + 2}
		round, sc, impl := f.round(), row["scenario"], row["impl"]
		rounds[round] = true
		addColumns(f, round, sc, impl, map[string]*series{"conns_per_s": rs.churnRate, "p50_us": rs.churnP50, "p99_us": rs.churnP99})
		conns, _ := f.num("conns")
		rs.churn.add(f, round, sc, impl, conns)
		if f.err != nil {
			return f.err
		}
	}
	burst, err := readTable(dir, "burst.csv")
	if err != nil {
		return err
	}
	for i, row := range burst {
		f := &fields{row: row, file: "burst.csv", line: i + 2}
		round, impl := f.round(), row["impl"]
		rounds[round] = true
		n, _ := f.num("conns")
		name := fmt.Sprintf("burst-%.0f", n)
		addColumns(f, round, name, impl, map[string]*series{"open_s": rs.burstOpen, "close_s": rs.burstClose, "p99_us": rs.burstP99})
		echoed, _ := f.num("echoed")
		rs.burst.add(f, round, name, impl, echoed)
		if f.err != nil {
			return f.err
		}
	}
	return nil
}
