package nnlib_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// logInit fills a parameter with values in [0.2, 2.2], every seventh one
// replaced by 0.01, below the floor the tests use (0.05), so both branches
// of the floored log are checked.
func logInit(dst []float64, _ []int, rng *rand.Rand) {
	for i := range dst {
		dst[i] = 0.2 + 2*rng.Float64()
		if i%7 == 3 {
			dst[i] = 0.01
		}
	}
}

func TestGradLog(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float64, 6)
	x := nntest.MustParam(t, ps, "x", []int{4, 5}, logInit)
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		l, fn := nntest.Project(g, g.Log(g.Param(x), 0.05), "r", 1)
		f.add(fn)
		g.SetLoss(l)
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}

// TestGradLogOfLinear checks the log behind a product, as the filterbank
// graph of audio/features uses it: log(max(x·w, floor)).
func TestGradLogOfLinear(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float64, 7)
	x := nntest.MustParam(t, ps, "x", []int{3, 6}, logInit)
	w := nntest.MustParam(t, ps, "w", []int{6, 4}, logInit)
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		l, fn := nntest.Project(g, g.Log(g.Linear(g.Param(x), g.Param(w), nil), 0.05), "r", 2)
		f.add(fn)
		g.SetLoss(l)
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}

func TestLogForward(t *testing.T) {
	xv := []float64{1, math.E, 1e-9, 0, -3, 0.5, 1e30, math.NaN()}
	const floor = 1.1920928955078125e-07 // float32 machine epsilon, Kaldi's floor
	want := make([]float64, len(xv))
	for i, v := range xv {
		want[i] = math.Log(math.Max(v, floor))
	}
	want[len(want)-1] = math.NaN()
	for _, dt := range []nnlib.Dtype{nnlib.Float64, nnlib.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(dt, 1), nnlib.GraphConfig{})
			x := g.Input("x", 2, 4)
			got := runOutputs(t, g, map[*nnlib.Node][]float64{x: xv}, g.Output(g.Log(x, floor)))[0]
			tol := 1e-15
			if dt == nnlib.Float32 {
				tol = 1e-6
			}
			if !math.IsNaN(got[len(got)-1]) {
				t.Errorf("log(NaN) = %v, want NaN", got[len(got)-1])
			}
			assertClose(t, "log", got[:len(got)-1], want[:len(want)-1], tol)
		})
	}
}

func TestLogErrors(t *testing.T) {
	for _, floor := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float32, 1), nnlib.GraphConfig{})
		g.Log(g.Input("x", 3), floor)
		if g.Err() == nil {
			t.Errorf("Log(floor=%v): no error", floor)
		}
	}
	g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float32, 1), nnlib.GraphConfig{})
	if g.Log(nil, 1); g.Err() == nil {
		t.Errorf("Log(nil): no error")
	}
}

// testBand is a band over 7 input rows for 4 columns, with an empty one.
var testBand = struct{ lo, hi []int }{[]int{0, 2, 5, 3}, []int{3, 6, 7, 3}}

func TestGradBandLinear(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float64, 8)
	x := nntest.MustParam(t, ps, "x", []int{2, 3, 7}, nnlib.Uniform(1))
	w := nntest.MustParam(t, ps, "w", []int{7, 4}, nnlib.Uniform(1))
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		l, fn := nntest.Project(g, g.BandLinear(g.Param(x), g.Param(w), testBand.lo, testBand.hi), "r", 3)
		f.add(fn)
		g.SetLoss(l)
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}

// TestBandLinearForward compares with Linear on w masked to the band:
// values outside the band must be ignored.
func TestBandLinearForward(t *testing.T) {
	rng := nntest.Rand(4)
	xv, wv := nntest.Uniform(rng, 3*7, 2), nntest.Uniform(rng, 7*4, 1)
	masked := append([]float64(nil), wv...)
	for i := 0; i < 7; i++ {
		for j := 0; j < 4; j++ {
			if i < testBand.lo[j] || i >= testBand.hi[j] {
				masked[i*4+j] = 0
			}
		}
	}
	for _, dt := range []nnlib.Dtype{nnlib.Float64, nnlib.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(dt, 1), nnlib.GraphConfig{})
			x, w, wm := g.Input("x", 3, 7), g.Input("w", 7, 4), g.Input("wm", 7, 4)
			got := runOutputs(t, g, map[*nnlib.Node][]float64{x: xv, w: wv, wm: masked},
				g.Output(g.BandLinear(x, w, testBand.lo, testBand.hi)), g.Output(g.Linear(x, wm, nil)))
			tol := 1e-12
			if dt == nnlib.Float32 {
				tol = 1e-5
			}
			assertClose(t, "band linear", got[0], got[1], tol)
			for r := 0; r < 3; r++ {
				if got[0][r*4+3] != 0 {
					t.Errorf("empty band gave %v", got[0][r*4+3])
				}
			}
		})
	}
}

func TestBandLinearErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		xs, ws []int
		lo, hi []int
	}{
		"x_width":     {[]int{2, 6}, []int{7, 4}, testBand.lo, testBand.hi},
		"w_rank":      {[]int{2, 7}, []int{7}, nil, nil},
		"count":       {[]int{2, 7}, []int{7, 4}, []int{0, 0, 0}, []int{1, 1, 1}},
		"beyond":      {[]int{2, 7}, []int{7, 4}, []int{0, 0, 0, 0}, []int{1, 1, 8, 1}},
		"negative":    {[]int{2, 7}, []int{7, 4}, []int{0, -1, 0, 0}, []int{1, 1, 1, 1}},
		"lo_above_hi": {[]int{2, 7}, []int{7, 4}, []int{0, 3, 0, 0}, []int{1, 2, 1, 1}},
	} {
		g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float32, 1), nnlib.GraphConfig{})
		if g.BandLinear(g.Input("x", tc.xs...), g.Input("w", tc.ws...), tc.lo, tc.hi); g.Err() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float32, 1), nnlib.GraphConfig{})
	if g.BandLinear(nil, g.Input("w", 7, 4), testBand.lo, testBand.hi); g.Err() == nil {
		t.Errorf("nil x: no error")
	}
}
