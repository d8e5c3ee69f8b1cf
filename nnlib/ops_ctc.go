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
	// Per row, from forward, reused across runs: the maximum m and
	// log Σ exp(x − m), kept apart so that y = (x − m) − ls stays exact
	// for large |x| in float32.
	mx, ls []T
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
	if len(k.mx) != k.n {
		k.mx, k.ls = make([]T, k.n), make([]T, k.n)
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
			ls := T(math.Log(s))
			k.mx[r], k.ls[r] = mx, ls
			for j, v := range xr {
				yr[j] = (v - mx) - ls
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
	// gx = gy − softmax(x)·Σ gy, with softmax(x) = exp((x − m) − ls).
	parallelFor(k.n, 8*C, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, gyr, gxr := x[r*C:(r+1)*C], gy[r*C:(r+1)*C], gx[r*C:(r+1)*C]
			var s float64
			for _, v := range gyr {
				s += float64(v)
			}
			mx, ls, st := k.mx[r], k.ls[r], T(s)
			for j, v := range gyr {
				gxr[j] += v - expT((xr[j]-mx)-ls)*st
			}
		}
	})
	return nil
}

// LogSoftmax returns log(softmax(x)) over the last axis of x (..., C),
// computed stably as (x − max) − log Σ exp(x − max); the result has x's
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
// v0.9.18's CTCLoss op (op_ctc_loss.go), which it would wrap, is broken.
// Measured in f64 through LogSoftmax against brute-force sums over all
// alignments and central differences (TestGorgoniaCTC in ops_ctc_test.go,
// which fails as soon as one of these is fixed):
//
//   - The backward pass ignores the reduction: with ReductionMean the
//     gradient is the ReductionSum one, B·max(L_b,1) times too large for
//     sequence b (the forward value is right).
//   - Frames past a sequence's input length get a −Inf gradient (the op
//     fills its gradient buffer with −Inf and overwrites only the frames
//     before the input length; the log-softmax backward makes it NaN), so
//     any batch with unequal input lengths yields NaN weight gradients.
//     The true gradient there is 0.
//   - An empty target (length 0) gets the loss Σ_t log p_t(blank) instead
//     of −Σ_t log p_t(blank): a missing minus sign.
//   - An input length of 0, a label outside [0,C) or a target length
//     past the end of the targets tensor index out of range (checked for
//     input length 0, label C and length L+1 on the last sequence) inside
//     a goroutine of gorgonia's runInParallel: the panic cannot be
//     recovered (not by Machine.Run either) and kills the process. Where
//     such reads stay inside the buffers they silently take a
//     neighbouring frame's or sequence's values instead.
//   - The op's hash ignores the reduction, so a ReductionSum and a
//     ReductionMean node on the same inputs merge into one (pitfall P2).
//
// What is right: the forward value for non-empty targets, and the
// ReductionSum gradient through a log-softmax when every input length is
// T. The op's gradient is exp(lp) − occupancy, PyTorch's convention: the
// gradient w.r.t. the logits before a log-softmax, which the log-softmax
// backward passes through unchanged; it is not the gradient w.r.t. lp.
var ErrCTCUnavailable = errors.New("nnlib: ctc loss: gorgonia v0.9.18's CTCLoss is unusable: " +
	"its mean-reduction gradient is not divided by batch size and target lengths, " +
	"frames past an input length get -Inf gradients, empty targets get a negated loss, " +
	"and a zero input length or an out-of-range label or target length panics in a goroutine, killing the process " +
	"(see nnlib.ErrCTCUnavailable and TestGorgoniaCTC)")

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
