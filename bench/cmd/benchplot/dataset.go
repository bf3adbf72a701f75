package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// refImpl is the implementation every other one is compared with.
const refImpl = "gnet"

// schema names the columns of an input file beyond "round" and "impl": those
// whose values, joined with "/", name a category, and the numbers to collect.
type schema struct {
	category, metrics []string
}

// cell identifies the measurements of a metric for an implementation in a category.
type cell struct{ metric, impl, category string }

// dataset holds the per-round values of metrics by implementation and category,
// listed in the order they first appear but for the reference, which is first.
type dataset struct {
	impls, categories []string
	rounds            map[int]bool
	values            map[cell][]float64 // a value per round
}

// loadDataset reads an input file with a header row into a dataset,
// ignoring the columns that s does not name. A file without data rows
// yields errNoData; a malformed one an error naming the file and line.
func loadDataset(path string, s schema) (*dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header row: %w", path, err)
	}
	cols := map[string]int{}
	for i, name := range header {
		cols[strings.TrimSpace(name)] = i
	}
	for _, name := range slices.Concat([]string{"round", "impl"}, s.category, s.metrics) {
		if _, ok := cols[name]; !ok {
			return nil, fmt.Errorf("%s:1: missing required column %q", path, name)
		}
	}
	d := &dataset{rounds: map[int]bool{}, values: map[cell][]float64{}}
	for {
		record, err := cr.Read() // checks the number of fields, naming the line
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		field := func(name string) string { return strings.TrimSpace(record[cols[name]]) }
		if err := d.add(s, field); err != nil {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	if len(d.rounds) == 0 {
		return nil, fmt.Errorf("%s has no data rows: %w", path, errNoData)
	}
	return d, nil
}

// add adds the values of one row, whose fields field returns by column, or
// returns an error, leaving d incomplete.
func (d *dataset) add(s schema, field func(string) string) error {
	round, err := strconv.Atoi(field("round"))
	if err != nil {
		return fmt.Errorf("column %q: invalid integer %q", "round", field("round"))
	}
	var names []string
	for _, col := range append([]string{"impl"}, s.category...) {
		if field(col) == "" {
			return fmt.Errorf("column %q: empty value", col)
		}
		names = append(names, field(col))
	}
	c := cell{impl: names[0], category: strings.Join(names[1:], "/")}
	d.rounds[round] = true
	if c.impl == refImpl && !slices.Contains(d.impls, c.impl) {
		d.impls = slices.Insert(d.impls, 0, c.impl) // first, whatever the order of the file
	} else if !slices.Contains(d.impls, c.impl) {
		d.impls = append(d.impls, c.impl)
	}
	if !slices.Contains(d.categories, c.category) {
		d.categories = append(d.categories, c.category)
	}
	for _, col := range s.metrics {
		v, err := strconv.ParseFloat(field(col), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("column %q: invalid number %q", col, field(col))
		}
		c.metric = col
		d.values[c] = append(d.values[c], v)
	}
	return nil
}

// median returns the middle value of vs, or the mean of the two middle
// ones for an even count, or NaN for no values. vs is not modified.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	// Interpolating at (n+1)/2n lands on the middle value, or halfway
	// between the two middle ones.
	return stat.Quantile(0.5+0.5/float64(len(vs)), stat.LinInterp, slices.Sorted(slices.Values(vs)), nil)
}

// matrix returns the medians over rounds of metric as [impl][category], in
// the order of d.impls and d.categories; NaN where there is no value.
func (d *dataset) matrix(metric string) [][]float64 {
	m := make([][]float64, len(d.impls))
	for i, impl := range d.impls {
		m[i] = make([]float64, len(d.categories))
		for j, category := range d.categories {
			m[i][j] = median(d.values[cell{metric: metric, impl: impl, category: category}])
		}
	}
	return m
}
