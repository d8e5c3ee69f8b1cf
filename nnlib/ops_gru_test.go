package nnlib_test

import (
	"math"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

func TestGradGRUSeq(t *testing.T) {
	const S, B, H = 4, 3, 3
	for _, tc := range []struct {
		name    string
		reverse bool
		lens    []float64
		only    string // "hs" or "hT": put only that output into the loss
	}{
		{"forward/unequal", false, []float64{4, 2, 3}, ""},
		{"reverse/unequal", true, []float64{4, 2, 3}, ""},
		{"forward/empty_and_one", false, []float64{1, 0, 4}, ""},
		{"reverse/empty_and_one", true, []float64{1, 0, 4}, ""},
		{"forward/hT_only", false, []float64{3, 4, 2}, "hT"},
		{"reverse/hs_only", true, []float64{3, 4, 2}, "hs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := nnlib.NewParamSet(nnlib.Float64, 1)
			xp := nntest.MustParam(t, ps, "xp", []int{S, B, 3 * H}, nnlib.Uniform(1))
			wh := nntest.MustParam(t, ps, "wh", []int{H, 3 * H}, nnlib.Uniform(0.8))
			bh := nntest.MustParam(t, ps, "bh", []int{3 * H}, nnlib.Uniform(0.5))
			var lens *nnlib.Node
			var f1, f2 func(*nnlib.Machine) error
			nntest.GradCheck(t, ps, func(g *nnlib.Graph) error {
				lens = g.Input("lens", B)
				hs, hT := g.GRUSeq(g.Param(xp), g.Param(wh), g.Param(bh), lens, tc.reverse)
				var l1, l2 *nnlib.Node
				l1, f1 = nntest.Project(g, hs, "r1", 3)
				l2, f2 = nntest.Project(g, hT, "r2", 4)
				switch tc.only {
				case "hs":
					g.SetLoss(l1)
				case "hT":
					g.SetLoss(l2)
				default:
					g.SetLoss(g.Add(l1, l2))
				}
				return g.Err()
			}, func(m *nnlib.Machine) error {
				if err := m.Let(lens, tc.lens); err != nil {
					return err
				}
				if err := f1(m); err != nil {
					return err
				}
				return f2(m)
			}, nntest.CheckConfig{})
		})
	}
}

// gruRef runs a GRU over the steps of one sequence (each 3H wide) the
// plain way, following the PyTorch GRU equations.
func gruRef(xs [][]float64, wh, bh []float64, H int) (hs [][]float64, h []float64) {
	h = make([]float64, H)
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	for _, x := range xs {
		gh := append([]float64(nil), bh...)
		for i := 0; i < H; i++ {
			for j := 0; j < 3*H; j++ {
				gh[j] += h[i] * wh[i*3*H+j]
			}
		}
		nh := make([]float64, H)
		for j := 0; j < H; j++ {
			r := sig(x[j] + gh[j])
			z := sig(x[H+j] + gh[H+j])
			n := math.Tanh(x[2*H+j] + r*gh[2*H+j])
			nh[j] = (1-z)*n + z*h[j]
		}
		h = nh
		hs = append(hs, nh)
	}
	return hs, h
}

// runGRU runs GRUSeq on xp (S,B,3H) with lens and returns hs and hT.
func runGRU(t *testing.T, ps *nnlib.ParamSet, wh, bh *nnlib.Param, S, B, H int, xp, lens []float64, reverse bool) (hs, hT []float64) {
	t.Helper()
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
	x := g.Input("xp", S, B, 3*H)
	l := g.Input("lens", B)
	hsN, hTN := g.GRUSeq(x, g.Param(wh), g.Param(bh), l, reverse)
	g.Output(hsN)
	g.Output(hTN)
	vals := runOutputs(t, g, map[*nnlib.Node][]float64{x: xp, l: lens}, hsN, hTN)
	return vals[0], vals[1]
}

// TestGRUSeqPadding checks that padded steps change neither the final
// state nor any output: each sequence of a padded batch (with garbage in
// its padded steps) gives what it gives alone, unpadded, and what a plain
// reference GRU gives.
func TestGRUSeqPadding(t *testing.T) {
	const S, B, H = 5, 3, 4
	lens := []float64{5, 2, 3}
	for _, reverse := range []bool{false, true} {
		name := "forward"
		if reverse {
			name = "reverse"
		}
		t.Run(name, func(t *testing.T) {
			ps := nnlib.NewParamSet(nnlib.Float64, 2)
			wh := nntest.MustParam(t, ps, "wh", []int{H, 3 * H}, nnlib.Uniform(0.8))
			bh := nntest.MustParam(t, ps, "bh", []int{3 * H}, nnlib.Uniform(0.5))
			xp := nntest.Uniform(nntest.Rand(5), S*B*3*H, 1) // garbage in padded steps too
			hs, hT := runGRU(t, ps, wh, bh, S, B, H, xp, lens, reverse)
			for b := 0; b < B; b++ {
				n := int(lens[b])
				// The sequence alone, in time order.
				xs := make([][]float64, n)
				alone := make([]float64, 0, n*3*H)
				for s := 0; s < n; s++ {
					xs[s] = xp[(s*B+b)*3*H : (s*B+b+1)*3*H]
					alone = append(alone, xs[s]...)
				}
				hs1, hT1 := runGRU(t, ps, wh, bh, n, 1, H, alone, []float64{float64(n)}, reverse)
				// Reference: a reversed GRU reads the steps backwards.
				rx := xs
				if reverse {
					rx = make([][]float64, n)
					for s := range xs {
						rx[s] = xs[n-1-s]
					}
				}
				rhs, rhT := gruRef(rx, wh.F64(), bh.F64(), H)
				assertClose(t, "hT vs unpadded", hT[b*H:(b+1)*H], hT1, 1e-12)
				assertClose(t, "hT vs reference", hT[b*H:(b+1)*H], rhT, 1e-12)
				for s := 0; s < S; s++ {
					got := hs[(s*B+b)*H : (s*B+b+1)*H]
					if s >= n {
						assertClose(t, "padded output", got, make([]float64, H), 0)
						continue
					}
					assertClose(t, "hs vs unpadded", got, hs1[s*H:(s+1)*H], 1e-12)
					rs := s
					if reverse {
						rs = n - 1 - s
					}
					assertClose(t, "hs vs reference", got, rhs[rs], 1e-12)
				}
			}
		})
	}
}

func TestGRUSeqErrors(t *testing.T) {
	const S, B, H = 3, 2, 2
	for _, tc := range []struct {
		name            string
		xp, wh, bh, lns []int
	}{
		{"wh not H×3H", []int{S, B, 3 * H}, []int{H, 2 * H}, []int{3 * H}, []int{B}},
		{"xproj width", []int{S, B, 2 * H}, []int{H, 3 * H}, []int{3 * H}, []int{B}},
		{"xproj rank", []int{S * B, 3 * H}, []int{H, 3 * H}, []int{3 * H}, []int{B}},
		{"bias", []int{S, B, 3 * H}, []int{H, 3 * H}, []int{H}, []int{B}},
		{"lens", []int{S, B, 3 * H}, []int{H, 3 * H}, []int{3 * H}, []int{B + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := nnlib.NewGraph(nnlib.NewParamSet(nnlib.Float64, 1), nnlib.GraphConfig{})
			hs, hT := g.GRUSeq(g.Input("xp", tc.xp...), g.Input("wh", tc.wh...), g.Input("bh", tc.bh...), g.Input("lens", tc.lns...), false)
			assertShapeError(t, g)
			if hs == nil || hT == nil {
				t.Fatalf("nil nodes returned")
			}
		})
	}
	t.Run("length out of range", func(t *testing.T) {
		ps := nnlib.NewParamSet(nnlib.Float64, 1)
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		x, wh, bh, l := g.Input("xp", S, B, 3*H), g.Input("wh", H, 3*H), g.Input("bh", 3*H), g.Input("lens", B)
		_, hT := g.GRUSeq(x, wh, bh, l, false)
		g.Output(hT)
		err := runErr(t, g, map[*nnlib.Node][]float64{
			x: make([]float64, S*B*3*H), wh: make([]float64, H*3*H), bh: make([]float64, 3*H), l: {S + 1, 1},
		})
		if err == nil {
			t.Fatalf("run with length %d > S=%d succeeded", S+1, S)
		}
	})
}
