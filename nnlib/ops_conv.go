package nnlib

import (
	"fmt"

	"gorgonia.org/tensor"
)

// ConvConfig configures a 1-D convolution. Zero values mean Stride 1,
// Dilation 1 and Padding 0; negative values are invalid.
type ConvConfig struct {
	// Stride is the step between output frames, in input frames.
	Stride int
	// Dilation is the spacing between the kernel's taps, in input frames.
	Dilation int
	// Padding is the number of zero frames added at each end of the input.
	Padding int
}

// resolved returns the configuration with the zero-value defaults applied.
func (c ConvConfig) resolved() ConvConfig {
	if c.Stride == 0 {
		c.Stride = 1
	}
	if c.Dilation == 0 {
		c.Dilation = 1
	}
	return c
}

// ConvOutLen returns the number of output frames of a 1-D convolution with
// a kernel of k taps over t input frames:
// floor((t + 2·Padding − Dilation·(k−1) − 1) / Stride) + 1, or 0 when that
// is not positive or cfg has a negative field. Zero fields of cfg take
// their defaults (see ConvConfig). Use it to map sequence lengths through
// Conv1D.
func ConvOutLen(t int, k int, cfg ConvConfig) int {
	if cfg.Stride < 0 || cfg.Dilation < 0 || cfg.Padding < 0 || t < 0 || k < 1 {
		return 0
	}
	c := cfg.resolved()
	num := t + 2*c.Padding - c.Dilation*(k-1) - 1
	if num < 0 {
		return 0
	}
	return num/c.Stride + 1
}

// conv1dK is a time-major 1-D convolution as im2col + GEMM. Inputs: x
// (T,B,C), w (K,C,O) and optionally bias (O). Output: y (T',B,O).
type conv1dK[T Float] struct {
	t, b, c, o, k int
	cfg           ConvConfig // resolved
	tout          int
	bias          bool
	col           []T // (T'·B, K·C), from forward, reused across runs
	gcol          []T // (T'·B, K·C) scratch for backward
}

func (k *conv1dK[T]) name() string { return "conv1d" }

// src returns the input frame read by output frame to at tap j, or -1 for
// padding.
func (k *conv1dK[T]) src(to, j int) int {
	ti := to*k.cfg.Stride + j*k.cfg.Dilation - k.cfg.Padding
	if ti < 0 || ti >= k.t {
		return -1
	}
	return ti
}

func (k *conv1dK[T]) forward(in, out []*tensor.Dense) error {
	x, w, y := data[T](in[0]), data[T](in[1]), data[T](out[0])
	B, C, KC := k.b, k.c, k.k*k.c
	rows := k.tout * B
	if len(k.col) != rows*KC {
		k.col = make([]T, rows*KC)
	}
	col := k.col
	for to := 0; to < k.tout; to++ {
		for j := 0; j < k.k; j++ {
			ti := k.src(to, j)
			for b := 0; b < B; b++ {
				dst := col[(to*B+b)*KC+j*C : (to*B+b)*KC+(j+1)*C]
				if ti < 0 {
					clear(dst)
					continue
				}
				copy(dst, x[(ti*B+b)*C:(ti*B+b+1)*C])
			}
		}
	}
	var beta T
	if k.bias {
		bias := data[T](in[2])
		for r := 0; r < rows; r++ {
			copy(y[r*k.o:(r+1)*k.o], bias)
		}
		beta = 1
	}
	gemm(false, false, rows, k.o, KC, 1, col, KC, w, k.o, beta, y, k.o)
	return nil
}

func (k *conv1dK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	w, gy := data[T](in[1]), data[T](gout[0])
	B, C, KC := k.b, k.c, k.k*k.c
	rows := k.tout * B
	if gw := data[T](gin[1]); gw != nil {
		gemm(true, false, KC, k.o, rows, 1, k.col, KC, gy, k.o, 1, gw, k.o)
	}
	if gx := data[T](gin[0]); gx != nil {
		if len(k.gcol) != rows*KC {
			k.gcol = make([]T, rows*KC)
		}
		gcol := k.gcol
		gemm(false, true, rows, KC, k.o, 1, gy, k.o, w, k.o, 0, gcol, KC)
		// col2im: scatter-add every column block back to its input frame.
		for to := 0; to < k.tout; to++ {
			for j := 0; j < k.k; j++ {
				ti := k.src(to, j)
				if ti < 0 {
					continue
				}
				for b := 0; b < B; b++ {
					src := gcol[(to*B+b)*KC+j*C : (to*B+b)*KC+(j+1)*C]
					dst := gx[(ti*B+b)*C : (ti*B+b+1)*C]
					for i, v := range src {
						dst[i] += v
					}
				}
			}
		}
	}
	if k.bias {
		if gb := data[T](gin[2]); gb != nil {
			for r := 0; r < rows; r++ {
				for i, v := range gy[r*k.o : (r+1)*k.o] {
					gb[i] += v
				}
			}
		}
	}
	return nil
}

// Conv1D convolves a time-major sequence batch x (T,B,C) with the kernel w
// (K,C,O) along time and adds the bias b (O), or nothing when b is nil:
//
//	y[t'][b][o] = b[o] + Σ_{j<K, c<C} x[t'·Stride + j·Dilation − Padding][b][c] · w[j][c][o]
//
// with frames outside [0,T) read as zeros. The result is (T',B,O) with
// T' = ConvOutLen(T, K, cfg). Like PyTorch's Conv1d it is a
// cross-correlation. It does not mask: frames of x past a sequence's
// length should be zero (as the padded outputs of nnlib's recurrent ops
// are) so they do not leak into the last valid output frames. A shape
// mismatch, a negative cfg field or T' <= 0 is a build error.
func (g *Graph) Conv1D(x, w, b *Node, cfg ConvConfig) *Node {
	if !g.ok(x, w, b) {
		return g.dead()
	}
	if x == nil || w == nil {
		return g.fail(fmt.Errorf("nnlib: conv1d: nil input"))
	}
	if cfg.Stride < 0 || cfg.Dilation < 0 || cfg.Padding < 0 {
		return g.fail(fmt.Errorf("nnlib: conv1d: invalid config %+v: stride, dilation and padding must not be negative", cfg))
	}
	if len(x.shape) != 3 {
		return g.fail(&ShapeError{Op: "conv1d", Want: "x (T, B, C)", Got: x.shape})
	}
	T, B, C := x.shape[0], x.shape[1], x.shape[2]
	if len(w.shape) != 3 || w.shape[1] != C {
		return g.fail(&ShapeError{Op: "conv1d", Want: fmt.Sprintf("w (K, %d, O)", C), Got: w.shape})
	}
	K, O := w.shape[0], w.shape[2]
	ins := []*Node{x, w}
	diff := []bool{true, true}
	if b != nil {
		if len(b.shape) != 1 || b.shape[0] != O {
			return g.fail(&ShapeError{Op: "conv1d bias", Want: fmt.Sprintf("(%d)", O), Got: b.shape})
		}
		ins = append(ins, b)
		diff = append(diff, true)
	}
	rc := cfg.resolved()
	tout := ConvOutLen(T, K, rc)
	if tout <= 0 {
		return g.fail(&ShapeError{Op: "conv1d",
			Want: fmt.Sprintf("at least %d frames for a kernel of %d taps with %+v", rc.Dilation*(K-1)+1-2*rc.Padding, K, rc),
			Got:  x.shape})
	}
	k := pick(g,
		&conv1dK[float32]{t: T, b: B, c: C, o: O, k: K, cfg: rc, tout: tout, bias: b != nil},
		&conv1dK[float64]{t: T, b: B, c: C, o: O, k: K, cfg: rc, tout: tout, bias: b != nil})
	return g.apply(k, diff, [][]int{{tout, B, O}}, ins...)[0]
}
