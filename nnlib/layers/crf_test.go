package layers_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/layers"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// bruteBest enumerates every allowed tag sequence.
func bruteBest(s layers.CRFScores, em [][]float64, allowed func(i, j int) bool) ([]int, float64) {
	K, N := len(s.Start), len(em)
	best, bestScore := []int(nil), math.Inf(-1)
	y := make([]int, N)
	var walk func(t int)
	walk = func(t int) {
		if t == N {
			v := s.Start[y[0]] + s.End[y[N-1]]
			for i, tag := range y {
				v += em[i][tag]
				if i > 0 {
					v += s.Trans[y[i-1]][tag]
				}
			}
			if v > bestScore {
				best, bestScore = slices.Clone(y), v
			}
			return
		}
		for j := range K {
			prev := -1
			if t > 0 {
				prev = y[t-1]
			}
			if allowed != nil && !allowed(prev, j) {
				continue
			}
			y[t] = j
			walk(t + 1)
		}
	}
	walk(0)
	return best, bestScore
}

func TestCRFViterbi(t *testing.T) {
	const K = 4
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	crf, err := layers.NewCRF(ps, "crf", K)
	if err != nil {
		t.Fatal(err)
	}
	if got := crf.Trans.Shape(); !slices.Equal(got, []int{K + 2, K}) {
		t.Fatalf("crf.trans shape %v", got)
	}
	rng := nntest.Rand(7)
	for i := range crf.Trans.F32() {
		crf.Trans.F32()[i] = float32(rng.Float64()*4 - 2)
	}
	s := crf.Scores()
	if s.Start[1] != float64(crf.Trans.F32()[K*K+1]) || s.End[2] != float64(crf.Trans.F32()[(K+1)*K+2]) || s.Trans[3][1] != float64(crf.Trans.F32()[3*K+1]) {
		t.Fatal("Scores does not follow the (K+2, K) layout")
	}
	// "Tag 3 only after tag 2 or 3, never first": a BIO-like constraint.
	bio := func(i, j int) bool { return j != 3 || i == 2 || i == 3 }
	for n := 1; n <= 5; n++ {
		em := make([][]float64, n)
		for i := range em {
			em[i] = nntest.Uniform(rng, K, 3)
		}
		for _, c := range []struct {
			name    string
			allowed func(i, j int) bool
		}{{"free", nil}, {"constrained", bio}} {
			got, gs := s.Viterbi(em, c.allowed)
			want, ws := bruteBest(s, em, c.allowed)
			if !slices.Equal(got, want) || math.Abs(gs-ws) > 1e-9 {
				t.Errorf("%s, %d tokens: path %v (%.6f), want %v (%.6f)", c.name, n, got, gs, want, ws)
			}
		}
	}
	if p, _ := s.Viterbi(nil, nil); p != nil {
		t.Errorf("empty input: path %v", p)
	}
	// A constraint that allows nothing falls back to the free search.
	em := [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}}
	if p, _ := s.Viterbi(em, func(i, j int) bool { return false }); len(p) != 2 {
		t.Errorf("impossible constraint: path %v, want 2 tags", p)
	}
	if _, err := layers.NewCRF(ps, "bad", 0); err == nil {
		t.Error("NewCRF with 0 tags: no error")
	}
}

func TestGradCRF(t *testing.T) {
	const S, B, K = 3, 2, 3
	ps := nnlib.NewParamSet(nnlib.Float64, 2)
	crf, err := layers.NewCRF(ps, "crf", K)
	if err != nil {
		t.Fatal(err)
	}
	copy(crf.Trans.F64(), nntest.Uniform(nntest.Rand(3), (K+2)*K, 1))
	em := nntest.MustParam(t, ps, "em", []int{S, B, K}, nnlib.Uniform(2))
	var tags, lens *nnlib.Node
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		tags, lens = g.Input("tags", S, B), g.Input("lens", B)
		g.SetLoss(crf.Loss(g, g.Param(em), tags, lens))
		return g.Err()
	}, func(m *nnlib.Machine) error {
		return errors.Join(m.Let(tags, []float64{0, 2, 1, 1, 2, -1}), m.Let(lens, []float64{3, 2}))
	}, nntest.CheckConfig{MaxPerParam: S * B * K})
}
