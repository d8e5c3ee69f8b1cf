package nnlib

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gorgonia.org/tensor"
)

// -------------------------------------------------------------- Dropout

// dropoutK is inverted dropout with a mask drawn from the graph's seeded
// random source on every forward run and kept for the backward pass.
type dropoutK[T Float] struct {
	n    int
	p    float64
	rng  *rand.Rand
	mask []T // 0 or 1/(1−p), reused across runs
}

func (k *dropoutK[T]) name() string { return "dropout" }

func (k *dropoutK[T]) forward(in, out []*tensor.Dense) error {
	x, y := data[T](in[0]), data[T](out[0])
	if len(k.mask) != k.n {
		k.mask = make([]T, k.n)
	}
	scale := T(1 / (1 - k.p))
	for i := range k.mask {
		m := scale
		if k.rng.Float64() < k.p {
			m = 0
		}
		k.mask[i] = m
		y[i] = x[i] * m
	}
	return nil
}

func (k *dropoutK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	gy, gx := data[T](gout[0]), data[T](gin[0])
	if gx == nil {
		return nil
	}
	for i, m := range k.mask {
		gx[i] += gy[i] * m
	}
	return nil
}

// Dropout applies inverted dropout (Srivastava et al. 2014) to x (any
// shape) in training graphs: each element is zeroed with probability p
// and the others are scaled by 1/(1−p), so expectations match evaluation.
// A fresh mask is drawn on every run from the graph's random source
// (GraphConfig.Seed), so graphs built alike with the same seed draw the
// same masks. In an evaluation graph, or with p == 0, it returns x itself
// and adds no operation. p outside [0,1) is a build error.
func (g *Graph) Dropout(x *Node, p float64) *Node {
	if !g.ok(x) {
		return g.dead()
	}
	if x == nil {
		return g.fail(fmt.Errorf("nnlib: dropout: nil input"))
	}
	if !(p >= 0 && p < 1) {
		return g.fail(fmt.Errorf("nnlib: dropout: probability %v outside [0,1)", p))
	}
	if !g.train || p == 0 {
		return x
	}
	n := prod(x.shape)
	k := pick(g, &dropoutK[float32]{n: n, p: p, rng: g.rng}, &dropoutK[float64]{n: n, p: p, rng: g.rng})
	return g.apply(k, []bool{true}, [][]int{append([]int(nil), x.shape...)}, x)[0]
}

// ----------------------------------------------------------- FrameStack

// frameStackK stacks k consecutive frames: inputs x (T,B,D), lens (B);
// output y (⌈T/k⌉,B,k·D). Frames at or past a sequence's length read as 0.
type frameStackK[T Float] struct {
	t, b, d, k, tout int
	lens             []int
}

func (k *frameStackK[T]) name() string { return "frame_stack" }

func (k *frameStackK[T]) forward(in, out []*tensor.Dense) error {
	lens, err := decodeLens[T](k.lens, in[1], k.t)
	if err != nil {
		return err
	}
	k.lens = lens
	x, y := data[T](in[0]), data[T](out[0])
	B, D, KD := k.b, k.d, k.k*k.d
	for to := 0; to < k.tout; to++ {
		for j := 0; j < k.k; j++ {
			ti := to*k.k + j
			for b := 0; b < B; b++ {
				if ti >= lens[b] { // also covers ti >= T
					continue
				}
				copy(y[(to*B+b)*KD+j*D:(to*B+b)*KD+(j+1)*D], x[(ti*B+b)*D:(ti*B+b+1)*D])
			}
		}
	}
	return nil
}

func (k *frameStackK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	lens, err := decodeLens[T](k.lens, in[1], k.t)
	if err != nil {
		return err
	}
	k.lens = lens
	gy, gx := data[T](gout[0]), data[T](gin[0])
	if gx == nil {
		return nil
	}
	B, D, KD := k.b, k.d, k.k*k.d
	for to := 0; to < k.tout; to++ {
		for j := 0; j < k.k; j++ {
			ti := to*k.k + j
			for b := 0; b < B; b++ {
				if ti >= lens[b] {
					continue
				}
				src := gy[(to*B+b)*KD+j*D : (to*B+b)*KD+(j+1)*D]
				dst := gx[(ti*B+b)*D : (ti*B+b+1)*D]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
	}
	return nil
}

// ceilDivK maps float-encoded non-negative integers n to ⌈n/k⌉. It has no
// gradient.
type ceilDivK[T Float] struct{ k int }

func (k *ceilDivK[T]) name() string { return "ceil_div" }

func (k *ceilDivK[T]) forward(in, out []*tensor.Dense) error {
	x, y := data[T](in[0]), data[T](out[0])
	for i, f := range x {
		n := int(f)
		if T(n) != f || n < 0 {
			return fmt.Errorf("length %v of sequence %d is not a non-negative integer", f, i)
		}
		y[i] = T((n + k.k - 1) / k.k)
	}
	return nil
}

func (k *ceilDivK[T]) backward(in, out, gout, gin []*tensor.Dense) error { return nil }

// FrameStack reduces the frame rate of a time-major batch x (T,B,D) by k
// (pyramidal encoders, low-frame-rate ASR): it returns y (⌈T/k⌉,B,k·D)
// with y[t][b] = concat(x[t·k+j][b] for j < k) and the new lengths
// ylens = ⌈lens/k⌉ (B). lens (B) holds the float-encoded lengths of x.
// Frames at or past a sequence's length (including those past T) read as
// zeros, so y is zero at its own padded steps and padding never leaks into
// a valid frame. ylens has no gradient. k < 1 or a shape mismatch is a
// build error; a length outside [0,T] fails the run.
func (g *Graph) FrameStack(x, lens *Node, k int) (y, ylens *Node) {
	if !g.ok(x, lens) {
		return g.dead(), g.dead()
	}
	if x == nil || lens == nil {
		d := g.fail(fmt.Errorf("nnlib: frame stack: nil input"))
		return d, d
	}
	if k < 1 {
		d := g.fail(fmt.Errorf("nnlib: frame stack: factor %d must be at least 1", k))
		return d, d
	}
	if len(x.shape) != 3 {
		d := g.fail(&ShapeError{Op: "frame stack", Want: "x (T, B, D)", Got: x.shape})
		return d, d
	}
	T, B, D := x.shape[0], x.shape[1], x.shape[2]
	if len(lens.shape) != 1 || lens.shape[0] != B {
		d := g.fail(&ShapeError{Op: "frame stack lengths", Want: fmt.Sprintf("(%d)", B), Got: lens.shape})
		return d, d
	}
	tout := (T + k - 1) / k
	fk := pick(g, &frameStackK[float32]{t: T, b: B, d: D, k: k, tout: tout}, &frameStackK[float64]{t: T, b: B, d: D, k: k, tout: tout})
	y = g.apply(fk, []bool{true, false}, [][]int{{tout, B, k * D}}, x, lens)[0]
	ck := pick(g, &ceilDivK[float32]{k: k}, &ceilDivK[float64]{k: k})
	ylens = g.apply(ck, []bool{false}, [][]int{{B}}, lens)[0]
	return y, ylens
}

// -------------------------------------------------------- BCEWithLogits

// bceK is the weighted mean binary cross-entropy on logits. Inputs:
// logits, targets and, when weighted, weights (all of n elements).
// Output: (1).
type bceK[T Float] struct {
	n        int
	weighted bool
}

func (k *bceK[T]) name() string { return "bce_logits" }

// check validates targets and weights and returns the normaliser
// max(Σw, 1).
func (k *bceK[T]) check(in []*tensor.Dense) (float64, error) {
	for i, v := range data[T](in[1]) {
		if !(v >= 0 && v <= 1) {
			return 0, fmt.Errorf("target %v at %d outside [0,1]", v, i)
		}
	}
	if !k.weighted {
		return math.Max(float64(k.n), 1), nil
	}
	var sw float64
	for i, v := range data[T](in[2]) {
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return 0, fmt.Errorf("weight %v at %d is not finite and non-negative", v, i)
		}
		sw += float64(v)
	}
	return math.Max(sw, 1), nil
}

func (k *bceK[T]) forward(in, out []*tensor.Dense) error {
	norm, err := k.check(in)
	if err != nil {
		return err
	}
	x, t := data[T](in[0]), data[T](in[1])
	var w []T
	if k.weighted {
		w = data[T](in[2])
	}
	var s float64
	for i, v := range x {
		xv, tv := float64(v), float64(t[i])
		// max(x,0) − x·t + log(1 + e^−|x|): exact and overflow-free.
		l := math.Max(xv, 0) - xv*tv + math.Log1p(math.Exp(-math.Abs(xv)))
		if w != nil {
			l *= float64(w[i])
		}
		s += l
	}
	data[T](out[0])[0] = T(s / norm)
	return nil
}

func (k *bceK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	norm, err := k.check(in)
	if err != nil {
		return err
	}
	x, t := data[T](in[0]), data[T](in[1])
	var w []T
	if k.weighted {
		w = data[T](in[2])
	}
	gl, gt := data[T](gin[0]), data[T](gin[1])
	c := float64(data[T](gout[0])[0]) / norm
	for i, v := range x {
		f := c
		if w != nil {
			f *= float64(w[i])
		}
		if gl != nil {
			gl[i] += T(f * (stableSigmoid(float64(v)) - float64(t[i])))
		}
		if gt != nil {
			gt[i] -= T(f * float64(v))
		}
	}
	return nil
}

// stableSigmoid is σ(x) without overflow for large |x|.
func stableSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// BCEWithLogits returns the weighted mean binary cross-entropy of logits
// against targets, as a scalar node (shape []), for frame-level detectors:
//
//	loss = Σ w·(max(x,0) − x·t + log(1 + e^−|x|)) / max(Σ w, 1)
//
// logits, targets and weights have one shape (any). Targets lie in [0,1]
// (soft labels allowed); weights are non-negative, 0 masking an element;
// nil weights count every element once. The loss is differentiable in
// logits and targets, not in weights. A shape mismatch is a build error;
// a target outside [0,1] or a negative weight fails the run.
func (g *Graph) BCEWithLogits(logits, targets, weights *Node) *Node {
	if !g.ok(logits, targets, weights) {
		return g.dead()
	}
	if logits == nil || targets == nil {
		return g.fail(fmt.Errorf("nnlib: bce with logits: nil input"))
	}
	ins := []*Node{logits, targets}
	diff := []bool{true, true}
	for _, n := range []*Node{targets, weights} {
		if n != nil && !slices.Equal(n.shape, logits.shape) {
			return g.fail(&ShapeError{Op: "bce with logits", Want: fmt.Sprintf("%v (the logits' shape)", logits.shape), Got: n.shape})
		}
	}
	if weights != nil {
		ins = append(ins, weights)
		diff = append(diff, false)
	}
	n := prod(logits.shape)
	k := pick(g, &bceK[float32]{n: n, weighted: weights != nil}, &bceK[float64]{n: n, weighted: weights != nil})
	return g.Sum(g.apply(k, diff, [][]int{{1}}, ins...)[0])
}
