package layers_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/layers"
	"github.com/parley-ai/parley/nnlib/nntest"
)

func shapeOf(p *nnlib.Param) []int {
	if p == nil {
		return nil
	}
	return p.Shape()
}

func TestParamNamesAndShapes(t *testing.T) {
	const In, H, Cin, Cout, K, D = 3, 4, 5, 6, 3, 7
	ps := nnlib.NewParamSet(nnlib.Float64, 1)
	gru, err := layers.NewGRU(ps, "enc", layers.GRUConfig{Input: In, Hidden: H, Layers: 2, Bidirectional: true, Dropout: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	uni, err := layers.NewGRU(ps, "dec", layers.GRUConfig{Input: In, Hidden: H, Layers: 1})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := layers.NewConv1D(ps, "conv", layers.Conv1DConfig{In: Cin, Out: Cout, Kernel: K, Bias: true})
	if err != nil {
		t.Fatal(err)
	}
	convNB, err := layers.NewConv1D(ps, "convnb", layers.Conv1DConfig{In: Cin, Out: Cout, Kernel: K})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := layers.NewLayerNorm(ps, "ln", layers.LayerNormConfig{Dim: D})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		p     *nnlib.Param
		shape []int
	}{
		{"enc.l0.fwd.wx", gru.Fwd_[0].Wx, []int{In, 3 * H}},
		{"enc.l0.fwd.wh", gru.Fwd_[0].Wh, []int{H, 3 * H}},
		{"enc.l0.fwd.bx", gru.Fwd_[0].Bx, []int{3 * H}},
		{"enc.l0.fwd.bh", gru.Fwd_[0].Bh, []int{3 * H}},
		{"enc.l0.bwd.wx", gru.Bwd_[0].Wx, []int{In, 3 * H}},
		{"enc.l0.bwd.wh", gru.Bwd_[0].Wh, []int{H, 3 * H}},
		{"enc.l0.bwd.bx", gru.Bwd_[0].Bx, []int{3 * H}},
		{"enc.l0.bwd.bh", gru.Bwd_[0].Bh, []int{3 * H}},
		{"enc.l1.fwd.wx", gru.Fwd_[1].Wx, []int{2 * H, 3 * H}},
		{"enc.l1.fwd.wh", gru.Fwd_[1].Wh, []int{H, 3 * H}},
		{"enc.l1.fwd.bx", gru.Fwd_[1].Bx, []int{3 * H}},
		{"enc.l1.fwd.bh", gru.Fwd_[1].Bh, []int{3 * H}},
		{"enc.l1.bwd.wx", gru.Bwd_[1].Wx, []int{2 * H, 3 * H}},
		{"enc.l1.bwd.wh", gru.Bwd_[1].Wh, []int{H, 3 * H}},
		{"enc.l1.bwd.bx", gru.Bwd_[1].Bx, []int{3 * H}},
		{"enc.l1.bwd.bh", gru.Bwd_[1].Bh, []int{3 * H}},
		{"dec.l0.fwd.wx", uni.Fwd_[0].Wx, []int{In, 3 * H}},
		{"dec.l0.fwd.wh", uni.Fwd_[0].Wh, []int{H, 3 * H}},
		{"dec.l0.fwd.bx", uni.Fwd_[0].Bx, []int{3 * H}},
		{"dec.l0.fwd.bh", uni.Fwd_[0].Bh, []int{3 * H}},
		{"conv.w", conv.W, []int{K, Cin, Cout}},
		{"conv.b", conv.B, []int{Cout}},
		{"convnb.w", convNB.W, []int{K, Cin, Cout}},
		{"ln.gain", ln.Gain, []int{D}},
		{"ln.bias", ln.Bias, []int{D}},
	} {
		p := ps.Get(tc.name)
		if p == nil {
			t.Errorf("%s: missing", tc.name)
			continue
		}
		if p != tc.p {
			t.Errorf("%s: the set's parameter is not the layer's field", tc.name)
		}
		if !slices.Equal(shapeOf(p), tc.shape) {
			t.Errorf("%s: shape %v, want %v", tc.name, shapeOf(p), tc.shape)
		}
	}
	if n := len(ps.Params()); n != 25 {
		t.Errorf("%d parameters, want 25 (no extras)", n)
	}
	if len(uni.Bwd_) != 0 || convNB.B != nil {
		t.Errorf("unidirectional GRU has backward weights or bias-free conv has a bias")
	}
	if gru.OutDim() != 2*H || uni.OutDim() != H {
		t.Errorf("OutDim %d, %d; want %d, %d", gru.OutDim(), uni.OutDim(), 2*H, H)
	}

	// Initialisation: biases and LayerNorm bias zero, gain one, recurrent
	// weights orthogonal per gate block, input weights not constant.
	for _, name := range []string{"enc.l0.fwd.bx", "enc.l1.bwd.bh", "conv.b", "ln.bias"} {
		for i, v := range ps.Get(name).F64() {
			if v != 0 {
				t.Errorf("%s[%d] = %v, want 0", name, i, v)
			}
		}
	}
	for i, v := range ln.Gain.F64() {
		if v != 1 {
			t.Errorf("ln.gain[%d] = %v, want 1", i, v)
		}
	}
	if ln.Eps != 1e-5 {
		t.Errorf("default eps %v, want 1e-5", ln.Eps)
	}
	wh := gru.Fwd_[1].Wh.F64()
	for gate := 0; gate < 3; gate++ {
		for a := 0; a < H; a++ {
			for b := 0; b < H; b++ {
				var dot float64
				for r := 0; r < H; r++ {
					dot += wh[r*3*H+gate*H+a] * wh[r*3*H+gate*H+b]
				}
				want := 0.0
				if a == b {
					want = 1
				}
				if math.Abs(dot-want) > 1e-9 {
					t.Errorf("wh gate %d: column %d·%d = %v, want %v", gate, a, b, dot, want)
				}
			}
		}
	}
	if w := conv.W.F64(); w[0] == w[1] && w[1] == w[2] {
		t.Errorf("conv.w looks uninitialised: %v", w[:3])
	}
}

func TestConfigErrors(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	for _, tc := range []struct {
		name string
		new  func() error
	}{
		{"gru zero hidden", func() error {
			_, err := layers.NewGRU(ps, "g1", layers.GRUConfig{Input: 2, Layers: 1})
			return err
		}},
		{"gru dropout 1", func() error {
			_, err := layers.NewGRU(ps, "g2", layers.GRUConfig{Input: 2, Hidden: 2, Layers: 1, Dropout: 1})
			return err
		}},
		{"conv zero kernel", func() error {
			_, err := layers.NewConv1D(ps, "c1", layers.Conv1DConfig{In: 2, Out: 2})
			return err
		}},
		{"conv negative stride", func() error {
			_, err := layers.NewConv1D(ps, "c2", layers.Conv1DConfig{In: 2, Out: 2, Kernel: 3, ConvConfig: nnlib.ConvConfig{Stride: -1}})
			return err
		}},
		{"layer norm zero dim", func() error {
			_, err := layers.NewLayerNorm(ps, "n1", layers.LayerNormConfig{})
			return err
		}},
		{"layer norm negative eps", func() error {
			_, err := layers.NewLayerNorm(ps, "n2", layers.LayerNormConfig{Dim: 2, Eps: -1})
			return err
		}},
		{"duplicate name", func() error {
			if _, err := layers.NewLayerNorm(ps, "dup", layers.LayerNormConfig{Dim: 2}); err != nil {
				return nil // the first must succeed; report no error so the test fails
			}
			_, err := layers.NewLayerNorm(ps, "dup", layers.LayerNormConfig{Dim: 2})
			return err
		}},
	} {
		if err := tc.new(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if n := len(ps.Params()); n != 2 {
		t.Errorf("%d parameters after failed constructions, want 2 (dup.gain, dup.bias)", n)
	}
}

func TestConv1DOutLen(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	conv, err := layers.NewConv1D(ps, "c", layers.Conv1DConfig{In: 2, Out: 3, Kernel: 3, ConvConfig: nnlib.ConvConfig{Stride: 2, Padding: 1}, Bias: true})
	if err != nil {
		t.Fatal(err)
	}
	for t0, want := range map[int]int{1: 1, 2: 1, 3: 2, 7: 4, 8: 4} {
		if got := conv.OutLen(t0); got != want {
			t.Errorf("OutLen(%d) = %d, want %d", t0, got, want)
		}
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		y := conv.Fwd(g, g.Input("x", t0, 2, 2))
		if err := g.Err(); err != nil {
			t.Fatalf("T=%d: %v", t0, err)
		}
		if !slices.Equal(y.Shape(), []int{want, 2, 3}) {
			t.Errorf("T=%d: output shape %v, want [%d 2 3]", t0, y.Shape(), want)
		}
	}
}

// TestBiGRUStack runs a bidirectional 2-layer GRU on a padded batch and
// checks the shapes, the zero outputs at padded steps and that H holds the
// right steps of Seq.
func TestBiGRUStack(t *testing.T) {
	const S, B, In, H = 5, 3, 2, 3
	lens := []float64{5, 2, 3}
	for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
		ps := nnlib.NewParamSet(dt, 3)
		gru, err := layers.NewGRU(ps, "enc", layers.GRUConfig{Input: In, Hidden: H, Layers: 2, Bidirectional: true, Dropout: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		// Non-zero biases, so a padded step that ran would show.
		for _, p := range ps.Params() {
			if strings.HasSuffix(p.Name, ".bx") || strings.HasSuffix(p.Name, ".bh") {
				vals := nntest.Uniform(nntest.Rand(5), p.Size(), 0.5)
				if f := p.F64(); f != nil {
					copy(f, vals)
				}
				if f := p.F32(); f != nil {
					for i, v := range vals {
						f[i] = float32(v)
					}
				}
			}
		}
		// An evaluation graph: the dropout between layers is off.
		g := nnlib.NewGraph(ps, nnlib.GraphConfig{})
		x := g.Input("x", S, B, In)
		ln := g.Input("lens", B)
		out := gru.Apply(g, x, ln)
		g.Output(out.Seq)
		g.Output(out.H)
		if err := g.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Seq.Shape(), []int{S, B, 2 * H}) || !slices.Equal(out.H.Shape(), []int{B, 2 * H}) {
			t.Fatalf("shapes Seq %v H %v, want [%d %d %d] [%d %d]", out.Seq.Shape(), out.H.Shape(), S, B, 2*H, B, 2*H)
		}
		m, err := g.Compile()
		if err != nil {
			t.Fatal(err)
		}
		xv := nntest.Uniform(nntest.Rand(4), S*B*In, 1)
		for b := range lens { // padded input frames hold garbage on purpose
			for s := int(lens[b]); s < S; s++ {
				for i := 0; i < In; i++ {
					xv[(s*B+b)*In+i] = 100
				}
			}
		}
		if err := m.Let(x, xv); err != nil {
			t.Fatal(err)
		}
		if err := m.Let(ln, lens); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		seq, err := m.Value(out.Seq)
		if err != nil {
			t.Fatal(err)
		}
		hT, err := m.Value(out.H)
		if err != nil {
			t.Fatal(err)
		}
		for b := 0; b < B; b++ {
			L := int(lens[b])
			for s := 0; s < S; s++ {
				row := seq[(s*B+b)*2*H : (s*B+b+1)*2*H]
				for j, v := range row {
					if s >= L && v != 0 {
						t.Errorf("%v: Seq[%d][%d][%d] = %v at a padded step, want 0", dt, s, b, j, v)
					}
					if s < L && v == 0 {
						t.Errorf("%v: Seq[%d][%d][%d] = 0 at a valid step", dt, s, b, j)
					}
				}
			}
			tol := 1e-12
			if dt == nnlib.Float32 {
				tol = 1e-6
			}
			for j := 0; j < H; j++ {
				if f, w := hT[b*2*H+j], seq[((L-1)*B+b)*2*H+j]; math.Abs(f-w) > tol {
					t.Errorf("%v: H[%d] forward part %v, want Seq at step %d: %v", dt, b, f, L-1, w)
				}
				if f, w := hT[b*2*H+H+j], seq[b*2*H+H+j]; math.Abs(f-w) > tol {
					t.Errorf("%v: H[%d] backward part %v, want Seq at step 0: %v", dt, b, f, w)
				}
			}
		}
		m.Close()
	}
}

// TestGradConvNormGRU gradient-checks a small ASR-style front end:
// strided Conv1D → LayerNorm → bidirectional 2-layer GRU, with the
// sequence lengths mapped through Conv1D.OutLen.
func TestGradConvNormGRU(t *testing.T) {
	const T, B, In, C, H = 7, 2, 3, 4, 3
	ps := nnlib.NewParamSet(nnlib.Float64, 11)
	conv, err := layers.NewConv1D(ps, "conv", layers.Conv1DConfig{In: In, Out: C, Kernel: 3, ConvConfig: nnlib.ConvConfig{Stride: 2, Padding: 1}, Bias: true})
	if err != nil {
		t.Fatal(err)
	}
	norm, err := layers.NewLayerNorm(ps, "norm", layers.LayerNormConfig{Dim: C})
	if err != nil {
		t.Fatal(err)
	}
	gru, err := layers.NewGRU(ps, "gru", layers.GRUConfig{Input: C, Hidden: H, Layers: 2, Bidirectional: true})
	if err != nil {
		t.Fatal(err)
	}
	// Move every parameter off its initial value (zero biases, unit gain
	// would leave some gradient paths trivial).
	rng := nntest.Rand(12)
	for _, p := range ps.Params() {
		for i, v := range nntest.Uniform(rng, p.Size(), 0.3) {
			p.F64()[i] += v
		}
	}
	inLens := []int{7, 4}
	tout := conv.OutLen(T)
	outLens := make([]float64, B)
	for b, l := range inLens {
		outLens[b] = float64(conv.OutLen(l))
	}
	xv := nntest.Uniform(nntest.Rand(13), T*B*In, 1)
	for b, l := range inLens {
		for s := l; s < T; s++ {
			clear(xv[(s*B+b)*In : (s*B+b+1)*In])
		}
	}
	var x, lens *nnlib.Node
	var f1, f2 func(*nnlib.Machine) error
	build := func(g *nnlib.Graph) error {
		x = g.Input("x", T, B, In)
		lens = g.Input("lens", B)
		y := norm.Fwd(g, conv.Fwd(g, x))
		if !slices.Equal(y.Shape(), []int{tout, B, C}) {
			t.Errorf("front-end shape %v, want [%d %d %d]", y.Shape(), tout, B, C)
		}
		out := gru.Apply(g, y, lens)
		var l1, l2 *nnlib.Node
		l1, f1 = nntest.Project(g, out.Seq, "r1", 1)
		l2, f2 = nntest.Project(g, out.H, "r2", 2)
		g.SetLoss(g.Add(l1, l2))
		return g.Err()
	}
	feed := func(m *nnlib.Machine) error {
		for _, f := range []func() error{
			func() error { return m.Let(x, xv) },
			func() error { return m.Let(lens, outLens) },
			func() error { return f1(m) },
			func() error { return f2(m) },
		} {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	}
	worst := nntest.GradCheck(t, ps, build, feed, nntest.CheckConfig{MaxPerParam: 12})
	t.Logf("worst relative error %.2g", worst)

	// The check passes trivially for a parameter off the loss path; make
	// sure every one of them gets a gradient.
	g := nnlib.NewGraph(ps, nnlib.GraphConfig{Train: true})
	if err := build(g); err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ps.ZeroGrad()
	if err := feed(m); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps.Params() {
		var n2 float64
		for _, v := range p.Grad.Data().([]float64) {
			n2 += v * v
		}
		if !(n2 > 1e-12) {
			t.Errorf("%s: gradient norm² %v: not on the loss path", p.Name, n2)
		}
	}
}
