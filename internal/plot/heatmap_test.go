package plot

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

func TestHeatmap(t *testing.T) {
	rows, cols := 10, 4
	data := make([]float32, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			data[r*cols+c] = float32(c) // higher bins are brighter
		}
	}
	var buf bytes.Buffer
	if err := Heatmap(&buf, rows, cols, data, HeatmapOptions{ScaleX: 1, ScaleY: 1, Clip: 1e-9}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != rows || b.Dy() != cols {
		t.Fatalf("image %v, want %d×%d", b, rows, cols)
	}
	// Bin 0 is drawn at the bottom and is darker than the top bin.
	lum := func(x, y int) float64 {
		r, g, b, _ := img.At(x, y).RGBA()
		return 0.3*float64(r) + 0.59*float64(g) + 0.11*float64(b)
	}
	if !(lum(0, cols-1) < lum(0, 0)) {
		t.Error("lowest bin should be at the bottom and darkest")
	}
}

func TestHeatmapErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Heatmap(&buf, 2, 2, []float32{1, 2, 3}, HeatmapOptions{}); err == nil {
		t.Error("wrong data length: want error")
	}
	if err := Heatmap(&buf, 0, 2, nil, HeatmapOptions{}); err == nil {
		t.Error("empty: want error")
	}
	// NaN and ±Inf are drawn, not fatal.
	d := []float32{float32(math.NaN()), float32(math.Inf(1)), 1, 2}
	if err := Heatmap(&buf, 2, 2, d, HeatmapOptions{}); err != nil {
		t.Error(err)
	}
}
