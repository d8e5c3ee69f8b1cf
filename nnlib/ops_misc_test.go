package nnlib_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// ---------------------------------------------------------------- helpers

// runOutputs compiles g, binds feeds, runs once and returns the values of
// outs (which must be marked with Output).
func runOutputs(t *testing.T, g *nnlib.Graph, feeds map[*nnlib.Node][]float64, outs ...*nnlib.Node) [][]float64 {
	t.Helper()
	m, err := g.Compile()
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	defer m.Close()
	for n, v := range feeds {
		if err := m.Let(n, v); err != nil {
			t.Fatalf("let: %v", err)
		}
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v", err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		if res[i], err = m.Value(o); err != nil {
			t.Fatalf("value: %v", err)
		}
	}
	return res
}

// runErr compiles g, binds feeds, runs once and returns the run's error.
func runErr(t *testing.T, g *nnlib.Graph, feeds map[*nnlib.Node][]float64) error {
	t.Helper()
	m, err := g.Compile()
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	defer m.Close()
	for n, v := range feeds {
		if err := m.Let(n, v); err != nil {
			t.Fatalf("let: %v", err)
		}
	}
	return m.Run(context.Background())
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Fatalf("%s: [%d] = %.12g, want %.12g", what, i, got[i], want[i])
		}
	}
}

func assertShapeError(t *testing.T, g *nnlib.Graph) {
	t.Helper()
	var se *nnlib.ShapeError
	if err := g.Err(); !errors.As(err, &se) {
		t.Fatalf("got error %v, want a *nnlib.ShapeError", err)
	}
}

// ---------------------------------------------------------------- Dropout

func TestDropoutIdentity(t *testing.T) {
	for _, tc := range []struct {
		name  string
		train bool
		p     float64
	}{
		{"eval", false, 0.5},
		{"train_p0", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{Train: tc.train})
			x := g.Input("x", 3, 4)
			if y := g.Dropout(x, tc.p); y != x || g.Err() != nil {
				t.Fatalf("Dropout returned %v (err %v), want x itself", y, g.Err())
			}
			xv := nntest.Uniform(nntest.Rand(1), 12, 1)
			got := runOutputs(t, g, map[*nnlib.Node][]float64{x: xv}, g.Output(x))[0]
			assertClose(t, "eval dropout", got, xv, 0)
		})
	}
}

func TestDropoutErrors(t *testing.T) {
	for _, p := range []float64{-0.1, 1, 1.5, math.NaN()} {
		for _, train := range []bool{true, false} {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{Train: train})
			g.Dropout(g.Input("x", 3), p)
			if g.Err() == nil {
				t.Errorf("Dropout(p=%v, train=%v): no error", p, train)
			}
		}
	}
}

// dropoutRuns builds a training graph y = Dropout(x, p) with seed and
// returns y for each of runs runs on the same x.
func dropoutRuns(t *testing.T, dt nnlib.Dtype, seed uint64, p float64, xv []float64, runs int) [][]float64 {
	t.Helper()
	g := nnlib.NewGraph(nnlib.NewParamSet(dt, 1), nnlib.GraphConfig{Train: true, Seed: seed})
	x := g.Input("x", len(xv))
	y := g.Output(g.Dropout(x, p))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var feed any = xv
	if dt == nnlib.Float32 {
		x32 := make([]float32, len(xv))
		for i, v := range xv {
			x32[i] = float32(v)
		}
		feed = x32
	}
	var res [][]float64
	for range runs {
		if err := m.Let(x, feed); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		v, err := m.Value(y)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, v)
	}
	return res
}

func TestDropoutTrain(t *testing.T) {
	const n, p = 20000, 0.3
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	for _, dt := range []nnlib.Dtype{nnlib.Float64, nnlib.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			runs := dropoutRuns(t, dt, 7, p, ones, 2)
			for r, y := range runs {
				zeros := 0
				for i, v := range y {
					switch {
					case v == 0:
						zeros++
					case math.Abs(v-1/(1-p)) > 1e-6:
						t.Fatalf("run %d: kept element %d = %v, want 1/(1-p) = %v", r, i, v, 1/(1-p))
					}
				}
				// Binomial(n, p): standard deviation of the fraction is 0.0032.
				if frac := float64(zeros) / n; math.Abs(frac-p) > 0.02 {
					t.Errorf("run %d: dropped fraction %.4f, want about %v", r, frac, p)
				}
			}
			same := 0
			for i := range runs[0] {
				if runs[0][i] == runs[1][i] {
					same++
				}
			}
			if same == n {
				t.Errorf("two runs drew the same mask; want a fresh mask per run")
			}
		})
	}
}

func TestDropoutSeeded(t *testing.T) {
	xv := nntest.Uniform(nntest.Rand(3), 500, 1)
	a := dropoutRuns(t, nnlib.Float64, 42, 0.5, xv, 2)
	b := dropoutRuns(t, nnlib.Float64, 42, 0.5, xv, 2)
	c := dropoutRuns(t, nnlib.Float64, 43, 0.5, xv, 1)
	for r := range a {
		assertClose(t, "same seed", a[r], b[r], 0)
	}
	differ := false
	for i := range a[0] {
		differ = differ || a[0][i] != c[0][i]
	}
	if !differ {
		t.Errorf("seeds 42 and 43 drew the same mask")
	}
}

// TestDropoutBackward checks the gradient within one run, since masks
// change between runs (a finite-difference check cannot work): for
// loss = Σ y⊙r, ∂loss/∂x = r⊙mask/(1−p), and y = x⊙mask/(1−p), so
// grad·x = r·y element-wise. Two runs check that backward uses the mask
// of its own run.
func TestDropoutBackward(t *testing.T) {
	const n, p = 400, 0.4
	ps := nnlib.NewParamSet(nnlib.Float64, 1)
	xp := nntest.MustParam(t, ps, "x", []int{n}, nnlib.Uniform(1))
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true, Seed: 9})
	r := g.Input("r", n)
	y := g.Output(g.Dropout(g.Param(xp), p))
	g.SetLoss(g.Sum(g.Mul(y, r)))
	m, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rv := nntest.Uniform(nntest.Rand(2), n, 1)
	var prev []float64
	for run := range 2 {
		ps.ZeroGrad()
		if err := m.Let(r, rv); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		yv, err := m.Value(y)
		if err != nil {
			t.Fatal(err)
		}
		grad, x := xp.Grad.Data().([]float64), xp.F64()
		dropped := 0
		for i := range yv {
			if yv[i] == 0 {
				dropped++
				if grad[i] != 0 {
					t.Fatalf("run %d: dropped element %d has gradient %v", run, i, grad[i])
				}
				continue
			}
			if want := rv[i] / (1 - p); math.Abs(grad[i]-want) > 1e-12 {
				t.Fatalf("run %d: grad[%d] = %v, want r/(1-p) = %v", run, i, grad[i], want)
			}
			if math.Abs(grad[i]*x[i]-rv[i]*yv[i]) > 1e-12 {
				t.Fatalf("run %d: grad·x != r·y at %d", run, i)
			}
		}
		if dropped == 0 || dropped == n {
			t.Fatalf("run %d: %d of %d dropped", run, dropped, n)
		}
		if prev != nil {
			differ := false
			for i := range yv {
				differ = differ || (yv[i] == 0) != (prev[i] == 0)
			}
			if !differ {
				t.Fatalf("both runs used the same mask")
			}
		}
		prev = yv
	}
}

// ------------------------------------------------------------ FrameStack

func TestFrameStackForward(t *testing.T) {
	// x[t][b] = (10t+b, -(10t+b)), T=5, B=3, D=2.
	const T, B, D = 5, 3, 2
	xv := make([]float64, 0, T*B*D)
	for ti := 0; ti < T; ti++ {
		for b := 0; b < B; b++ {
			v := float64(10*ti + b)
			xv = append(xv, v, -v)
		}
	}
	f := func(ti, b int) []float64 { v := float64(10*ti + b); return []float64{v, -v} }
	z := []float64{0, 0}
	cat := func(ps ...[]float64) []float64 {
		var out []float64
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		k         int
		lens      []float64
		want      []float64
		wantLens  []float64
		wantShape []int
	}{
		{"k2", 2, []float64{5, 3, 0}, cat(
			f(0, 0), f(1, 0), f(0, 1), f(1, 1), z, z, // t'=0
			f(2, 0), f(3, 0), f(2, 1), z, z, z, // t'=1: frame 3 of seq 1 is padding
			f(4, 0), z, z, z, z, z, // t'=2: frame 5 is past T
		), []float64{3, 2, 0}, []int{3, B, 2 * D}},
		{"k1", 1, []float64{2, 5, 1}, cat(
			f(0, 0), f(0, 1), f(0, 2),
			f(1, 0), f(1, 1), z,
			z, f(2, 1), z,
			z, f(3, 1), z,
			z, f(4, 1), z,
		), []float64{2, 5, 1}, []int{T, B, D}},
		{"k6", 6, []float64{5, 1, 4}, cat(
			f(0, 0), f(1, 0), f(2, 0), f(3, 0), f(4, 0), z,
			f(0, 1), z, z, z, z, z,
			f(0, 2), f(1, 2), f(2, 2), f(3, 2), z, z,
		), []float64{1, 1, 1}, []int{1, B, 6 * D}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			x, l := g.Input("x", T, B, D), g.Input("lens", B)
			y, yl := g.FrameStack(x, l, tc.k)
			if err := g.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y.Shape(), tc.wantShape) || !slices.Equal(yl.Shape(), []int{B}) {
				t.Fatalf("shapes %v, %v; want %v, [%d]", y.Shape(), yl.Shape(), tc.wantShape, B)
			}
			g.Output(y)
			g.Output(yl)
			got := runOutputs(t, g, map[*nnlib.Node][]float64{x: xv, l: tc.lens}, y, yl)
			assertClose(t, "y", got[0], tc.want, 0)
			assertClose(t, "ylens", got[1], tc.wantLens, 0)
		})
	}
}

func TestGradFrameStack(t *testing.T) {
	const T, B, D = 7, 3, 2
	for _, tc := range []struct {
		name string
		k    int
		lens []float64
	}{
		{"k2", 2, []float64{7, 4, 1}},
		{"k3", 3, []float64{5, 7, 0}},
		{"k1", 1, []float64{7, 2, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := nnlib.NewParamSet(nnlib.Float64, 1)
			x := nntest.MustParam(t, ps, "x", []int{T, B, D}, nnlib.Uniform(1))
			var l *nnlib.Node
			var feed func(*nnlib.Machine) error
			nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
				l = g.Input("lens", B)
				y, _ := g.FrameStack(g.Param(x), l, tc.k)
				var loss *nnlib.Node
				loss, feed = nntest.Project(g, y, "r", 3)
				g.SetLoss(loss)
				return g.Err()
			}, func(m *nnlib.Machine) error {
				if err := m.Let(l, tc.lens); err != nil {
					return err
				}
				return feed(m)
			}, nntest.CheckConfig{})
		})
	}
}

func TestFrameStackErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		x, lens   []int
		k         int
		wantShape bool
	}{
		{"k0", []int{4, 2, 3}, []int{2}, 0, false},
		{"x rank", []int{4, 6}, []int{2}, 2, true},
		{"lens", []int{4, 2, 3}, []int{3}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			y, yl := g.FrameStack(g.Input("x", tc.x...), g.Input("lens", tc.lens...), tc.k)
			if y == nil || yl == nil {
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

// ---------------------------------------------------------- BCEWithLogits

func bceRef(x, y, w []float64) float64 {
	var s, sw float64
	for i := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		p := 1 / (1 + math.Exp(-x[i]))
		s -= wi * (y[i]*math.Log(p) + (1-y[i])*math.Log(1-p))
		sw += wi
	}
	return s / math.Max(sw, 1)
}

func TestBCEWithLogitsForward(t *testing.T) {
	rng := nntest.Rand(8)
	x := nntest.Uniform(rng, 12, 4)
	y := nntest.Ids(rng, 12, 0, 2)
	y[3] = 0.25 // a soft label
	w := nntest.Uniform(rng, 12, 1)
	for i := range w {
		w[i] = math.Abs(w[i])
	}
	w[0], w[5] = 0, 0 // masked
	small := []float64{0.1, 0, 0.2, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		name string
		w    []float64
	}{
		{"unweighted", nil},
		{"weighted", w},
		{"weights_below_one", small}, // Σw < 1: divides by 1
		{"all_masked", make([]float64, 12)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			xl, yt := g.Input("x", 3, 4), g.Input("y", 3, 4)
			feeds := map[*nnlib.Node][]float64{xl: x, yt: y}
			var wn *nnlib.Node
			if tc.w != nil {
				wn = g.Input("w", 3, 4)
				feeds[wn] = tc.w
			}
			loss := g.Output(g.BCEWithLogits(xl, yt, wn))
			if err := g.Err(); err != nil {
				t.Fatal(err)
			}
			if len(loss.Shape()) != 0 {
				t.Fatalf("loss shape %v, want a scalar []", loss.Shape())
			}
			got := runOutputs(t, g, feeds, loss)[0]
			assertClose(t, "bce", got, []float64{bceRef(x, y, tc.w)}, 1e-12)
		})
	}
}

func TestBCEWithLogitsExtreme(t *testing.T) {
	g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
	xl, yt := g.Input("x", 4), g.Input("y", 4)
	loss := g.Output(g.BCEWithLogits(xl, yt, nil))
	// Confidently right and confidently wrong at |x| = 1000.
	got := runOutputs(t, g, map[*nnlib.Node][]float64{xl: {1000, -1000, 1000, -1000}, yt: {1, 0, 0, 1}}, loss)[0]
	assertClose(t, "extreme bce", got, []float64{(0 + 0 + 1000 + 1000) / 4.0}, 1e-12)
}

func TestGradBCEWithLogits(t *testing.T) {
	for _, weighted := range []bool{false, true} {
		name := "unweighted"
		if weighted {
			name = "weighted"
		}
		t.Run(name, func(t *testing.T) {
			ps := nnlib.NewParamSet(nnlib.Float64, 1)
			x := nntest.MustParam(t, ps, "logits", []int{5, 3}, nnlib.Uniform(3))
			y := nntest.MustParam(t, ps, "targets", []int{5, 3}, func(dst []float64, _ []int, rng *rand.Rand) {
				for i := range dst {
					dst[i] = 0.05 + 0.9*rng.Float64()
				}
			})
			wv := nntest.Uniform(nntest.Rand(6), 15, 1)
			for i := range wv {
				wv[i] = math.Abs(wv[i])
			}
			wv[2] = 0
			var w *nnlib.Node
			nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
				if weighted {
					w = g.Input("w", 5, 3)
				}
				g.SetLoss(g.BCEWithLogits(g.Param(x), g.Param(y), w))
				return g.Err()
			}, func(m *nnlib.Machine) error {
				if weighted {
					return m.Let(w, wv)
				}
				return nil
			}, nntest.CheckConfig{})
		})
	}
}

func TestBCEWithLogitsErrors(t *testing.T) {
	t.Run("shape", func(t *testing.T) {
		g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
		g.BCEWithLogits(g.Input("x", 3, 4), g.Input("y", 4, 3), nil)
		assertShapeError(t, g)
	})
	t.Run("weights shape", func(t *testing.T) {
		g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
		g.BCEWithLogits(g.Input("x", 3, 4), g.Input("y", 3, 4), g.Input("w", 12))
		assertShapeError(t, g)
	})
	for _, tc := range []struct {
		name string
		y, w []float64
	}{
		{"target above 1", []float64{0, 1.5}, []float64{1, 1}},
		{"negative target", []float64{-0.5, 1}, []float64{1, 1}},
		{"negative weight", []float64{0, 1}, []float64{1, -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			x, y, w := g.Input("x", 2), g.Input("y", 2), g.Input("w", 2)
			g.Output(g.BCEWithLogits(x, y, w))
			if err := runErr(t, g, map[*nnlib.Node][]float64{x: {0.5, -0.5}, y: tc.y, w: tc.w}); err == nil {
				t.Fatalf("run succeeded")
			}
		})
	}
}

// --------------------------------------------------------------- float32

// TestOpsFloat32 runs every op of this family forward and backward in a
// float32 graph and compares values and gradients with the float64 graph
// (which the gradient checks cover).
func TestOpsFloat32(t *testing.T) {
	type pspec struct {
		name   string
		shape  []int
		lo, hi float64
	}
	const S, B, H, D = 5, 3, 4, 6
	for _, tc := range []struct {
		name   string
		params []pspec
		lens   []float64
		build  func(g *nnlib.Graph, p []*nnlib.Node, lens *nnlib.Node) []*nnlib.Node
	}{
		{"gru", []pspec{{"xp", []int{S, B, 3 * H}, -1, 1}, {"wh", []int{H, 3 * H}, -0.7, 0.7}, {"bh", []int{3 * H}, -0.5, 0.5}}, []float64{5, 2, 4},
			func(g *nnlib.Graph, p []*nnlib.Node, lens *nnlib.Node) []*nnlib.Node {
				hs, hT := g.GRUSeq(p[0], p[1], p[2], lens, true)
				return []*nnlib.Node{hs, hT}
			}},
		{"conv1d", []pspec{{"x", []int{S + 4, B, D}, -1, 1}, {"w", []int{3, D, H}, -1, 1}, {"b", []int{H}, -1, 1}}, nil,
			func(g *nnlib.Graph, p []*nnlib.Node, _ *nnlib.Node) []*nnlib.Node {
				return []*nnlib.Node{g.Conv1D(p[0], p[1], p[2], nnlib.ConvConfig{Stride: 2, Dilation: 2, Padding: 1})}
			}},
		{"layer_norm", []pspec{{"x", []int{S, B, D}, -2, 2}, {"gain", []int{D}, 0.5, 1.5}, {"bias", []int{D}, -1, 1}}, nil,
			func(g *nnlib.Graph, p []*nnlib.Node, _ *nnlib.Node) []*nnlib.Node {
				return []*nnlib.Node{g.LayerNorm(p[0], p[1], p[2], 1e-5)}
			}},
		{"frame_stack", []pspec{{"x", []int{S, B, D}, -1, 1}}, []float64{5, 3, 0},
			func(g *nnlib.Graph, p []*nnlib.Node, lens *nnlib.Node) []*nnlib.Node {
				y, _ := g.FrameStack(p[0], lens, 2)
				return []*nnlib.Node{y}
			}},
		{"bce", []pspec{{"logits", []int{S, B}, -4, 4}, {"targets", []int{S, B}, 0, 1}, {"w", []int{S, B}, 0, 2}}, nil,
			func(g *nnlib.Graph, p []*nnlib.Node, _ *nnlib.Node) []*nnlib.Node {
				return []*nnlib.Node{g.BCEWithLogits(p[0], p[1], p[2])}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := nntest.Rand(21)
			vals := make([][]float64, len(tc.params))
			for i, p := range tc.params {
				vals[i] = make([]float64, prodInts(p.shape))
				for j := range vals[i] {
					vals[i][j] = p.lo + (p.hi-p.lo)*rng.Float64()
				}
			}
			var outs, grads [2][][]float64
			for di, dt := range []nnlib.Dtype{nnlib.Float64, nnlib.Float32} {
				ps := nnlib.NewParamSet(dt, 1)
				params := make([]*nnlib.Param, len(tc.params))
				for i, p := range tc.params {
					params[i] = nntest.MustParam(t, ps, p.name, p.shape, nnlib.Zeros)
					for j, v := range vals[i] {
						if dt == nnlib.Float32 {
							params[i].F32()[j] = float32(v)
						} else {
							params[i].F64()[j] = v
						}
					}
				}
				g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
				nodes := make([]*nnlib.Node, len(params))
				for i, p := range params {
					nodes[i] = g.Param(p)
				}
				feeds := map[*nnlib.Node][]float64{}
				var lens *nnlib.Node
				if tc.lens != nil {
					lens = g.Input("lens", len(tc.lens))
					feeds[lens] = tc.lens
				}
				ys := tc.build(g, nodes, lens)
				var loss *nnlib.Node
				for i, y := range ys {
					g.Output(y)
					term := y
					if len(y.Shape()) != 0 {
						r := g.Input("r"+string(rune('0'+i)), y.Shape()...)
						feeds[r] = nntest.Uniform(nntest.Rand(uint64(i)), prodInts(y.Shape()), 1)
						term = g.Sum(g.Mul(y, r))
					}
					if loss == nil {
						loss = term
					} else {
						loss = g.Add(loss, term)
					}
				}
				g.SetLoss(loss)
				m, err := g.Compile()
				if err != nil {
					t.Fatal(err)
				}
				for n, v := range feeds {
					var d any = v
					if dt == nnlib.Float32 {
						f := make([]float32, len(v))
						for j, x := range v {
							f[j] = float32(x)
						}
						d = f
					}
					if err := m.Let(n, d); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				for _, y := range ys {
					v, err := m.Value(y)
					if err != nil {
						t.Fatal(err)
					}
					outs[di] = append(outs[di], v)
				}
				for _, p := range params {
					gv := make([]float64, p.Size())
					switch d := p.Grad.Data().(type) {
					case []float32:
						for j, x := range d {
							gv[j] = float64(x)
						}
					case []float64:
						copy(gv, d)
					}
					grads[di] = append(grads[di], gv)
				}
				m.Close()
			}
			for i := range outs[0] {
				assertClose(t, "output", outs[1][i], outs[0][i], 1e-5)
			}
			for i := range grads[0] {
				assertClose(t, "gradient of "+tc.params[i].name, grads[1][i], grads[0][i], 1e-4)
			}
		})
	}
}

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// TestGradFrameStackIntoGRU checks the pyramidal-encoder pattern: the
// stacked frames and their new lengths feed a GRU, and gradients flow
// through both ops while the lengths path stays non-differentiable.
func TestGradFrameStackIntoGRU(t *testing.T) {
	const T, B, D, H, k = 7, 2, 2, 3, 2
	ps := nnlib.NewParamSet(nnlib.Float64, 1)
	x := nntest.MustParam(t, ps, "x", []int{T, B, D}, nnlib.Uniform(1))
	wi := nntest.MustParam(t, ps, "wi", []int{k * D, 3 * H}, nnlib.Uniform(0.8))
	wh := nntest.MustParam(t, ps, "wh", []int{H, 3 * H}, nnlib.Uniform(0.8))
	bh := nntest.MustParam(t, ps, "bh", []int{3 * H}, nnlib.Uniform(0.5))
	var lens *nnlib.Node
	var feed func(*nnlib.Machine) error
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		lens = g.Input("lens", B)
		y, ylens := g.FrameStack(g.Param(x), lens, k)
		hs, _ := g.GRUSeq(g.Linear(y, g.Param(wi), nil), g.Param(wh), g.Param(bh), ylens, true)
		var loss *nnlib.Node
		loss, feed = nntest.Project(g, hs, "r", 5)
		g.SetLoss(loss)
		return g.Err()
	}, func(m *nnlib.Machine) error {
		if err := m.Let(lens, []float64{7, 3}); err != nil {
			return err
		}
		return feed(m)
	}, nntest.CheckConfig{})
}
