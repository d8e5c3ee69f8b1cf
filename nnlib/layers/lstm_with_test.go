package layers_test

import (
	"context"
	"math"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/layers"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// TestLSTMApplyWith: ApplyWith(x, c) equals Apply on [x_t ; c] with c
// repeated over the steps, for a stacked bidirectional LSTM with padding.
func TestLSTMApplyWith(t *testing.T) {
	const S, B, Dx, Dc, H = 4, 3, 3, 2, 5
	lens := []float64{4, 1, 3}
	ps := nnlib.NewParamSet(nnlib.Float64, 7)
	lstm, err := layers.NewLSTM(ps, "l", layers.LSTMConfig{Input: Dx + Dc, Hidden: H, Layers: 2, Bidirectional: true})
	if err != nil {
		t.Fatal(err)
	}
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
	x, c, ln := g.Input("x", S, B, Dx), g.Input("c", B, Dc), g.Input("lens", B)
	reps := make([]*nnlib.Node, S)
	for i := range reps {
		reps[i] = c
	}
	full := g.Concat(2, x, g.Reshape(g.Concat(0, reps...), S, B, Dc))
	want := lstm.Apply(g, full, ln)
	got := lstm.ApplyWith(g, x, c, ln)
	pairs := [][2]*nnlib.Node{{want.Seq, got.Seq}, {want.H, got.H}, {want.C, got.C}}
	for _, p := range pairs {
		g.Output(p[0])
		g.Output(p[1])
	}
	m, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rng := nntest.Rand(9)
	for _, in := range []struct {
		n *nnlib.Node
		v []float64
	}{{x, nntest.Uniform(rng, S*B*Dx, 1)}, {c, nntest.Uniform(rng, B*Dc, 1)}, {ln, lens}} {
		if err := m.Let(in.n, in.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		w, _ := m.Value(p[0])
		g, _ := m.Value(p[1])
		for j := range w {
			if math.Abs(w[j]-g[j]) > 1e-12 {
				t.Fatalf("output %d [%d]: ApplyWith %v, Apply on the concatenation %v", i, j, g[j], w[j])
			}
		}
	}
}

// TestGradLSTMApplyWith gradient-checks ApplyWith in x, c and the weights.
func TestGradLSTMApplyWith(t *testing.T) {
	const S, B, Dx, Dc, H = 3, 2, 2, 3, 3
	ps := nnlib.NewParamSet(nnlib.Float64, 5)
	lstm, err := layers.NewLSTM(ps, "l", layers.LSTMConfig{Input: Dx + Dc, Hidden: H, Layers: 1, Bidirectional: true})
	if err != nil {
		t.Fatal(err)
	}
	x := nntest.MustParam(t, ps, "x", []int{S, B, Dx}, nnlib.Uniform(1))
	c := nntest.MustParam(t, ps, "c", []int{B, Dc}, nnlib.Uniform(1))
	var feeds []func(*nnlib.Machine) error
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		feeds = feeds[:0]
		ln := g.Input("lens", B)
		feeds = append(feeds, func(m *nnlib.Machine) error { return m.Let(ln, []float64{3, 2}) })
		out := lstm.ApplyWith(g, g.Param(x), g.Param(c), ln)
		l1, f1 := nntest.Project(g, out.Seq, "r1", 1)
		l2, f2 := nntest.Project(g, out.H, "r2", 2)
		feeds = append(feeds, f1, f2)
		g.SetLoss(g.Add(l1, l2))
		return g.Err()
	}, func(m *nnlib.Machine) error {
		for _, f := range feeds {
			if err := f(m); err != nil {
				return err
			}
		}
		return nil
	}, nntest.CheckConfig{})
}

// TestLSTMApplyWithShapes: inputs that do not add up to the layer's input
// size are a build error, not a panic.
func TestLSTMApplyWithShapes(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	lstm, err := layers.NewLSTM(ps, "l", layers.LSTMConfig{Input: 5, Hidden: 2, Layers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range [][2][]int{{{3, 2, 3}, {2, 3}}, {{3, 2, 3}, {2, 1}}, {{3, 2}, {2, 2}}, {{3, 2, 3}, {3, 2}}} {
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		lstm.ApplyWith(g, g.Input("x", sh[0]...), g.Input("c", sh[1]...), g.Input("lens", 2))
		if g.Err() == nil {
			t.Errorf("x %v with c %v for 5 inputs: no error", sh[0], sh[1])
		}
	}
}
