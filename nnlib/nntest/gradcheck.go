// Package nntest holds test helpers for nnlib and the models built on it:
// a finite-difference gradient check and seeded random data.
package nntest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/parley-ai/parley/nnlib"
)

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// CheckConfig tunes GradCheck.
type CheckConfig struct {
	// Eps is the finite-difference step (default 1e-6).
	Eps float64
	// Tol is the largest allowed relative error (default 1e-5), measured as
	// |a-n| / max(|a|+|n|, Floor).
	Tol float64
	// Floor keeps tiny gradients from inflating the relative error (default 1e-7).
	Floor float64
	// MaxPerParam limits how many elements of each parameter are checked
	// (chosen at random; default 40).
	MaxPerParam int
	// Seed picks the checked elements.
	Seed uint64
}

func (c *CheckConfig) defaults() {
	if c.Eps == 0 {
		c.Eps = 1e-6
	}
	if c.Tol == 0 {
		c.Tol = 1e-5
	}
	if c.Floor == 0 {
		c.Floor = 1e-7
	}
	if c.MaxPerParam == 0 {
		c.MaxPerParam = 40
	}
}

// GradCheck compares the analytic gradient of a float64 model's loss with
// central finite differences, for every parameter of ps. build constructs
// the graph (it must call SetLoss) and feed binds its inputs; both are
// called once. It returns the worst relative error seen.
func GradCheck(t TB, ps *nnlib.ParamSet, build func(g *nnlib.Graph) error, feed func(m *nnlib.Machine) error, cfg CheckConfig) float64 {
	t.Helper()
	cfg.defaults()
	if ps.Dtype() != nnlib.Float64 {
		t.Fatalf("gradcheck: parameter set must be float64")
	}
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true, Seed: cfg.Seed})
	if err := build(g); err != nil {
		t.Fatalf("gradcheck: build: %v", err)
	}
	m, err := g.Compile()
	if err != nil {
		t.Fatalf("gradcheck: compile: %v", err)
	}
	defer m.Close()
	ctx := context.Background()
	run := func() float64 {
		if err := feed(m); err != nil {
			t.Fatalf("gradcheck: feed: %v", err)
		}
		if err := m.Run(ctx); err != nil {
			t.Fatalf("gradcheck: run: %v", err)
		}
		return m.Loss()
	}
	ps.ZeroGrad()
	run()
	analytic := map[string][]float64{}
	for _, p := range ps.Params() {
		analytic[p.Name] = append([]float64(nil), p.Grad.Data().([]float64)...)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	worst := 0.0
	for _, p := range ps.Params() {
		vals := p.F64()
		idx := rng.Perm(len(vals))
		if len(idx) > cfg.MaxPerParam {
			idx = idx[:cfg.MaxPerParam]
		}
		for _, i := range idx {
			orig := vals[i]
			vals[i] = orig + cfg.Eps
			lp := run()
			vals[i] = orig - cfg.Eps
			lm := run()
			vals[i] = orig
			num := (lp - lm) / (2 * cfg.Eps)
			a := analytic[p.Name][i]
			rel := math.Abs(a-num) / math.Max(math.Abs(a)+math.Abs(num), cfg.Floor)
			if math.Abs(a-num) < cfg.Floor {
				rel = 0
			}
			if rel > worst {
				worst = rel
			}
			if rel > cfg.Tol {
				t.Errorf("gradcheck: %s[%d]: analytic %.9g, numeric %.9g (rel err %.2g)", p.Name, i, a, num, rel)
			}
		}
	}
	ps.ZeroGrad()
	return worst
}

// Rand returns a seeded generator for tests.
func Rand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// Uniform returns n values from U(-a, a).
func Uniform(rng *rand.Rand, n int, a float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = (2*rng.Float64() - 1) * a
	}
	return v
}

// Ids returns n integer ids in [lo, hi) as float64.
func Ids(rng *rand.Rand, n, lo, hi int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(lo + rng.IntN(hi-lo))
	}
	return v
}

// MustParam adds a parameter or fails the test.
func MustParam(t TB, ps *nnlib.ParamSet, name string, shape []int, init nnlib.Init) *nnlib.Param {
	t.Helper()
	p, err := ps.Add(name, shape, init)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return p
}

// Project returns a scalar loss Σ out⊙R for a fixed random R, so every
// output element gets a distinct gradient. R is bound through the returned
// feed function.
func Project(g *nnlib.Graph, out *nnlib.Node, name string, seed uint64) (*nnlib.Node, func(m *nnlib.Machine) error) {
	r := g.Input(name, out.Shape()...)
	n := 1
	for _, d := range out.Shape() {
		n *= d
	}
	vals := Uniform(Rand(seed), n, 1)
	loss := g.Sum(g.Mul(out, r))
	return loss, func(m *nnlib.Machine) error {
		if err := m.Let(r, vals); err != nil {
			return fmt.Errorf("project %s: %w", name, err)
		}
		return nil
	}
}
