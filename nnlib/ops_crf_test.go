package nnlib_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// crfCase is a padded batch for CRFLoss: S steps, B sentences, K tags.
type crfCase struct {
	S, B, K int
	tags    []int // (S,B), −1 past a length
	lens    []int
}

// crfVariety has a full-length sentence, a shorter one with junk
// padding, a one-token sentence and an empty one.
var crfVariety = crfCase{S: 4, B: 4, K: 3,
	tags: []int{
		0, 2, 1, -1,
		1, 2, -1, -1,
		1, 0, -1, 9, // 9: junk past a length, never read
		2, -1, -1, -1,
	},
	lens: []int{4, 3, 1, 0}}

// crfRef is the loss by enumerating every tag sequence.
func crfRef(c crfCase, em, tr []float64) float64 {
	K := c.K
	score := func(b int, y []int) float64 {
		s := tr[K*K+y[0]] + tr[(K+1)*K+y[len(y)-1]]
		for t, v := range y {
			s += em[(t*c.B+b)*K+v]
			if t > 0 {
				s += tr[y[t-1]*K+v]
			}
		}
		return s
	}
	var total float64
	tokens := 0
	for b, n := range c.lens {
		if n == 0 {
			continue
		}
		tokens += n
		gold := make([]int, n)
		for t := range gold {
			gold[t] = c.tags[t*c.B+b]
		}
		var scores []float64
		y := make([]int, n)
		var walk func(t int)
		walk = func(t int) {
			if t == n {
				scores = append(scores, score(b, y))
				return
			}
			for v := range K {
				y[t] = v
				walk(t + 1)
			}
		}
		walk(0)
		logZ := scores[0] - logSoftmaxRef(scores)[0] // log Σ exp(scores)
		total += logZ - score(b, gold)
	}
	if tokens == 0 {
		return 0
	}
	return total / float64(tokens)
}

// build adds CRFLoss over parameters em (S,B,K) and tr (K+2,K) to g.
func (c crfCase) build(g *nnlib.Graph, em, tr *nnlib.Param) (*nnlib.Node, func(m *nnlib.Machine) error) {
	tg, ln := g.Input("tags", c.S, c.B), g.Input("lens", c.B)
	loss := g.CRFLoss(g.Param(em), g.Param(tr), tg, ln)
	return loss, func(m *nnlib.Machine) error {
		return errors.Join(m.Let(tg, floats(c.tags)), m.Let(ln, floats(c.lens)))
	}
}

func TestCRFLossForward(t *testing.T) {
	c := crfVariety
	for _, dt := range []nnlib.Dtype{nnlib.Float64, nnlib.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			ps := nnlib.NewParamSet(dt, 3)
			em := nntest.MustParam(t, ps, "em", []int{c.S, c.B, c.K}, nnlib.Uniform(3))
			tr := nntest.MustParam(t, ps, "tr", []int{c.K + 2, c.K}, nnlib.Uniform(2))
			g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true})
			loss, feed := c.build(g, em, tr)
			g.SetLoss(loss)
			if err := g.Err(); err != nil {
				t.Fatal(err)
			}
			m, err := g.Compile()
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			vals := func(p *nnlib.Param) []float64 {
				if dt == nnlib.Float64 {
					return p.F64()
				}
				return floats32(p.F32())
			}
			want := crfRef(c, vals(em), vals(tr))
			tol := 1e-10
			if dt == nnlib.Float32 {
				tol = 1e-5
			}
			// Twice: nothing from the first run may leak into the second.
			for run := range 2 {
				if err := feed(m); err != nil {
					t.Fatal(err)
				}
				if err := m.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := m.Loss(); math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
					t.Errorf("run %d: loss %.12g, want %.12g (by enumeration)", run, got, want)
				}
			}
		})
	}
}

// TestCRFLossLarge checks that scores far outside exp's range (logits in
// the hundreds, as an untrained or diverging model may give) still give
// the exact loss.
func TestCRFLossLarge(t *testing.T) {
	c := crfVariety
	ps := nnlib.NewParamSet(nnlib.Float64, 4)
	em := nntest.MustParam(t, ps, "em", []int{c.S, c.B, c.K}, nnlib.Uniform(800))
	tr := nntest.MustParam(t, ps, "tr", []int{c.K + 2, c.K}, nnlib.Uniform(300))
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true})
	loss, feed := c.build(g, em, tr)
	g.SetLoss(loss)
	m, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := feed(m); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := crfRef(c, em.F64(), tr.F64())
	if got := m.Loss(); math.IsNaN(got) || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("loss %v, want %v", got, want)
	}
}

func TestGradCRFLoss(t *testing.T) {
	c := crfVariety
	ps := nnlib.NewParamSet(nnlib.Float64, 5)
	em := nntest.MustParam(t, ps, "em", []int{c.S, c.B, c.K}, nnlib.Uniform(2))
	tr := nntest.MustParam(t, ps, "tr", []int{c.K + 2, c.K}, nnlib.Uniform(1))
	var feed func(*nnlib.Machine) error
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		var l *nnlib.Node
		l, feed = c.build(g, em, tr)
		// Scale the loss so that the upstream gradient is not 1.
		g.SetLoss(g.Scale(l, 1.7))
		return g.Err()
	}, func(m *nnlib.Machine) error { return feed(m) }, nntest.CheckConfig{MaxPerParam: c.S * c.B * c.K})
	// Padding positions (t ≥ lens[b]) get an exact zero gradient.
	for tt := range c.S {
		for b := range c.B {
			if tt < c.lens[b] {
				continue
			}
			for j := range c.K {
				if v := em.Grad.Data().([]float64)[(tt*c.B+b)*c.K+j]; v != 0 {
					t.Errorf("padding emissions[%d,%d,%d] gradient %v, want 0", tt, b, j, v)
				}
			}
		}
	}
}

func TestCRFLossErrors(t *testing.T) {
	c := crfVariety
	run := func(tags, lens []int) error {
		ps := nnlib.NewParamSet(nnlib.Float32, 1)
		em := nntest.MustParam(t, ps, "em", []int{c.S, c.B, c.K}, nnlib.Uniform(1))
		tr := nntest.MustParam(t, ps, "tr", []int{c.K + 2, c.K}, nnlib.Zeros)
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true})
		tg, ln := g.Input("tags", c.S, c.B), g.Input("lens", c.B)
		g.SetLoss(g.CRFLoss(g.Param(em), g.Param(tr), tg, ln))
		m, err := g.Compile()
		if err != nil {
			return err
		}
		defer m.Close()
		if err := errors.Join(m.Let(tg, floats(tags)), m.Let(ln, floats(lens))); err != nil {
			return err
		}
		return m.Run(context.Background())
	}
	if err := run(c.tags, c.lens); err != nil {
		t.Fatalf("valid batch: %v", err)
	}
	bad := append([]int(nil), c.tags...)
	bad[1] = 3 // tags[0][1] = K
	if err := run(bad, c.lens); err == nil || !strings.Contains(err.Error(), "tag 3 at tags[0][1]") {
		t.Errorf("tag out of range: error %v", err)
	}
	if err := run(c.tags, []int{5, 3, 1, 0}); err == nil || !strings.Contains(err.Error(), "length 5") {
		t.Errorf("length past S: error %v", err)
	}

	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	em := nntest.MustParam(t, ps, "em", []int{c.S, c.B, c.K}, nnlib.Zeros)
	tr := nntest.MustParam(t, ps, "tr", []int{c.K, c.K}, nnlib.Zeros)
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true})
	g.CRFLoss(g.Param(em), g.Param(tr), g.Input("tags", c.S, c.B), g.Input("lens", c.B))
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "crf loss transitions") {
		t.Errorf("wrong transition shape: error %v", err)
	}
}
