// Package plot draws the pictures Parley writes for people to look at
// (spectrograms and feature images today; attention maps and training
// curves later) as PNG files, with the standard library only.
package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"sort"
)

// HeatmapOptions configures Heatmap.
type HeatmapOptions struct {
	// Scale is the number of pixels per cell along each axis (default 2
	// across time, 3 across bins, so an 80-bin fbank is 240 pixels high).
	ScaleX, ScaleY int
	// Clip drops the lowest and highest Clip fraction of values from the
	// colour range (default 0.01), so a few outliers do not wash it out.
	Clip float64
}

// Heatmap writes a frames × dims matrix (data row-major, rows = frames) as
// a PNG: time runs left to right, dimension 0 (the lowest frequency) is at
// the bottom, colours from dark blue (low) to yellow (high).
func Heatmap(w io.Writer, rows, cols int, data []float32, opts HeatmapOptions) error {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		return fmt.Errorf("plot: heatmap of %d×%d needs %d values, got %d", rows, cols, rows*cols, len(data))
	}
	if opts.ScaleX <= 0 {
		opts.ScaleX = 2
	}
	if opts.ScaleY <= 0 {
		opts.ScaleY = 3
	}
	if opts.Clip == 0 {
		opts.Clip = 0.01
	}
	if opts.Clip < 0 || opts.Clip >= 0.5 {
		return fmt.Errorf("plot: clip %v outside [0, 0.5)", opts.Clip)
	}
	lo, hi := valueRange(data, opts.Clip)
	width, height := rows*opts.ScaleX, cols*opts.ScaleY
	if int64(width)*int64(height) > 1<<28 {
		return fmt.Errorf("plot: heatmap of %d×%d pixels is too large", width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			v := float64(data[r*cols+c])
			t := 0.0
			if hi > lo {
				t = (v - lo) / (hi - lo)
			}
			col := colormap(t)
			y0 := (cols - 1 - c) * opts.ScaleY
			for dy := 0; dy < opts.ScaleY; dy++ {
				for dx := 0; dx < opts.ScaleX; dx++ {
					img.SetRGBA(r*opts.ScaleX+dx, y0+dy, col)
				}
			}
		}
	}
	return png.Encode(w, img)
}

// valueRange returns the clip and 1−clip quantiles of the finite values.
func valueRange(data []float32, clip float64) (lo, hi float64) {
	vals := make([]float64, 0, len(data))
	for _, v := range data {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			vals = append(vals, f)
		}
	}
	if len(vals) == 0 {
		return 0, 0
	}
	sort.Float64s(vals)
	i := int(clip * float64(len(vals)-1))
	return vals[i], vals[len(vals)-1-i]
}

// colormap maps t in [0, 1] to a perceptually ordered palette from dark
// blue through green to yellow (a coarse viridis).
func colormap(t float64) color.RGBA {
	stops := [...][3]float64{{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}
	if math.IsNaN(t) {
		t = 0
	}
	t = math.Max(0, math.Min(1, t))
	pos := t * float64(len(stops)-1)
	i := int(pos)
	if i >= len(stops)-1 {
		i = len(stops) - 2
	}
	f := pos - float64(i)
	a, b := stops[i], stops[i+1]
	return color.RGBA{
		R: uint8(a[0] + f*(b[0]-a[0]) + 0.5),
		G: uint8(a[1] + f*(b[1]-a[1]) + 0.5),
		B: uint8(a[2] + f*(b[2]-a[2]) + 0.5),
		A: 255,
	}
}
