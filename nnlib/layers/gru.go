package layers

import (
	"fmt"

	"github.com/parley-ai/parley/nnlib"
)

// GRUDir is the parameters of one GRU direction, in PyTorch's gate order
// r, z, n (see nnlib.Graph.GRUSeq).
type GRUDir struct {
	Wx, Wh *nnlib.Param // (in, 3H) input weights, (H, 3H) recurrent weights
	Bx, Bh *nnlib.Param // (3H) input bias, (3H) recurrent bias
}

// newGRUDir creates wx (Glorot), wh (orthogonal per gate), bx and bh
// (zeros). Both biases are needed: b_hn sits inside r⊙(·) in the
// candidate n, so it is not interchangeable with b_in.
func newGRUDir(a *adder, in, h int) GRUDir {
	return GRUDir{
		Wx: a.add("wx", []int{in, 3 * h}, nnlib.Glorot),
		Wh: a.add("wh", []int{h, 3 * h}, nnlib.Orthogonal),
		Bx: a.add("bx", []int{3 * h}, nnlib.Zeros),
		Bh: a.add("bh", []int{3 * h}, nnlib.Zeros),
	}
}

// GRUConfig describes a stacked, optionally bidirectional GRU.
type GRUConfig struct {
	Input, Hidden, Layers int
	Bidirectional         bool
	// Dropout between layers (training graphs only).
	Dropout float64
}

// GRU is a stacked (optionally bidirectional) length-aware GRU.
type GRU struct {
	Cfg  GRUConfig
	Fwd_ []GRUDir // per layer, forward direction
	Bwd_ []GRUDir // per layer, backward direction (bidirectional only)
}

// NewGRU creates the layers' parameters name.l{i}.fwd.{wx,wh,bx,bh} (and
// .bwd): wx Glorot, wh orthogonal, biases zero.
func NewGRU(ps *nnlib.ParamSet, name string, cfg GRUConfig) (*GRU, error) {
	if cfg.Input <= 0 || cfg.Hidden <= 0 || cfg.Layers <= 0 {
		return nil, fmt.Errorf("layers: gru %s: input, hidden and layers must be positive, got %+v", name, cfg)
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, fmt.Errorf("layers: gru %s: dropout %v outside [0,1)", name, cfg.Dropout)
	}
	l := &GRU{Cfg: cfg}
	in := cfg.Input
	for i := 0; i < cfg.Layers; i++ {
		a := &adder{ps: ps, prefix: fmt.Sprintf("%s.l%d.fwd", name, i)}
		l.Fwd_ = append(l.Fwd_, newGRUDir(a, in, cfg.Hidden))
		if a.err != nil {
			return nil, a.err
		}
		if cfg.Bidirectional {
			b := &adder{ps: ps, prefix: fmt.Sprintf("%s.l%d.bwd", name, i)}
			l.Bwd_ = append(l.Bwd_, newGRUDir(b, in, cfg.Hidden))
			if b.err != nil {
				return nil, b.err
			}
		}
		in = l.OutDim()
	}
	return l, nil
}

// OutDim is the size of each output vector: Hidden, or 2·Hidden.
func (l *GRU) OutDim() int {
	if l.Cfg.Bidirectional {
		return 2 * l.Cfg.Hidden
	}
	return l.Cfg.Hidden
}

// GRUOut is what a GRU stack returns.
type GRUOut struct {
	// Seq is the top layer's output (S, B, OutDim), zero at padded steps.
	Seq *nnlib.Node
	// H is the top layer's final state (B, OutDim): the forward
	// direction's state after the last valid step and the backward
	// direction's after step 0, concatenated. It is zero for an empty
	// sequence.
	H *nnlib.Node
}

// Apply runs the stack over x (S, B, Input) with lengths lens (B), from
// zero initial states. Each direction is one input projection
// x·W_x + b_x (Graph.Linear) and one fused GRUSeq; padded steps do not
// change the state. Between layers the input of the next layer goes
// through Dropout(Cfg.Dropout), active in training graphs only.
func (l *GRU) Apply(g *nnlib.Graph, x, lens *nnlib.Node) GRUOut {
	var out GRUOut
	for i := range l.Fwd_ {
		if i > 0 {
			x = g.Dropout(x, l.Cfg.Dropout)
		}
		d := l.Fwd_[i]
		hs, hT := g.GRUSeq(g.Linear(x, g.Param(d.Wx), g.Param(d.Bx)), g.Param(d.Wh), g.Param(d.Bh), lens, false)
		if l.Cfg.Bidirectional {
			r := l.Bwd_[i]
			hsb, hTb := g.GRUSeq(g.Linear(x, g.Param(r.Wx), g.Param(r.Bx)), g.Param(r.Wh), g.Param(r.Bh), lens, true)
			hs, hT = g.Concat(2, hs, hsb), g.Concat(1, hT, hTb)
		}
		x = hs
		out = GRUOut{Seq: hs, H: hT}
	}
	return out
}
