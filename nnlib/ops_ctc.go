package nnlib

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ------------------------------------------------------------- InputInt

// InputInt creates a named input node of Go ints (gorgonia's tensor.Int),
// for the few gorgonia ops that take integer tensors. Bind it with
// Machine.Let and an []int. Names share one namespace with Input's and
// must be unique within a graph. nnlib's own kernels take float inputs
// only: ids and lengths for them are float-encoded.
func (g *Graph) InputInt(name string, shape ...int) *Node {
	if g.err != nil {
		return g.dead()
	}
	if _, dup := g.inputs[name]; dup {
		return g.fail(fmt.Errorf("nnlib: duplicate input name %q", name))
	}
	for _, d := range shape {
		if d <= 0 {
			return g.fail(&ShapeError{Op: "input " + name, Want: "positive dimensions", Got: shape})
		}
	}
	var gn *G.Node
	sh := append([]int(nil), shape...)
	err := safeCall(func() error {
		// The "in:" prefix keeps input names apart from parameter names, as
		// in Input.
		gn = G.NewTensor(g.g, tensor.Int, len(sh), G.WithShape(sh...), G.WithName("in:"+name))
		return nil
	})
	if err != nil {
		return g.fail(fmt.Errorf("nnlib: input %s: %w", name, err))
	}
	n := &Node{n: gn, g: g, shape: sh}
	g.inputs[name] = n
	return n
}

// ----------------------------------------------------------- LogSoftmax

// logSoftmaxK is log-softmax over the last axis of x, seen as (N,C).
// Output: y like x.
type logSoftmaxK[T Float] struct {
	n, c int
	lse  []T // (N): log Σ exp(x) per row, from forward, reused across runs
}

func (k *logSoftmaxK[T]) name() string { return "log_softmax" }

// expT is exp: math.Exp for float64 (used by the gradient checks), exp32
// for float32.
func expT[T Float](x T) T {
	if unsafe.Sizeof(x) == 4 {
		return T(exp32(float32(x)))
	}
	return T(math.Exp(float64(x)))
}

func (k *logSoftmaxK[T]) forward(in, out []*tensor.Dense) error {
	x, y := data[T](in[0]), data[T](out[0])
	C := k.c
	if len(k.lse) != k.n {
		k.lse = make([]T, k.n)
	}
	parallelFor(k.n, 8*C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*C:(r+1)*C], y[r*C:(r+1)*C]
			mx := xr[0]
			for _, v := range xr {
				mx = max(mx, v)
			}
			var s float64
			for _, v := range xr {
				s += float64(expT(v - mx))
			}
			// A row holding +Inf gives NaN here, as in PyTorch.
			lse := mx + T(math.Log(s))
			k.lse[r] = lse
			for j, v := range xr {
				yr[j] = v - lse
			}
		}
	})
	return nil
}

func (k *logSoftmaxK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	gx := data[T](gin[0])
	if gx == nil {
		return nil
	}
	x, gy := data[T](in[0]), data[T](gout[0])
	C := k.c
	// gx = gy − softmax(x)·Σ gy, with softmax(x) = exp(x − lse).
	parallelFor(k.n, 8*C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, gyr, gxr := x[r*C:(r+1)*C], gy[r*C:(r+1)*C], gx[r*C:(r+1)*C]
			var s float64
			for _, v := range gyr {
				s += float64(v)
			}
			lse, st := k.lse[r], T(s)
			for j, v := range gyr {
				gxr[j] += v - expT(xr[j]-lse)*st
			}
		}
	})
	return nil
}

// LogSoftmax returns log(softmax(x)) over the last axis of x (..., C),
// computed stably as x − max − log Σ exp(x − max); the result has x's
// shape. It is one fused nnlib kernel: unlike gorgonia's SoftMax and
// LogSoftMax it cannot be merged with another op on the same input
// (pitfall P1). A scalar x is a build error.
func (g *Graph) LogSoftmax(x *Node) *Node {
	if !g.ok(x) {
		return g.dead()
	}
	if x == nil {
		return g.fail(fmt.Errorf("nnlib: log softmax: nil input"))
	}
	if len(x.shape) == 0 {
		return g.fail(&ShapeError{Op: "log softmax", Want: "x (..., C)", Got: x.shape})
	}
	C := x.shape[len(x.shape)-1]
	n := prod(x.shape) / C
	k := pick(g, &logSoftmaxK[float32]{n: n, c: C}, &logSoftmaxK[float64]{n: n, c: C})
	return g.apply(k, []bool{true}, [][]int{append([]int(nil), x.shape...)}, x)[0]
}

// --------------------------------------------------------------- CTCLoss

// ErrCTCUnavailable is the build error of Graph.CTCLoss: gorgonia
// v0.9.18's CTCLoss op, which it would wrap, is broken. The findings are
// pinned down by TestGorgoniaCTC in ctc_gorgonia_test.go:
//
//   - The backward pass ignores the reduction: with ReductionMean the
//     gradient is that of ReductionSum, B·max(L_b,1) times too large for
//     sequence b.
//   - Frames past a sequence's input length get a −Inf gradient (the
//     gradient buffer is filled with −Inf and only valid frames are
//     overwritten), so any batch with unequal input lengths produces
//     −Inf/NaN parameter gradients.
//   - An empty target (length 0) gets the loss log p instead of −log p.
//   - An input length of 0, a label outside [0,C) or a target length
//     past the targets tensor indexes out of range inside a goroutine the
//     op starts (runInParallel): the panic cannot be recovered and kills
//     the process.
//
// The forward value for non-empty targets and full input lengths is
// right (it matches a brute-force sum over all alignments), and so is the
// ReductionSum gradient through a log-softmax for full input lengths.
var ErrCTCUnavailable = errors.New("nnlib: ctc loss: gorgonia v0.9.18's CTCLoss is unusable " +
	"(mean-reduction gradient not divided by batch and target lengths, -Inf gradients at frames past an input length, " +
	"wrong sign of the loss of empty targets, unrecoverable goroutine panics on zero input lengths or out-of-range labels); " +
	"see ErrCTCUnavailable and TestGorgoniaCTC")

// CTCLoss is meant to return the connectionist temporal classification
// loss (Graves et al. 2006) of log-probabilities logProbs (T,B,C) — the
// output of LogSoftmax, blank label 0 — against the padded label
// sequences targets (B,L) (an InputInt; labels in [1,C)), with the
// frame counts inputLens (B) and label counts targetLens (B) (InputInt
// nodes too). The reduction would be gorgonia's ReductionMean, which is
// PyTorch's "mean":
//
//	loss = (1/B) · Σ_b  −log p(targets[b][:targetLens[b]] | logProbs[:inputLens[b], b]) / max(targetLens[b], 1)
//
// that is, each sequence's negative log-likelihood divided by its own
// target length, then averaged over the batch.
//
// It checks the shapes and then always fails the graph with
// ErrCTCUnavailable: the gorgonia op it would wrap computes wrong
// gradients and can crash the process (see ErrCTCUnavailable). A shape
// mismatch or a float node where an int one is due is reported instead.
func (g *Graph) CTCLoss(logProbs *Node, targets, inputLens, targetLens *Node) *Node {
	if err := g.checkCTC(logProbs, targets, inputLens, targetLens); err != nil {
		return g.fail(err)
	}
	return g.fail(ErrCTCUnavailable)
}

// checkCTC validates CTCLoss's arguments.
func (g *Graph) checkCTC(logProbs, targets, inputLens, targetLens *Node) error {
	if !g.ok(logProbs, targets, inputLens, targetLens) {
		if g.err != nil {
			return g.err
		}
		return fmt.Errorf("nnlib: ctc loss: input from a failed operation")
	}
	for _, n := range []*Node{logProbs, targets, inputLens, targetLens} {
		if n == nil {
			return fmt.Errorf("nnlib: ctc loss: nil input")
		}
	}
	if len(logProbs.shape) != 3 || logProbs.n.Dtype() == tensor.Int {
		return &ShapeError{Op: "ctc loss", Want: "float logProbs (T, B, C)", Got: logProbs.shape}
	}
	B := logProbs.shape[1]
	if len(targets.shape) != 2 || targets.shape[0] != B {
		return &ShapeError{Op: "ctc loss targets", Want: fmt.Sprintf("(%d, L)", B), Got: targets.shape}
	}
	for _, c := range []struct {
		n    *Node
		what string
	}{{inputLens, "input lengths"}, {targetLens, "target lengths"}} {
		if !sameShape(c.n.shape, []int{B}) {
			return &ShapeError{Op: "ctc loss " + c.what, Want: fmt.Sprintf("(%d)", B), Got: c.n.shape}
		}
	}
	for _, c := range []struct {
		n    *Node
		what string
	}{{targets, "targets"}, {inputLens, "input lengths"}, {targetLens, "target lengths"}} {
		if c.n.n.Dtype() != tensor.Int {
			return fmt.Errorf("nnlib: ctc loss: %s must be an InputInt node, got %v", c.what, c.n.n.Dtype())
		}
	}
	return nil
}
