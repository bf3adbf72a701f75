package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chartSpec describes a chart: a value per series (an implementation, in its own colour) and category (a place
// on the x axis), drawn as bars on a linear axis and as points on a log one, where bars from zero make no sense.
type chartSpec struct {
	title, xLabel, yLabel string
	categories, series    []string
	values, lows, highs   [][]float64 // [series][category], NaN for none; lows, highs: whisker ends, or both nil
	logY                  bool
	refLine               float64              // when > 0, a dashed line at this value
	refLabel              string               // legend text of the reference line
	ticks, label          func(float64) string // y tick and value labels; nil: plain ticks, no labels
	ownCategory           bool                 // series i has one value, in category i, which names it: no legend
	below                 *chartSpec           // a panel under this one, or nil
}

// Layout of every chart; lengths in points, widths in x axis units.
const (
	figWidth, figHeight           = 8 * vg.Inch, 4.5 * vg.Inch
	margin, labelGap, pointRadius = vg.Length(8), vg.Length(2), vg.Length(4)
	groupWidth, ownWidth          = 0.8, 0.6 // of all bars of a category; of a bar in its own category
)

// valueStyle is the style of value labels, level and centred above a value.
var valueStyle = text.Style{Color: color.Black, Font: font.From(sans, 7.5), XAlign: draw.XCenter,
	YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}

// figure is a plot and the parts whose size depends on the canvas: bars, as gonum/plot takes their width in
// points, and value labels.
type figure struct {
	plot   *plot.Plot
	bars   []*plotter.BarChart
	labels []*plotter.Labels
	width  float64 // of a bar, or of a point's share of its category
}

// newFigure builds the plot that s describes, or returns errNoData.
func (r *renderer) newFigure(s chartSpec) (*figure, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = s.title, s.xLabel, s.yLabel
	p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size, p.Legend.TextStyle.Font.Size = 10, 10, 10
	p.Legend.Top, p.Legend.Padding, p.Legend.ThumbnailWidth = true, 3, 14
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = nil, color.Gray{Y: 215}
	p.Add(grid)
	f := &figure{plot: p, width: groupWidth / float64(len(s.series))}
	if s.ownCategory {
		f.width = ownWidth
	}
	for i, name := range s.series {
		r.addSeries(f, s, i, name)
	}
	if math.IsInf(p.Y.Min, 1) { // no series had a value to show
		return nil, errNoData
	}
	if s.refLine > 0 {
		ref := plotter.NewFunction(func(float64) float64 { return s.refLine })
		ref.Dashes = plotutil.Dashes(1)
		p.Add(ref)
		p.Legend.Add(s.refLabel, ref)
	}
	for _, l := range f.labels {
		p.Add(l)
	}
	p.NominalX(s.categories...)
	p.X.Min, p.X.Max, p.X.Padding, p.Y.Padding = -0.5, float64(len(s.categories))-0.5, 0, 0
	if s.logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		p.Y.Label.Text += " (log scale)"
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(p.Y.Min))) // start at a power of ten
	}
	if marker := p.Y.Tick.Marker; s.ticks != nil {
		p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
			ticks := marker.Ticks(lo, hi)
			for i := range ticks {
				if ticks[i].Label != "" {
					ticks[i].Label = s.ticks(ticks[i].Value)
				}
			}
			return ticks
		})
	}
	return f, nil
}

// addSeries adds the values of series i that can be shown to f, beside those of the other series, with their
// whiskers, labels and legend entry.
func (r *renderer) addSeries(f *figure, s chartSpec, i int, name string) {
	var xys plotter.XYs
	var whiskers plotter.YErrors
	var labels []string
	for j, v := range s.values[i] {
		if !drawable(v, s.logY) {
			continue
		}
		x := float64(j) + (float64(i)+0.5)*f.width - groupWidth/2
		if s.ownCategory {
			x = float64(i)
		}
		xys = append(xys, plotter.XY{X: x, Y: v})
		if s.highs != nil {
			whiskers = append(whiskers, struct{ Low, High float64 }{max(v-s.lows[i][j], 0), max(s.highs[i][j]-v, 0)})
		}
		if s.label != nil {
			labels = append(labels, s.label(v))
		}
	}
	if len(xys) == 0 {
		return
	}
	errorBars := &plotter.YErrorBars{XYs: xys, YErrors: whiskers, LineStyle: plotter.DefaultLineStyle,
		CapWidth: plotter.DefaultCapWidth}
	if s.highs != nil && s.logY { // under the points
		f.plot.Add(errorBars)
	}
	var thumb plot.Thumbnailer
	if s.logY {
		points := &plotter.Scatter{XYs: xys,
			GlyphStyle: draw.GlyphStyle{Color: r.color(name), Shape: draw.CircleGlyph{}, Radius: pointRadius}}
		f.plot.Add(points)
		thumb = points
	} else {
		for _, xy := range xys { // a BarChart per bar, as one cannot skip a missing value
			bar := &plotter.BarChart{Values: plotter.Values{xy.Y}, XMin: xy.X, Color: r.color(name),
				LineStyle: draw.LineStyle{Color: color.Black, Width: 0.5}} // fit sets Width
			f.plot.Add(bar)
			f.bars, thumb = append(f.bars, bar), bar
		}
		if s.highs != nil { // over the bars
			f.plot.Add(errorBars)
		}
	}
	if !s.ownCategory {
		f.plot.Legend.Add(name, thumb)
	}
	if s.label != nil {
		l := &plotter.Labels{XYs: xys, Labels: labels, Offset: vg.Point{Y: labelGap},
			TextStyle: slices.Repeat([]text.Style{valueStyle}, len(labels))}
		if s.logY {
			l.Offset.Y += pointRadius
		}
		f.labels = append(f.labels, l)
	}
}

// color returns the colour of impl, the same in every chart: grey for the reference, then the palette from
// blue on, as red and green read as bad and good.
func (r *renderer) color(impl string) color.Color {
	if impl == refImpl {
		return color.Gray{Y: 140}
	}
	if _, ok := r.colors[impl]; !ok {
		r.colors[impl] = len(r.colors)
	}
	return plotutil.Color(r.colors[impl] + 2)
}

// fit sizes the bars of f for the canvas c it will be drawn on, and turns the value labels a quarter, to read
// upwards, if one is wider than a bar.
func (f *figure) fit(c draw.Canvas) {
	width := vg.Length(f.width) * f.plot.DataCanvas(c).Size().X / vg.Length(f.plot.X.Max-f.plot.X.Min)
	for _, b := range f.bars {
		b.Width = width
	}
	style := valueStyle
	for _, l := range f.labels {
		if slices.ContainsFunc(l.Labels, func(t string) bool { return valueStyle.Width(t) > width }) {
			style.Rotation, style.XAlign, style.YAlign = math.Pi/2, draw.XLeft, draw.YCenter
		}
	}
	for _, l := range f.labels {
		l.TextStyle = slices.Repeat([]text.Style{style}, len(l.Labels))
	}
}

// writeSVG draws the chart s and the panels below it, each with its legend right of the plot where it cannot
// hide a value, writes it to path as SVG and prints path.
func (r *renderer) writeSVG(path string, s chartSpec) error {
	var figs []*figure
	var plots [][]*plot.Plot
	for p := &s; p != nil; p = p.below {
		f, err := r.newFigure(*p)
		if err != nil {
			return err
		}
		figs, plots = append(figs, f), append(plots, []*plot.Plot{f.plot})
	}
	img := vgsvg.New(figWidth, figHeight*vg.Length(len(figs)+1)/2)
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	var legend vg.Length // with 15% slack, as a viewer without Liberation Sans may use a wider font
	for _, f := range figs {
		legend = max(legend, f.plot.Legend.Rectangle(dc).Size().X*1.15)
	}
	canvases := plot.Align(plots, draw.Tiles{Rows: len(figs), Cols: 1, PadTop: margin, PadBottom: margin,
		PadLeft: margin, PadRight: margin + legend, PadY: margin}, dc)
	for i, f := range figs {
		f.plot.Legend.XOffs = legend
		f.fit(canvases[i][0])
		f.plot.Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := img.WriteTo(&buf); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	// The SVG names Liberation Sans without embedding it: offer look-alikes.
	svg := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	if err := os.WriteFile(path, svg, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintln(r.stdout, path)
	return nil
}
