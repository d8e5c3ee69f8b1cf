package nnlib_test

import (
	"math"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

func TestGradLayerNorm(t *testing.T) {
	for _, tc := range []struct {
		name       string
		shape      []int
		gain, bias bool
		eps        float64
	}{
		{"gain_bias_3d", []int{2, 3, 5}, true, true, 1e-5},
		{"gain_only", []int{4, 6}, true, false, 1e-5},
		{"bias_only", []int{4, 6}, false, true, 1e-3},
		{"plain_1d", []int{7}, false, false, 1e-5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			D := tc.shape[len(tc.shape)-1]
			ps := nnlib.NewParamSet(nnlib.Float64, 1)
			x := nntest.MustParam(t, ps, "x", tc.shape, nnlib.Uniform(2))
			var gain, bias *nnlib.Param
			if tc.gain {
				gain = nntest.MustParam(t, ps, "gain", []int{D}, nnlib.Uniform(1.5))
			}
			if tc.bias {
				bias = nntest.MustParam(t, ps, "bias", []int{D}, nnlib.Uniform(1))
			}
			var feed func(*nnlib.Machine) error
			nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
				var gn, bn *nnlib.Node
				if gain != nil {
					gn = g.Param(gain)
				}
				if bias != nil {
					bn = g.Param(bias)
				}
				y := g.LayerNorm(g.Param(x), gn, bn, tc.eps)
				var loss *nnlib.Node
				loss, feed = nntest.Project(g, y, "r", 3)
				g.SetLoss(loss)
				return g.Err()
			}, func(m *nnlib.Machine) error { return feed(m) }, nntest.CheckConfig{})
		})
	}
}

// TestLayerNormForward compares with the definition (biased variance, as
// PyTorch's LayerNorm).
func TestLayerNormForward(t *testing.T) {
	const N, D, eps = 3, 5, 1e-5
	rng := nntest.Rand(4)
	xv := nntest.Uniform(rng, N*D, 3)
	gv := nntest.Uniform(rng, D, 2)
	bv := nntest.Uniform(rng, D, 1)
	g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
	x, gain, bias := g.Input("x", N, D), g.Input("gain", D), g.Input("bias", D)
	y := g.Output(g.LayerNorm(x, gain, bias, eps))
	got := runOutputs(t, g, map[*nnlib.Node][]float64{x: xv, gain: gv, bias: bv}, y)[0]
	want := make([]float64, 0, N*D)
	for r := 0; r < N; r++ {
		row := xv[r*D : (r+1)*D]
		mu, v := 0.0, 0.0
		for _, a := range row {
			mu += a / D
		}
		for _, a := range row {
			v += (a - mu) * (a - mu) / D
		}
		for j, a := range row {
			want = append(want, (a-mu)/math.Sqrt(v+eps)*gv[j]+bv[j])
		}
	}
	assertClose(t, "layer norm", got, want, 1e-12)
}

func TestLayerNormErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		gain, bias []int
		eps        float64
		wantShape  bool
	}{
		{"gain size", []int{4}, []int{5}, 1e-5, true},
		{"bias size", []int{5}, []int{5, 1}, 1e-5, true},
		{"negative eps", []int{5}, []int{5}, -1, false},
		{"NaN eps", []int{5}, []int{5}, math.NaN(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			y := g.LayerNorm(g.Input("x", 2, 5), g.Input("gain", tc.gain...), g.Input("bias", tc.bias...), tc.eps)
			if y == nil {
				t.Fatalf("nil node")
			}
			if tc.wantShape {
				assertShapeError(t, g)
			} else if g.Err() == nil {
				t.Fatalf("no error")
			}
		})
	}
}
