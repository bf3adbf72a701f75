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
// whose values, joined with "/" after prefix, name a category, and the numbers
// to collect, to which derive adds more computed from them.
type schema struct {
	category, metrics []string
	prefix            string
	derive            func(row map[string]float64)
}

// cell identifies the measurement of a metric for an implementation in a category and a round.
type cell struct {
	metric, impl, category string
	round                  int
}

// dataset holds the per-round values of metrics by implementation and category,
// listed in the order they first appear but for the reference, which is first.
type dataset struct {
	impls, categories []string
	rounds            map[int]bool
	values            map[cell]float64
}

func newDataset() *dataset { return &dataset{rounds: map[int]bool{}, values: map[cell]float64{}} }

// load adds the rows of an input file with a header row to d, ignoring the
// columns that s does not name, or returns an error naming the file and line.
func (d *dataset) load(path string, s schema) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: reading the header row: %w", path, err)
	}
	cols := map[string]int{}
	for i, name := range header {
		cols[strings.TrimSpace(name)] = i
	}
	for _, name := range slices.Concat([]string{"round", "impl"}, s.category, s.metrics) {
		if _, ok := cols[name]; !ok {
			return fmt.Errorf("%s:1: missing required column %q", path, name)
		}
	}
	for {
		record, err := cr.Read() // checks the number of fields, naming the line
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		if err := d.add(s, func(name string) string { return strings.TrimSpace(record[cols[name]]) }); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}

// add adds the values of one row, whose fields field returns by column, and
// those s derives from them but for any that are not finite.
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
	row := map[string]float64{}
	for _, col := range s.metrics {
		v, err := strconv.ParseFloat(field(col), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("column %q: invalid number %q", col, field(col))
		}
		row[col] = v
	}
	if s.derive != nil {
		s.derive(row)
	}
	c := cell{impl: names[0], category: s.prefix + strings.Join(names[1:], "/"), round: round}
	if _, ok := d.values[cell{s.metrics[0], c.impl, c.category, round}]; ok {
		return fmt.Errorf("a second row for round %d of %s %s", round, c.impl, c.category)
	} else if !slices.Contains(d.impls, c.impl) && c.impl == refImpl {
		d.impls = slices.Insert(d.impls, 0, c.impl) // first, whatever the order of the file
	} else if !slices.Contains(d.impls, c.impl) {
		d.impls = append(d.impls, c.impl)
	}
	if !slices.Contains(d.categories, c.category) {
		d.categories = append(d.categories, c.category)
	}
	d.rounds[round] = true
	for c.metric = range row {
		if v := row[c.metric]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			d.values[c] = v
		}
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

// matrix returns of (median, floats.Max…) of the values of metric over the rounds, as [impl][category] in the
// order of d.impls and d.categories, NaN where there are none; if ref is set, each value is first divided by
// ref's in the same round and category: pairing the runs of a round cancels the slow drifts of a shared machine.
func (d *dataset) matrix(metric, ref string, of func([]float64) float64) [][]float64 {
	m := make([][]float64, len(d.impls))
	for i, impl := range d.impls {
		for _, category := range d.categories {
			var vs []float64
			for round := range d.rounds {
				v, ok := d.values[cell{metric, impl, category, round}]
				if base := d.values[cell{metric, ref, category, round}]; ok && ref == "" {
					vs = append(vs, v)
				} else if ok && base > 0 {
					vs = append(vs, v/base)
				}
			}
			if m[i] = append(m[i], math.NaN()); len(vs) > 0 {
				m[i][len(m[i])-1] = of(vs)
			}
		}
	}
	return m
}
