package nnlib_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

func TestGradLinear(t *testing.T) {
	for _, bias := range []bool{true, false} {
		ps := nnlib.NewParamSet(nnlib.Float64, 1)
		x := nntest.MustParam(t, ps, "x", []int{2, 3, 4}, nnlib.Uniform(1))
		w := nntest.MustParam(t, ps, "w", []int{4, 5}, nnlib.Glorot)
		var b *nnlib.Param
		if bias {
			b = nntest.MustParam(t, ps, "b", []int{5}, nnlib.Uniform(1))
		}
		var feed func(*nnlib.Machine) error
		nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
			var bn *nnlib.Node
			if b != nil {
				bn = g.Param(b)
			}
			y := g.Linear(g.Param(x), g.Param(w), bn)
			var loss *nnlib.Node
			loss, feed = nntest.Project(g, y, "r", 3)
			g.SetLoss(loss)
			return g.Err()
		}, func(m *nnlib.Machine) error { return feed(m) }, nntest.CheckConfig{})
	}
}

func TestGradEmbedding(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float64, 1)
	tab := nntest.MustParam(t, ps, "tab", []int{6, 3}, nnlib.Uniform(1))
	ids := []float64{0, 2, 2, 5, 1, 0} // repeated ids, pad id 0
	var feed func(*nnlib.Machine) error
	var in *nnlib.Node
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		in = g.Input("ids", 2, 3)
		y := g.Embedding(in, g.Param(tab), 0)
		var loss *nnlib.Node
		loss, feed = nntest.Project(g, y, "r", 3)
		g.SetLoss(loss)
		return g.Err()
	}, func(m *nnlib.Machine) error {
		if err := m.Let(in, ids); err != nil {
			return err
		}
		return feed(m)
	}, nntest.CheckConfig{})
}

func TestExp32Accuracy(t *testing.T) {
	worst := 0.0
	for x := -80.0; x <= 80; x += 0.0137 {
		got := float64(nnlib.Exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 1e-6 {
		t.Errorf("exp32 worst relative error %.3g > 1e-6", worst)
	}
}

func TestGradConcat(t *testing.T) {
	for axis := 0; axis < 3; axis++ {
		ps := nnlib.NewParamSet(nnlib.Float64, 1)
		a := nntest.MustParam(t, ps, "a", []int{2, 3, 4}, nnlib.Uniform(1))
		shapeB := []int{2, 3, 4}
		shapeB[axis] = 1
		b := nntest.MustParam(t, ps, "b", shapeB, nnlib.Uniform(1))
		var feed func(*nnlib.Machine) error
		nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
			y := g.Concat(axis, g.Param(a), g.Param(b), g.Param(a))
			want := []int{2, 3, 4}
			want[axis] = 2*want[axis] + 1
			if got := y.Shape(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("axis %d: shape %v, want %v", axis, got, want)
			}
			var loss *nnlib.Node
			loss, feed = nntest.Project(g, y, "r", 3)
			g.SetLoss(loss)
			return g.Err()
		}, func(m *nnlib.Machine) error { return feed(m) }, nntest.CheckConfig{})
	}
}

func TestGradLinearRows(t *testing.T) {
	for _, tc := range []struct {
		lo, in int
		bias   bool
	}{{0, 2, true}, {2, 3, false}, {1, 2, true}, {0, 5, false}} {
		ps := nnlib.NewParamSet(nnlib.Float64, 1)
		x := nntest.MustParam(t, ps, "x", []int{2, 3, tc.in}, nnlib.Uniform(1))
		w := nntest.MustParam(t, ps, "w", []int{5, 4}, nnlib.Uniform(1))
		b := nntest.MustParam(t, ps, "b", []int{4}, nnlib.Uniform(1))
		var feed func(*nnlib.Machine) error
		nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
			var bn *nnlib.Node
			if tc.bias {
				bn = g.Param(b)
			}
			y := g.LinearRows(g.Param(x), g.Param(w), tc.lo, bn)
			if fmt.Sprint(y.Shape()) != "[2 3 4]" {
				t.Fatalf("%+v: shape %v", tc, y.Shape())
			}
			var loss *nnlib.Node
			loss, feed = nntest.Project(g, y, "r", 3)
			g.SetLoss(loss)
			return g.Err()
		}, func(m *nnlib.Machine) error { return feed(m) }, nntest.CheckConfig{})
	}
}

func TestLinearRowsErrors(t *testing.T) {
	for _, lo := range []int{-1, 3, 5} {
		g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float32, 1), nnlib.GraphConfig{})
		g.LinearRows(g.Input("x", 2, 3), g.Input("w", 5, 4), lo, nil)
		if g.Err() == nil {
			t.Errorf("rows %d..%d of a 5-row matrix: no error", lo, lo+3)
		}
	}
}

// TestGemmSplit compares the two-goroutine split GEMM path with a naive
// product for every transpose combination and both split directions.
func TestGemmSplit(t *testing.T) {
	for _, dims := range [][3]int{{200, 120, 100}, {90, 300, 100}} {
		m, n, k := dims[0], dims[1], dims[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				rng := nntest.Rand(1)
				a, b := nntest.Uniform(rng, m*k, 1), nntest.Uniform(rng, k*n, 1)
				c := nntest.Uniform(rng, m*n, 1)
				want := append([]float64(nil), c...)
				at := func(i, p int) float64 {
					if tA {
						return a[p*m+i]
					}
					return a[i*k+p]
				}
				bt := func(p, j int) float64 {
					if tB {
						return b[j*k+p]
					}
					return b[p*n+j]
				}
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						s := 0.0
						for p := 0; p < k; p++ {
							s += at(i, p) * bt(p, j)
						}
						want[i*n+j] = 2*s + 0.5*want[i*n+j]
					}
				}
				lda, ldb := k, n
				if tA {
					lda = m
				}
				if tB {
					ldb = k
				}
				nnlib.Gemm(tA, tB, m, n, k, 2, a, lda, b, ldb, 0.5, c, n)
				for i := range c {
					if math.Abs(c[i]-want[i]) > 1e-9 {
						t.Fatalf("m%d n%d k%d tA=%v tB=%v: c[%d] = %v, want %v", m, n, k, tA, tB, i, c[i], want[i])
					}
				}
			}
		}
	}
}

func TestTanh32Accuracy(t *testing.T) {
	worstT, worstS := 0.0, 0.0
	for x := -12.0; x <= 12; x += 0.00037 {
		xf := float32(x)
		if d := math.Abs(float64(nnlib.Tanh32(xf)) - math.Tanh(float64(xf))); d > worstT {
			worstT = d
		}
		if d := math.Abs(float64(nnlib.Sigm32(xf)) - 1/(1+math.Exp(-float64(xf)))); d > worstS {
			worstS = d
		}
	}
	if worstT > 1e-6 || worstS > 1e-6 {
		t.Errorf("worst absolute error: tanh32 %.3g, sigmoid %.3g (want <= 1e-6)", worstT, worstS)
	}
}

func BenchmarkActivations(b *testing.B) {
	xs := make([]float32, 4096)
	for i := range xs {
		xs[i] = float32(i-2048) / 256
	}
	b.Run("tanh32", func(b *testing.B) {
		var s float32
		for i := 0; i < b.N; i++ {
			for _, x := range xs {
				s += nnlib.Tanh32(x)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	})
	b.Run("math.Tanh", func(b *testing.B) {
		var s float64
		for i := 0; i < b.N; i++ {
			for _, x := range xs {
				s += math.Tanh(float64(x))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	})
}

func BenchmarkTanhInPlace32(b *testing.B) {
	xs := make([]float32, 8192)
	for i := range xs {
		xs[i] = float32(i%97-48) / 16
	}
	buf := make([]float32, len(xs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(buf, xs)
		nnlib.TanhInPlace32(buf, 1, 1, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
}

// TestTanhInPlace32 checks the vector kernel (and the scalar tail) against
// math.Tanh for lengths around multiples of 8, plain and as a sigmoid.
func TestTanhInPlace32(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 31, 64, 1001} {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(i%211-105) / 9.5
		}
		got := append([]float32(nil), xs...)
		nnlib.TanhInPlace32(got, 1, 1, 0)
		sig := append([]float32(nil), xs...)
		nnlib.TanhInPlace32(sig, 0.5, 0.5, 0.5)
		for i, x := range xs {
			if d := math.Abs(float64(got[i]) - math.Tanh(float64(x))); d > 1e-6 {
				t.Fatalf("n=%d: tanh(%v) = %v, want %v", n, x, got[i], math.Tanh(float64(x)))
			}
			if d := math.Abs(float64(sig[i]) - 1/(1+math.Exp(-float64(x)))); d > 1e-6 {
				t.Fatalf("n=%d: sigmoid(%v) = %v", n, x, sig[i])
			}
		}
	}
}
