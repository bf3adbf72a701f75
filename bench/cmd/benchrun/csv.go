package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// table is a CSV file of results, written row by row (so that an
// interrupted run keeps what it measured).
type table struct {
	f *os.File
	w *csv.Writer
}

// createTable creates dir/name with header as its first row.
func createTable(dir, name string, header []string) (*table, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	t := &table{f: f, w: csv.NewWriter(f)}
	return t, t.add(header...)
}

func (t *table) add(fields ...string) error {
	if err := t.w.Write(fields); err != nil {
		return err
	}
	t.w.Flush()
	return t.w.Error()
}

func (t *table) Close() error {
	t.w.Flush()
	return t.f.Close()
}

func itoa[T ~int | ~int64](v T) string { return strconv.FormatInt(int64(v), 10) }

func ftoa(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// micros formats d in microseconds.
func micros(d time.Duration) string { return ftoa(float64(d)/float64(time.Microsecond), 1) }

func secs(d time.Duration) string { return ftoa(d.Seconds(), 3) }
