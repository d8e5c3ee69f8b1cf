package layers

import (
	"fmt"

	"github.com/parley-ai/parley/nnlib"
)

// Conv1DConfig describes a 1-D convolution over time.
type Conv1DConfig struct {
	// In and Out are the input and output channels; Kernel is the number
	// of taps.
	In, Out, Kernel int
	// ConvConfig holds Stride, Dilation and Padding (zero values: 1, 1, 0).
	nnlib.ConvConfig
	// Bias adds a learned per-channel bias.
	Bias bool
}

// Conv1D is a 1-D convolution layer over time-major sequences (see
// nnlib.Graph.Conv1D).
type Conv1D struct {
	Cfg  Conv1DConfig
	W, B *nnlib.Param // (Kernel, In, Out) Glorot, (Out) zeros or nil
}

// NewConv1D creates name.w and, with Cfg.Bias, name.b.
func NewConv1D(ps *nnlib.ParamSet, name string, cfg Conv1DConfig) (*Conv1D, error) {
	if cfg.In <= 0 || cfg.Out <= 0 || cfg.Kernel <= 0 {
		return nil, fmt.Errorf("layers: conv1d %s: in, out and kernel must be positive, got %+v", name, cfg)
	}
	if cfg.Stride < 0 || cfg.Dilation < 0 || cfg.Padding < 0 {
		return nil, fmt.Errorf("layers: conv1d %s: stride, dilation and padding must not be negative, got %+v", name, cfg.ConvConfig)
	}
	a := &adder{ps: ps, prefix: name}
	c := &Conv1D{Cfg: cfg, W: a.add("w", []int{cfg.Kernel, cfg.In, cfg.Out}, nnlib.Glorot)}
	if cfg.Bias {
		c.B = a.add("b", []int{cfg.Out}, nnlib.Zeros)
	}
	return c, a.err
}

// OutLen returns the number of output frames for t input frames
// (nnlib.ConvOutLen); map sequence lengths through it too.
func (c *Conv1D) OutLen(t int) int { return nnlib.ConvOutLen(t, c.Cfg.Kernel, c.Cfg.ConvConfig) }

// Fwd convolves x (T, B, In) and returns (OutLen(T), B, Out). It does not
// mask: frames of x past a sequence's length should be zero, and output
// frames at or past OutLen(length) are not (a following length-aware
// layer ignores them).
func (c *Conv1D) Fwd(g *nnlib.Graph, x *nnlib.Node) *nnlib.Node {
	var b *nnlib.Node
	if c.B != nil {
		b = g.Param(c.B)
	}
	return g.Conv1D(x, g.Param(c.W), b, c.Cfg.ConvConfig)
}
