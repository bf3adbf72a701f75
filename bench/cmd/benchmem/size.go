package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the units parseSize accepts, longest first so that "MiB"
// is not read as "B". The binary ones (KiB, MiB, GiB) are what the caps are
// usually given in; the decimal ones (KB, MB, GB) are there for
// completeness.
var sizeUnits = []struct {
	suffix string
	factor float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"b", 1},
}

// parseSize reads a byte count: plain bytes ("1048576"), or a number and a
// unit ("1MiB", "64 MiB", "1.5KiB", "4MB"), units in any case. The result
// must be a whole, positive number of bytes that fits an int.
func parseSize(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	factor := 1.0
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, factor = strings.TrimSpace(rest), u.factor
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("benchmem: size %q: not a number and a unit (B, KiB, MiB, GiB, KB, MB, GB)", s)
	}
	b := v * factor
	switch {
	case math.IsNaN(b) || b <= 0:
		return 0, fmt.Errorf("benchmem: size %q is not positive", s)
	case b != math.Trunc(b):
		return 0, fmt.Errorf("benchmem: size %q is not a whole number of bytes", s)
	case b >= float64(math.MaxInt):
		return 0, fmt.Errorf("benchmem: size %q is too large", s)
	}
	return int(b), nil
}

// formatCap writes a cap the way one would type it: in the largest binary
// unit that divides it ("64MiB", "256KiB"), or in bytes.
func formatCap(n int) string {
	for _, u := range []struct {
		name  string
		bytes int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.bytes && n%u.bytes == 0 {
			return fmt.Sprintf("%d%s", n/u.bytes, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// formatMiB writes a byte count in MiB with one decimal, for the table.
func formatMiB(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// sizeFlag is a flag.Value holding a size given to parseSize; 0 means
// "not set".
type sizeFlag int

// String returns the size in the form parseSize reads, or "" when unset.
func (f *sizeFlag) String() string {
	if f == nil || *f == 0 {
		return ""
	}
	return formatCap(int(*f))
}

// Set parses s with parseSize.
func (f *sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*f = sizeFlag(n)
	return nil
}
