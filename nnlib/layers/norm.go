package layers

import (
	"fmt"
	"math"

	"github.com/parley-ai/parley/nnlib"
)

// LayerNormConfig describes a layer normalisation.
type LayerNormConfig struct {
	// Dim is the size of the normalised (last) axis.
	Dim int
	// Eps is added to the variance; 0 means the default 1e-5 (PyTorch's).
	Eps float64
}

// LayerNorm normalises the last axis and applies a learned gain and bias
// (see nnlib.Graph.LayerNorm).
type LayerNorm struct {
	Gain, Bias *nnlib.Param // (Dim) ones, (Dim) zeros
	Eps        float64
}

// NewLayerNorm creates name.gain (ones) and name.bias (zeros).
func NewLayerNorm(ps *nnlib.ParamSet, name string, cfg LayerNormConfig) (*LayerNorm, error) {
	if cfg.Dim <= 0 {
		return nil, fmt.Errorf("layers: layer norm %s: dim must be positive, got %d", name, cfg.Dim)
	}
	if !(cfg.Eps >= 0) || math.IsInf(cfg.Eps, 1) {
		return nil, fmt.Errorf("layers: layer norm %s: eps %v must be finite and non-negative", name, cfg.Eps)
	}
	eps := cfg.Eps
	if eps == 0 {
		eps = 1e-5
	}
	a := &adder{ps: ps, prefix: name}
	l := &LayerNorm{
		Gain: a.add("gain", []int{cfg.Dim}, nnlib.Const(1)),
		Bias: a.add("bias", []int{cfg.Dim}, nnlib.Zeros),
		Eps:  eps,
	}
	return l, a.err
}

// Fwd normalises x (..., Dim).
func (l *LayerNorm) Fwd(g *nnlib.Graph, x *nnlib.Node) *nnlib.Node {
	return g.LayerNorm(x, g.Param(l.Gain), g.Param(l.Bias), l.Eps)
}
