package layers

import (
	"fmt"

	"github.com/parley-ai/parley/nnlib"
)

// adder creates parameters under a common prefix, keeping the first error.
type adder struct {
	ps     *nnlib.ParamSet
	prefix string
	err    error
}

func (a *adder) add(suffix string, shape []int, init nnlib.Init) *nnlib.Param {
	if a.err != nil {
		return nil
	}
	p, err := a.ps.Add(a.prefix+"."+suffix, shape, init)
	if err != nil {
		a.err = err
	}
	return p
}

// Linear is a dense layer y = x·W + b over the last axis.
type Linear struct {
	W, B *nnlib.Param // (in, out), (out) or nil
}

// NewLinear creates a Linear layer named name (params name.w, name.b).
func NewLinear(ps *nnlib.ParamSet, name string, in, out int, bias bool) (*Linear, error) {
	a := &adder{ps: ps, prefix: name}
	l := &Linear{W: a.add("w", []int{in, out}, nnlib.Glorot)}
	if bias {
		l.B = a.add("b", []int{out}, nnlib.Zeros)
	}
	return l, a.err
}

// Fwd applies the layer to x (..., in).
func (l *Linear) Fwd(g *nnlib.Graph, x *nnlib.Node) *nnlib.Node {
	var b *nnlib.Node
	if l.B != nil {
		b = g.Param(l.B)
	}
	return g.Linear(x, g.Param(l.W), b)
}

// Embedding maps integer ids to vectors.
type Embedding struct {
	Table *nnlib.Param // (vocab, dim)
	Pad   int          // padding id (reads as zeros, no gradient), -1 for none
}

// NewEmbedding creates an embedding table name.table with N(0, 1/dim)
// initialisation; the padding row starts at zero.
func NewEmbedding(ps *nnlib.ParamSet, name string, vocab, dim, pad int) (*Embedding, error) {
	if pad >= vocab {
		return nil, fmt.Errorf("layers: embedding %s: padding id %d outside vocabulary of %d", name, pad, vocab)
	}
	a := &adder{ps: ps, prefix: name}
	e := &Embedding{Table: a.add("table", []int{vocab, dim}, nnlib.Normal(1/sqrt(float64(dim)))), Pad: pad}
	if a.err == nil && pad >= 0 {
		zeroRow(e.Table, pad)
	}
	return e, a.err
}

func zeroRow(p *nnlib.Param, row int) {
	d := p.Shape()[1]
	if v := p.F32(); v != nil {
		clear(v[row*d : (row+1)*d])
	}
	if v := p.F64(); v != nil {
		clear(v[row*d : (row+1)*d])
	}
}

// Fwd looks up ids (any shape) and returns ids.shape + (dim).
func (e *Embedding) Fwd(g *nnlib.Graph, ids *nnlib.Node) *nnlib.Node {
	return g.Embedding(ids, g.Param(e.Table), e.Pad)
}

// LSTMDir is the parameters of one LSTM direction.
type LSTMDir struct {
	Wx, Wh, B *nnlib.Param // (in, 4H), (H, 4H), (4H)
}

func newLSTMDir(a *adder, in, h int) LSTMDir {
	return LSTMDir{
		Wx: a.add("wx", []int{in, 4 * h}, nnlib.Glorot),
		Wh: a.add("wh", []int{h, 4 * h}, nnlib.Orthogonal),
		B:  a.add("b", []int{4 * h}, forgetBias(h)),
	}
}

// forgetBias initialises an LSTM bias (gate order i, f, g, o) to zero with
// the forget gate at 1 (Gers et al. 2000; Jozefowicz et al. 2015).
func forgetBias(h int) nnlib.Init {
	return func(dst []float64, _ []int, _ *randSource) {
		clear(dst)
		for j := h; j < 2*h; j++ {
			dst[j] = 1
		}
	}
}

// LSTMConfig describes a stacked, optionally bidirectional LSTM.
type LSTMConfig struct {
	Input, Hidden, Layers int
	Bidirectional         bool
	// Dropout between layers (training graphs only).
	Dropout float64
}

// LSTM is a stacked (optionally bidirectional) length-aware LSTM.
type LSTM struct {
	Cfg  LSTMConfig
	Fwd_ []LSTMDir // per layer, forward direction
	Bwd_ []LSTMDir // per layer, backward direction (bidirectional only)
}

// NewLSTM creates the layers' parameters name.l{i}.fwd.{wx,wh,b} (and .bwd).
func NewLSTM(ps *nnlib.ParamSet, name string, cfg LSTMConfig) (*LSTM, error) {
	if cfg.Input <= 0 || cfg.Hidden <= 0 || cfg.Layers <= 0 {
		return nil, fmt.Errorf("layers: lstm %s: input, hidden and layers must be positive, got %+v", name, cfg)
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("layers: lstm %s: dropout %v outside [0,1)", name, cfg.Dropout)
	}
	l := &LSTM{Cfg: cfg}
	in := cfg.Input
	for i := 0; i < cfg.Layers; i++ {
		a := &adder{ps: ps, prefix: fmt.Sprintf("%s.l%d.fwd", name, i)}
		l.Fwd_ = append(l.Fwd_, newLSTMDir(a, in, cfg.Hidden))
		if a.err != nil {
			return nil, a.err
		}
		if cfg.Bidirectional {
			b := &adder{ps: ps, prefix: fmt.Sprintf("%s.l%d.bwd", name, i)}
			l.Bwd_ = append(l.Bwd_, newLSTMDir(b, in, cfg.Hidden))
			if b.err != nil {
				return nil, b.err
			}
		}
		in = l.OutDim()
	}
	return l, nil
}

// OutDim is the size of each output vector: Hidden, or 2·Hidden.
func (l *LSTM) OutDim() int {
	if l.Cfg.Bidirectional {
		return 2 * l.Cfg.Hidden
	}
	return l.Cfg.Hidden
}

// LSTMOut is what an LSTM stack returns.
type LSTMOut struct {
	// Seq is the top layer's output (S, B, OutDim), zero at padded steps.
	Seq *nnlib.Node
	// H and C are the top layer's final states (B, OutDim): forward
	// direction's last valid step and backward direction's first step,
	// concatenated.
	H, C *nnlib.Node
}

// Apply runs the stack over x (S, B, Input) with lengths lens (B).
func (l *LSTM) Apply(g *nnlib.Graph, x, lens *nnlib.Node) LSTMOut {
	return l.apply(g, x, nil, lens)
}

// ApplyWith runs the stack over the inputs [x_t ; c] (x is (S, B, Dx), c
// is (B, Input−Dx)): every step of sequence b sees the same vector c[b],
// such as a sentence summary. It equals Apply on the concatenation, but
// c's share of the first layer's input projection is computed once per
// sequence instead of once per step.
func (l *LSTM) ApplyWith(g *nnlib.Graph, x, c, lens *nnlib.Node) LSTMOut {
	return l.apply(g, x, c, lens)
}

func (l *LSTM) apply(g *nnlib.Graph, x, c, lens *nnlib.Node) LSTMOut {
	var out LSTMOut
	for i := range l.Fwd_ {
		if i > 0 {
			x = g.Dropout(x, l.Cfg.Dropout)
		}
		proj := func(d LSTMDir) *nnlib.Node {
			if i > 0 || c == nil {
				return g.Linear(x, g.Param(d.Wx), g.Param(d.B))
			}
			return linearWith(g, x, c, g.Param(d.Wx), g.Param(d.B))
		}
		d := l.Fwd_[i]
		xp := proj(d)
		var hs, hT, cT *nnlib.Node
		if l.Cfg.Bidirectional {
			r := l.Bwd_[i]
			xpb := proj(r)
			hsf, hTf, cTf, hsb, hTb, cTb := g.BiLSTMSeq(xp, g.Param(d.Wh), xpb, g.Param(r.Wh), lens)
			hs, hT, cT = g.Concat(2, hsf, hsb), g.Concat(1, hTf, hTb), g.Concat(1, cTf, cTb)
		} else {
			hs, hT, cT = g.LSTMSeq(xp, g.Param(d.Wh), lens, false)
		}
		x = hs
		out = LSTMOut{Seq: hs, H: hT, C: cT}
	}
	return out
}

// linearWith returns [x_t ; c]·w + b for every step t of x (S, B, Dx),
// with c (B, Dc) and w (Dx+Dc, out): x·w[:Dx] + b plus c·w[Dx:] added to
// every step.
func linearWith(g *nnlib.Graph, x, c, w, b *nnlib.Node) *nnlib.Node {
	xs, cs, ws := x.Shape(), c.Shape(), w.Shape()
	if len(xs) != 3 || len(cs) != 2 || len(ws) != 2 || xs[2]+cs[1] != ws[0] {
		// Not (S, B, Dx) and (B, Dc) with Dx+Dc inputs: Linear reports
		// the shape error.
		return g.Linear(x, w, b)
	}
	xp := g.LinearRows(x, w, 0, b)
	cp := g.LinearRows(c, w, xs[2], nil) // (B, out)
	reps := make([]*nnlib.Node, xs[0])
	for t := range reps {
		reps[t] = cp
	}
	return g.Add(xp, g.Reshape(g.Concat(0, reps...), xs[0], xs[1], ws[1]))
}

// LSTMCell is a single LSTM step with its own weights (a decoder cell).
type LSTMCell struct {
	LSTMDir
	Hidden int
}

// NewLSTMCell creates name.{wx,wh,b}.
func NewLSTMCell(ps *nnlib.ParamSet, name string, in, hidden int) (*LSTMCell, error) {
	if in <= 0 || hidden <= 0 {
		return nil, fmt.Errorf("layers: lstm cell %s: sizes must be positive", name)
	}
	a := &adder{ps: ps, prefix: name}
	c := &LSTMCell{LSTMDir: newLSTMDir(a, in, hidden), Hidden: hidden}
	return c, a.err
}

// Fwd computes one step from x (B, in) and state h, c (B, H).
func (c *LSTMCell) Fwd(g *nnlib.Graph, x, h, cc *nnlib.Node) (hNew, cNew *nnlib.Node) {
	return g.LSTMCell(x, h, cc, g.Param(c.Wx), g.Param(c.Wh), g.Param(c.B))
}
