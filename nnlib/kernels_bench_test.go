package nnlib_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/parley-ai/parley/nnlib"
)

// benchGraph builds a float32 inference graph with build, binds random
// inputs and reports the time of one run.
func benchGraph(b *testing.B, build func(g *nnlib.Graph, ps *nnlib.ParamSet) []*nnlib.Node, lens map[string]float64) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
	outs := build(g, ps)
	for _, o := range outs {
		g.Output(o)
	}
	m, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, name := range g.InputNames() {
		n := g.InputNode(name)
		size := 1
		for _, d := range n.Shape() {
			size *= d
		}
		v := make([]float32, size)
		for i := range v {
			if l, ok := lens[name]; ok {
				v[i] = float32(l)
			} else {
				v[i] = float32(rng.NormFloat64())
			}
		}
		if err := m.Let(n, v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func param(b *testing.B, ps *nnlib.ParamSet, name string, shape ...int) *nnlib.Param {
	p, err := ps.Add(name, shape, nnlib.Glorot)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkAttentionStep is one additive-attention decoder step on the
// seq2seq benchmark's shapes (S=50, B=32, A=256, values 512).
func BenchmarkAttentionStep(b *testing.B) {
	const S, B, A, D, H = 50, 32, 256, 512, 256
	benchGraph(b, func(g *nnlib.Graph, ps *nnlib.ParamSet) []*nnlib.Node {
		ctx, alpha := g.AdditiveAttention(g.Input("q", B, H), g.Input("keys", S, B, A), g.Input("values", S, B, D), g.Input("lens", B),
			g.Param(param(b, ps, "wq", H, A)), g.Param(param(b, ps, "bq", A)), g.Param(param(b, ps, "v", A)))
		return []*nnlib.Node{ctx, alpha}
	}, map[string]float64{"in:lens": S, "lens": S})
}

// BenchmarkBiLSTMLayer is one bidirectional LSTM layer's forward pass over
// the benchmark's source batch (S=50, B=32, H=256).
func BenchmarkBiLSTMLayer(b *testing.B) {
	const S, B, H = 50, 32, 256
	benchGraph(b, func(g *nnlib.Graph, ps *nnlib.ParamSet) []*nnlib.Node {
		lens := g.Input("lens", B)
		o := make([]*nnlib.Node, 6)
		o[0], o[1], o[2], o[3], o[4], o[5] = g.BiLSTMSeq(g.Input("xf", S, B, 4*H), g.Param(param(b, ps, "whf", H, 4*H)),
			g.Input("xb", S, B, 4*H), g.Param(param(b, ps, "whb", H, 4*H)), lens)
		return o[:1]
	}, map[string]float64{"lens": S})
}

// BenchmarkLSTMDirection is one LSTM direction's forward pass (S=50, B=32,
// H=256): half the work of BenchmarkBiLSTMLayer, on one core.
func BenchmarkLSTMDirection(b *testing.B) {
	const S, B, H = 50, 32, 256
	benchGraph(b, func(g *nnlib.Graph, ps *nnlib.ParamSet) []*nnlib.Node {
		hs, _, _ := g.LSTMSeq(g.Input("xf", S, B, 4*H), g.Param(param(b, ps, "whf", H, 4*H)), g.Input("lens", B), false)
		return []*nnlib.Node{hs}
	}, map[string]float64{"lens": S})
}
