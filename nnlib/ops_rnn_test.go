package nnlib_test

import (
	"fmt"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// feeder collects input bindings for a gradient check.
type feeder []func(*nnlib.Machine) error

func (f *feeder) let(n *nnlib.Node, v []float64) {
	*f = append(*f, func(m *nnlib.Machine) error { return m.Let(n, v) })
}

func (f *feeder) add(fn func(*nnlib.Machine) error) { *f = append(*f, fn) }

func (f *feeder) feed(m *nnlib.Machine) error {
	for _, fn := range *f {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func TestGradLSTMSeq(t *testing.T) {
	const S, B, H = 5, 3, 4
	// The second set of lengths leaves the last steps padding for every
	// sequence, which the kernel skips.
	for _, lensv := range [][]float64{{5, 2, 3}, {3, 2, 1}} {
		for _, reverse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_%v", map[bool]string{false: "forward", true: "reverse"}[reverse], lensv), func(t *testing.T) {
				testGradLSTMSeq(t, S, B, H, lensv, reverse)
			})
		}
	}
}

func testGradLSTMSeq(t *testing.T, S, B, H int, lensv []float64, reverse bool) {
	ps := nnlib.NewParamSet(nnlib.Float64, 2)
	xp := nntest.MustParam(t, ps, "xp", []int{S, B, 4 * H}, nnlib.Uniform(1))
	wh := nntest.MustParam(t, ps, "wh", []int{H, 4 * H}, nnlib.Uniform(0.5))
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		lens := g.Input("lens", B)
		f.let(lens, lensv)
		hs, hT, cT := g.LSTMSeq(g.Param(xp), g.Param(wh), lens, reverse)
		l1, f1 := nntest.Project(g, hs, "r1", 1)
		l2, f2 := nntest.Project(g, hT, "r2", 2)
		l3, f3 := nntest.Project(g, cT, "r3", 3)
		f.add(f1)
		f.add(f2)
		f.add(f3)
		g.SetLoss(g.Add(g.Add(l1, l2), l3))
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}

func TestGradLSTMCell(t *testing.T) {
	const B, In, H = 3, 5, 4
	ps := nnlib.NewParamSet(nnlib.Float64, 3)
	x := nntest.MustParam(t, ps, "x", []int{B, In}, nnlib.Uniform(1))
	h := nntest.MustParam(t, ps, "h", []int{B, H}, nnlib.Uniform(1))
	c := nntest.MustParam(t, ps, "c", []int{B, H}, nnlib.Uniform(1))
	wx := nntest.MustParam(t, ps, "wx", []int{In, 4 * H}, nnlib.Glorot)
	wh := nntest.MustParam(t, ps, "wh", []int{H, 4 * H}, nnlib.Orthogonal)
	b := nntest.MustParam(t, ps, "b", []int{4 * H}, nnlib.Uniform(0.5))
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		hn, cn := g.LSTMCell(g.Param(x), g.Param(h), g.Param(c), g.Param(wx), g.Param(wh), g.Param(b))
		// two chained steps, so the state path is exercised too
		h2, c2 := g.LSTMCell(g.Param(x), hn, cn, g.Param(wx), g.Param(wh), g.Param(b))
		l1, f1 := nntest.Project(g, h2, "r1", 1)
		l2, f2 := nntest.Project(g, c2, "r2", 2)
		f.add(f1)
		f.add(f2)
		g.SetLoss(g.Add(l1, l2))
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}

func TestGradAttention(t *testing.T) {
	const S, B, Hq, A, D = 6, 3, 4, 5, 3
	lensv := []float64{6, 2, 4}
	cases := []string{"additive", "location", "luong-general", "luong-dot"}
	for _, kind := range cases {
		t.Run(kind, func(t *testing.T) {
			ps := nnlib.NewParamSet(nnlib.Float64, 4)
			hq := Hq
			if kind == "luong-dot" {
				hq = D
			}
			q := nntest.MustParam(t, ps, "q", []int{B, hq}, nnlib.Uniform(1))
			keys := nntest.MustParam(t, ps, "keys", []int{S, B, A}, nnlib.Uniform(1))
			vals := nntest.MustParam(t, ps, "vals", []int{S, B, D}, nnlib.Uniform(1))
			wq := nntest.MustParam(t, ps, "wq", []int{hq, A}, nnlib.Glorot)
			bq := nntest.MustParam(t, ps, "bq", []int{A}, nnlib.Uniform(0.5))
			v := nntest.MustParam(t, ps, "v", []int{A}, nnlib.Uniform(1))
			wg := nntest.MustParam(t, ps, "wg", []int{hq, D}, nnlib.Glorot)
			prev := nntest.MustParam(t, ps, "prev", []int{B, S}, nnlib.Uniform(1))
			filt := nntest.MustParam(t, ps, "filt", []int{2, 3}, nnlib.Uniform(1))
			proj := nntest.MustParam(t, ps, "proj", []int{2, A}, nnlib.Glorot)
			var f feeder
			nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
				lens := g.Input("lens", B)
				f.let(lens, lensv)
				var ctx, alpha *nnlib.Node
				switch kind {
				case "additive":
					ctx, alpha = g.AdditiveAttention(g.Param(q), g.Param(keys), g.Param(vals), lens, g.Param(wq), g.Param(bq), g.Param(v))
				case "location":
					ctx, alpha = g.LocationAttention(g.Param(q), g.Param(keys), g.Param(vals), lens, g.Param(wq), g.Param(bq), g.Param(v),
						nnlib.LocationParams{Prev: g.Param(prev), Filters: g.Param(filt), Proj: g.Param(proj)})
				case "luong-general":
					ctx, alpha = g.LuongAttention(g.Param(q), g.Param(vals), lens, g.Param(wg))
				case "luong-dot":
					ctx, alpha = g.LuongAttention(g.Param(q), g.Param(vals), lens, nil)
				}
				l1, f1 := nntest.Project(g, ctx, "r1", 1)
				l2, f2 := nntest.Project(g, alpha, "r2", 2)
				f.add(f1)
				f.add(f2)
				// Parameters a variant does not use still need a path to the
				// loss; add them with zero weight.
				g.SetLoss(g.Add(l1, l2))
				return g.Err()
			}, f.feed, nntest.CheckConfig{})
		})
	}
}

func TestGradCrossEntropy(t *testing.T) {
	for _, smooth := range []float64{0, 0.1} {
		ps := nnlib.NewParamSet(nnlib.Float64, 5)
		x := nntest.MustParam(t, ps, "x", []int{5, 7}, nnlib.Uniform(2))
		var f feeder
		nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
			tg := g.Input("targets", 5)
			f.let(tg, []float64{3, -1, 0, 6, 3})
			g.SetLoss(g.CrossEntropy(g.Param(x), tg, smooth))
			return g.Err()
		}, f.feed, nntest.CheckConfig{})
	}
}

func TestGradUnstack(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float64, 6)
	x := nntest.MustParam(t, ps, "x", []int{3, 2, 2}, nnlib.Uniform(1))
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		parts := g.Unstack(g.Param(x))
		// use the steps unequally: step 1 twice, step 2 not at all
		l1, f1 := nntest.Project(g, g.Add(parts[0], parts[1]), "r1", 1)
		l2, f2 := nntest.Project(g, parts[1], "r2", 2)
		f.add(f1)
		f.add(f2)
		g.SetLoss(g.Add(l1, l2))
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}

// TestBiLSTMSeqMatchesTwoDirections: the concurrent bidirectional kernel
// equals two LSTMSeq kernels, values and gradients (f64 gradient check).
func TestGradBiLSTMSeq(t *testing.T) {
	const S, B, H = 5, 3, 4
	ps := nnlib.NewParamSet(nnlib.Float64, 8)
	xf := nntest.MustParam(t, ps, "xf", []int{S, B, 4 * H}, nnlib.Uniform(1))
	wf := nntest.MustParam(t, ps, "wf", []int{H, 4 * H}, nnlib.Uniform(0.5))
	xb := nntest.MustParam(t, ps, "xb", []int{S, B, 4 * H}, nnlib.Uniform(1))
	wb := nntest.MustParam(t, ps, "wb", []int{H, 4 * H}, nnlib.Uniform(0.5))
	var f feeder
	nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
		lens := g.Input("lens", B)
		f.let(lens, []float64{5, 2, 3})
		outs := make([]*nnlib.Node, 6)
		outs[0], outs[1], outs[2], outs[3], outs[4], outs[5] = g.BiLSTMSeq(g.Param(xf), g.Param(wf), g.Param(xb), g.Param(wb), lens)
		var loss *nnlib.Node
		for i, o := range outs {
			l, fn := nntest.Project(g, o, fmt.Sprint("r", i), uint64(i+1))
			f.add(fn)
			if loss == nil {
				loss = l
			} else {
				loss = g.Add(loss, l)
			}
		}
		g.SetLoss(loss)
		return g.Err()
	}, f.feed, nntest.CheckConfig{})
}
