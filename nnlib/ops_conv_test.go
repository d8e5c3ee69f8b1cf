package nnlib_test

import (
	"fmt"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

var convCases = []struct {
	name string
	cfg  nnlib.ConvConfig
	bias bool
}{
	{"defaults", nnlib.ConvConfig{}, true},
	{"no_bias", nnlib.ConvConfig{}, false},
	{"stride2", nnlib.ConvConfig{Stride: 2}, true},
	{"dilation2", nnlib.ConvConfig{Dilation: 2}, true},
	{"padding1", nnlib.ConvConfig{Padding: 1}, true},
	{"stride2_padding1", nnlib.ConvConfig{Stride: 2, Padding: 1}, true},
	{"dilation2_padding1", nnlib.ConvConfig{Dilation: 2, Padding: 1}, true},
	{"stride2_dilation2_padding1", nnlib.ConvConfig{Stride: 2, Dilation: 2, Padding: 1}, false},
}

func TestGradConv1D(t *testing.T) {
	const T, B, C, K, O = 8, 2, 3, 3, 4
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			ps := nnlib.NewParamSet(nnlib.Float64, 1)
			x := nntest.MustParam(t, ps, "x", []int{T, B, C}, nnlib.Uniform(1))
			w := nntest.MustParam(t, ps, "w", []int{K, C, O}, nnlib.Uniform(1))
			var b *nnlib.Param
			if tc.bias {
				b = nntest.MustParam(t, ps, "b", []int{O}, nnlib.Uniform(1))
			}
			var feed func(*nnlib.Machine) error
			nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
				var bn *nnlib.Node
				if b != nil {
					bn = g.Param(b)
				}
				y := g.Conv1D(g.Param(x), g.Param(w), bn, tc.cfg)
				if want := nnlib.ConvOutLen(T, K, tc.cfg); g.Err() == nil && y.Shape()[0] != want {
					return fmt.Errorf("output shape %v, want %d frames", y.Shape(), want)
				}
				var loss *nnlib.Node
				loss, feed = nntest.Project(g, y, "r", 3)
				g.SetLoss(loss)
				return g.Err()
			}, func(m *nnlib.Machine) error { return feed(m) }, nntest.CheckConfig{})
		})
	}
}

// TestConv1DForward compares with the direct definition of the
// convolution (PyTorch Conv1d: cross-correlation, zero padding).
func TestConv1DForward(t *testing.T) {
	const T, B, C, K, O = 9, 2, 3, 3, 2
	rng := nntest.Rand(11)
	xv := nntest.Uniform(rng, T*B*C, 1)
	wv := nntest.Uniform(rng, K*C*O, 1)
	bv := nntest.Uniform(rng, O, 1)
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			x, w := g.Input("x", T, B, C), g.Input("w", K, C, O)
			feeds := map[*nnlib.Node][]float64{x: xv, w: wv}
			var b *nnlib.Node
			if tc.bias {
				b = g.Input("b", O)
				feeds[b] = bv
			}
			y := g.Output(g.Conv1D(x, w, b, tc.cfg))
			got := runOutputs(t, g, feeds, y)[0]
			s, d, p := max(tc.cfg.Stride, 1), max(tc.cfg.Dilation, 1), tc.cfg.Padding
			tout := nnlib.ConvOutLen(T, K, tc.cfg)
			want := make([]float64, 0, tout*B*O)
			for to := 0; to < tout; to++ {
				for bi := 0; bi < B; bi++ {
					for o := 0; o < O; o++ {
						v := 0.0
						if tc.bias {
							v = bv[o]
						}
						for j := 0; j < K; j++ {
							ti := to*s + j*d - p
							if ti < 0 || ti >= T {
								continue
							}
							for c := 0; c < C; c++ {
								v += xv[(ti*B+bi)*C+c] * wv[(j*C+c)*O+o]
							}
						}
						want = append(want, v)
					}
				}
			}
			assertClose(t, "conv1d", got, want, 1e-12)
		})
	}
}

func TestConvOutLen(t *testing.T) {
	for _, tc := range []struct {
		t, k int
		cfg  nnlib.ConvConfig
		want int
	}{
		{10, 3, nnlib.ConvConfig{}, 8},
		{10, 3, nnlib.ConvConfig{Padding: 1}, 10},
		{10, 3, nnlib.ConvConfig{Stride: 2, Padding: 1}, 5},
		{10, 3, nnlib.ConvConfig{Stride: 2, Dilation: 2, Padding: 1}, 4},
		{11, 3, nnlib.ConvConfig{Stride: 2}, 5},
		{3, 3, nnlib.ConvConfig{}, 1},
		{2, 3, nnlib.ConvConfig{}, 0}, // (2−2−1)/1+1 = 0
		{1, 5, nnlib.ConvConfig{}, 0}, // negative numerator floors, not truncates
		{1, 5, nnlib.ConvConfig{Stride: 3}, 0},
		{1, 3, nnlib.ConvConfig{Padding: 1}, 1},
		{10, 3, nnlib.ConvConfig{Stride: -1}, 0},
	} {
		if got := nnlib.ConvOutLen(tc.t, tc.k, tc.cfg); got != tc.want {
			t.Errorf("ConvOutLen(%d, %d, %+v) = %d, want %d", tc.t, tc.k, tc.cfg, got, tc.want)
		}
	}
}

func TestConv1DErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		x, w, b   []int
		cfg       nnlib.ConvConfig
		wantShape bool
	}{
		{"x rank", []int{5, 6}, []int{3, 6, 2}, nil, nnlib.ConvConfig{}, true},
		{"channels", []int{5, 2, 3}, []int{3, 4, 2}, nil, nnlib.ConvConfig{}, true},
		{"w rank", []int{5, 2, 3}, []int{3, 6}, nil, nnlib.ConvConfig{}, true},
		{"bias", []int{5, 2, 3}, []int{3, 3, 2}, []int{3}, nnlib.ConvConfig{}, true},
		{"too short", []int{2, 2, 3}, []int{3, 3, 2}, nil, nnlib.ConvConfig{}, true},
		{"too short dilated", []int{4, 2, 3}, []int{3, 3, 2}, nil, nnlib.ConvConfig{Dilation: 2}, true},
		{"negative stride", []int{5, 2, 3}, []int{3, 3, 2}, nil, nnlib.ConvConfig{Stride: -1}, false},
		{"negative padding", []int{5, 2, 3}, []int{3, 3, 2}, nil, nnlib.ConvConfig{Padding: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			var b *nnlib.Node
			if tc.b != nil {
				b = g.Input("b", tc.b...)
			}
			y := g.Conv1D(g.Input("x", tc.x...), g.Input("w", tc.w...), b, tc.cfg)
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
