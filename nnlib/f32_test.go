package nnlib_test

import (
	"context"
	"math"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// TestFloat32MatchesFloat64 runs the recurrent and attention kernels in
// float32 (fast activations, vector tanh) and float64 (exact maths, which
// the gradient checks verify) on the same weights and compares the loss
// and every gradient.
func TestFloat32MatchesFloat64(t *testing.T) {
	const S, B, H, A = 7, 5, 16, 12
	lens := []float64{7, 3, 5, 1, 6}
	build := func(dt nnlib.Dtype) (*nnlib.ParamSet, float64) {
		ps := nnlib.NewParamSet(dt, 42) // same seed: same initial values
		add := func(name string, shape []int, init nnlib.Init) *nnlib.Param {
			return nntest.MustParam(t, ps, name, shape, init)
		}
		x := add("x", []int{S, B, 4 * H}, nnlib.Uniform(2))
		wf := add("wf", []int{H, 4 * H}, nnlib.Orthogonal)
		wb := add("wb", []int{H, 4 * H}, nnlib.Orthogonal)
		wx := add("cell.wx", []int{2 * H, 4 * H}, nnlib.Glorot)
		wh := add("cell.wh", []int{H, 4 * H}, nnlib.Orthogonal)
		bc := add("cell.b", []int{4 * H}, nnlib.Uniform(0.5))
		u := add("att.u", []int{2 * H, A}, nnlib.Glorot)
		wq := add("att.wq", []int{H, A}, nnlib.Glorot)
		bq := add("att.bq", []int{A}, nnlib.Uniform(0.5))
		v := add("att.v", []int{A}, nnlib.Uniform(1))
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true})
		ln := g.Input("lens", B)
		hf, hTf, cTf, hb, hTb, _ := g.BiLSTMSeq(g.Param(x), g.Param(wf), g.Param(x), g.Param(wb), ln)
		enc := g.Concat(2, hf, hb)
		keys := g.Linear(enc, g.Param(u), nil)
		h, c := hTf, cTf
		var loss *nnlib.Node
		var feeds []func(*nnlib.Machine) error
		for step := 0; step < 3; step++ {
			h, c = g.LSTMCell(g.Concat(1, hTb, h), h, c, g.Param(wx), g.Param(wh), g.Param(bc))
			ctx, alpha := g.AdditiveAttention(h, keys, enc, ln, g.Param(wq), g.Param(bq), g.Param(v))
			l1, f1 := nntest.Project(g, ctx, "r"+string(rune('a'+step)), uint64(step+1))
			l2, f2 := nntest.Project(g, alpha, "s"+string(rune('a'+step)), uint64(step+9))
			feeds = append(feeds, f1, f2)
			l := g.Add(l1, l2)
			if loss == nil {
				loss = l
			} else {
				loss = g.Add(loss, l)
			}
		}
		g.SetLoss(loss)
		m, err := g.Compile()
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Let(ln, lens); err != nil {
			t.Fatal(err)
		}
		for _, f := range feeds {
			if err := f(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return ps, m.Loss()
	}
	p32, l32 := build(nnlib.Float32)
	p64, l64 := build(nnlib.Float64)
	if math.Abs(l32-l64) > 1e-4*math.Max(1, math.Abs(l64)) {
		t.Errorf("loss float32 %v, float64 %v", l32, l64)
	}
	for i, p := range p64.Params() {
		g64 := p.Grad.Data().([]float64)
		g32 := p32.Params()[i].Grad.Data().([]float32)
		scale := 0.0
		for _, x := range g64 {
			scale = math.Max(scale, math.Abs(x))
		}
		for j := range g64 {
			if d := math.Abs(float64(g32[j]) - g64[j]); d > 1e-4*math.Max(scale, 1e-3) {
				t.Errorf("%s[%d]: float32 grad %v, float64 %v", p.Name, j, g32[j], g64[j])
				break
			}
		}
	}
}
