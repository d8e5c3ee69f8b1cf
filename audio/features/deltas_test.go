package features

import (
	"errors"
	"math"
	"testing"
)

// seqMatrix returns a T×2 matrix with column 0 = f(t) and column 1 = −f(t).
func seqMatrix(T int, f func(t float64) float64) Matrix {
	m := NewMatrix(T, 2)
	for t := 0; t < T; t++ {
		m.Row(t)[0] = float32(f(float64(t)))
		m.Row(t)[1] = -float32(f(float64(t)))
	}
	return m
}

// TestDeltaScales checks Kaldi's regression windows for N = 2: the delta
// [−2 −1 0 1 2]/10 and the delta-delta, its self-convolution,
// [4 4 1 −4 −10 −4 1 4 4]/100.
func TestDeltaScales(t *testing.T) {
	s := deltaScales(DefaultDeltaConfig())
	want := [][]float64{
		{1},
		{-0.2, -0.1, 0, 0.1, 0.2},
		{0.04, 0.04, 0.01, -0.04, -0.1, -0.04, 0.01, 0.04, 0.04},
	}
	for i := range want {
		if len(s[i]) != len(want[i]) {
			t.Fatalf("order %d: %v, want %v", i, s[i], want[i])
		}
		for j := range want[i] {
			if math.Abs(s[i][j]-want[i][j]) > 1e-15 {
				t.Fatalf("order %d: %v, want %v", i, s[i], want[i])
			}
		}
	}
}

func TestDeltas(t *testing.T) {
	const T = 12
	near := func(a float32, b float64) bool { return math.Abs(float64(a)-b) < 1e-5 }
	t.Run("ramp", func(t *testing.T) {
		// x_t = t: delta 1 away from the edges; at the edges the clamped
		// frames give Σ_j j·x_{clamp(t+j)}/10: t=0: (−2·0 − 1·0 + 1·1 +
		// 2·2)/10 = 0.5, t=1: (−2·0 − 1·0 + 1·2 + 2·3)/10 = 0.8, and the
		// same at the end.
		d, err := Deltas(Matrix{}, seqMatrix(T, func(t float64) float64 { return t }), DeltaConfig{Order: 1, Window: 2})
		if err != nil {
			t.Fatal(err)
		}
		if d.Rows != T || d.Cols != 4 {
			t.Fatalf("shape %d×%d, want %d×4", d.Rows, d.Cols, T)
		}
		want := map[int]float64{0: 0.5, 1: 0.8, T - 2: 0.8, T - 1: 0.5}
		for r := 0; r < T; r++ {
			w, edge := want[r]
			if !edge {
				w = 1
			}
			row := d.Row(r)
			if row[0] != float32(r) || row[1] != -float32(r) || !near(row[2], w) || !near(row[3], -w) {
				t.Errorf("frame %d: %v, want [%d %d %g %g]", r, row, r, -r, w, -w)
			}
		}
	})
	t.Run("quadratic", func(t *testing.T) {
		// x_t = t²: delta 2t and delta-delta 2 at least 4 frames from the
		// edges.
		d, err := Deltas(Matrix{}, seqMatrix(T, func(t float64) float64 { return t * t }), DefaultDeltaConfig())
		if err != nil {
			t.Fatal(err)
		}
		if d.Cols != 6 {
			t.Fatalf("%d columns, want 6", d.Cols)
		}
		for r := 4; r < T-4; r++ {
			row := d.Row(r)
			if !near(row[2], 2*float64(r)) || !near(row[4], 2) || !near(row[5], -2) {
				t.Errorf("frame %d: %v, want delta %d, delta-delta 2", r, row, 2*r)
			}
		}
	})
	t.Run("constant", func(t *testing.T) {
		d, err := Deltas(Matrix{}, seqMatrix(3, func(float64) float64 { return 7 }), DeltaConfig{Order: 3, Window: 4})
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < 3; r++ {
			for j, v := range d.Row(r)[2:] {
				if math.Abs(float64(v)) > 1e-5 {
					t.Errorf("frame %d dynamic feature %d of a constant = %v", r, j, v)
				}
			}
		}
	})
	t.Run("order0_copies", func(t *testing.T) {
		in := seqMatrix(5, math.Sqrt)
		d, err := Deltas(Matrix{}, in, DeltaConfig{Order: 0, Window: 2})
		if err != nil || maxAbsDiff(d.Data, in.Data) != 0 {
			t.Errorf("order 0: %v, %v", d, err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		d, err := Deltas(Matrix{}, Matrix{Cols: 3}, DefaultDeltaConfig())
		if err != nil || d.Rows != 0 || d.Cols != 9 {
			t.Errorf("no frames: %d×%d, %v", d.Rows, d.Cols, err)
		}
	})
}

func TestDeltasErrors(t *testing.T) {
	good := seqMatrix(4, math.Sqrt)
	for _, cfg := range []DeltaConfig{{-1, 2}, {10, 2}, {2, 0}, {2, 100}} {
		if _, err := Deltas(Matrix{}, good, cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Deltas(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := Deltas(Matrix{}, Matrix{Rows: 2, Cols: 3, Data: make([]float32, 5)}, DefaultDeltaConfig()); err == nil {
		t.Errorf("malformed matrix: no error")
	}
}
