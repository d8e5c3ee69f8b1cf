package nnlib

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"gorgonia.org/tensor"
)

// ------------------------------------------------------------- InputInt

// InputInt creates a named input node of Go ints (gorgonia's tensor.Int),
// for the few gorgonia ops that take integer tensors. Bind it with
// Machine.Let and an []int. Names share one namespace with Input's and
// must be unique within a graph. nnlib's own kernels take float inputs
// only: ids and lengths for them are float-encoded.
func (g *Graph) InputInt(name string, shape ...int) *Node {
	return g.input(name, tensor.Int, shape)
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

// CTCReduction says how CTCLossWith combines the per-sequence negative
// log-likelihoods nll_b of a batch.
type CTCReduction int

const (
	// CTCMean is PyTorch's "mean": (1/B) · Σ_b nll_b / max(targetLen_b, 1),
	// a scalar.
	CTCMean CTCReduction = iota
	// CTCSum is Σ_b nll_b, a scalar.
	CTCSum
	// CTCNone returns the nll_b themselves, a (B) node (not divided by
	// the target lengths).
	CTCNone
)

func (r CTCReduction) String() string {
	switch r {
	case CTCMean:
		return "mean"
	case CTCSum:
		return "sum"
	case CTCNone:
		return "none"
	}
	return fmt.Sprintf("CTCReduction(%d)", int(r))
}

// CTCConfig configures CTCLossWith. Its zero value is PyTorch's default
// (mean, ZeroInfinity off); CTCLoss uses mean with ZeroInfinity on.
type CTCConfig struct {
	Reduction CTCReduction
	// ZeroInfinity makes a sequence whose target cannot be aligned to its
	// input at all (p = 0, e.g. more labels plus mandatory blanks between
	// repeats than input frames, or an input length of 0 with a non-empty
	// target) count as loss 0 instead of +Inf, as PyTorch's zero_infinity.
	// Such a sequence's gradient is 0 either way; without ZeroInfinity the
	// +Inf loss reports it (and makes a mean or sum +Inf). Under CTCMean it
	// still counts in B.
	ZeroInfinity bool
}

// CTCLoss returns the connectionist temporal classification loss (Graves
// et al. 2006) of a padded batch, reduced as PyTorch's "mean":
//
//	loss = (1/B) · Σ_b nll_b / max(targetLens[b], 1)
//	nll_b = −log p(targets[b][:targetLens[b]] | logProbs[:inputLens[b], b])
//
// that is, each sequence's negative log-likelihood divided by its own
// target length, then averaged over the batch; a scalar node. A sequence
// that admits no alignment counts as 0 (ZeroInfinity; see CTCConfig). It
// is CTCLossWith with CTCConfig{Reduction: CTCMean, ZeroInfinity: true}.
//
// logProbs (T,B,C) are time-major log-probabilities over C classes, the
// output of LogSoftmax; class 0 is the blank. targets (B,L) holds each
// sequence's labels, in [1,C), float-encoded; positions at or past
// targetLens[b] are padding and are never read. inputLens (B) and
// targetLens (B) are the frame and label counts, float-encoded, in [0,T]
// and [0,L]. All four are float nodes (Input, not InputInt). A label or a
// length out of range fails the run with an error.
//
// p(y|x) sums, over every alignment (one class per frame) that collapses
// to y once repeats are merged and blanks dropped, the product of its
// frames' probabilities; an empty target with no frames has p = 1 (loss
// 0). Only the first inputLens[b] frames of sequence b count: the
// others get an exact zero gradient.
//
// The gradient flows to logProbs only, and it is the gradient with
// respect to logProbs itself: ∂nll_b/∂logProbs[t,b,c] = −γ_t(c), the
// posterior probability that frame t emits c. (PyTorch's and gorgonia's
// CTC return exp(logProbs) − γ instead, the gradient with respect to the
// logits before a fused log-softmax; here LogSoftmax's own backward adds
// the exp(logProbs) part.) logProbs need not be normalised; the loss is
// then −log of the sum over alignments of exp(Σ_t logProbs[t, b, path_t]).
func (g *Graph) CTCLoss(logProbs, targets, inputLens, targetLens *Node) *Node {
	return g.CTCLossWith(logProbs, targets, inputLens, targetLens, CTCConfig{Reduction: CTCMean, ZeroInfinity: true})
}

// CTCLossWith is CTCLoss with an explicit reduction and ZeroInfinity
// setting (see CTCConfig). With CTCMean or CTCSum the result is a scalar;
// with CTCNone it is the (B) vector of the nll_b (0 for an impossible
// sequence with ZeroInfinity, +Inf without).
//
// nnlib's own kernel, not gorgonia v0.9.18's CTCLoss (op_ctc_loss.go),
// which is broken (TestGorgoniaCTC in ops_ctc_test.go pins it down):
// its mean-reduction gradient is the sum-reduction one, B·max(L_b,1)
// times too large; frames past an input length get a −Inf gradient (NaN
// after the log-softmax); an empty target gets the loss Σ_t log p_t(blank),
// a missing minus sign; an input length of 0, a label outside [0,C) or a
// target length past the targets tensor index out of range inside a
// goroutine, a panic no recover catches; and its hash ignores the
// reduction, so a sum and a mean node on the same inputs merge.
//
// Cost: O(Σ_b inputLens[b]·(2·targetLens[b]+1)) log-space additions
// forward and again backward, spread over the sequences of the batch in
// parallel; forward keeps those Σ_b inputLens[b]·(2·targetLens[b]+1)
// float64 values for backward. The recursions run in float64 for float32
// graphs too.
func (g *Graph) CTCLossWith(logProbs, targets, inputLens, targetLens *Node, cfg CTCConfig) *Node {
	if err := g.checkCTC(logProbs, targets, inputLens, targetLens); err != nil {
		return g.fail(err)
	}
	for _, c := range []struct {
		n    *Node
		what string
	}{{logProbs, "log-probabilities"}, {targets, "targets"}, {inputLens, "input lengths"}, {targetLens, "target lengths"}} {
		if dt := c.n.n.Dtype(); dt != g.dt {
			return g.fail(fmt.Errorf("nnlib: ctc loss: %s are %v, want the graph's %v (float-encoded: an Input node, not InputInt)", c.what, dt, g.dt))
		}
	}
	if cfg.Reduction < CTCMean || cfg.Reduction > CTCNone {
		return g.fail(fmt.Errorf("nnlib: ctc loss: unknown reduction %v", cfg.Reduction))
	}
	T, B, C, L := logProbs.shape[0], logProbs.shape[1], logProbs.shape[2], targets.shape[1]
	k := pick(g, &ctcK[float32]{t: T, b: B, c: C, l: L, red: cfg.Reduction, zeroInf: cfg.ZeroInfinity},
		&ctcK[float64]{t: T, b: B, c: C, l: L, red: cfg.Reduction, zeroInf: cfg.ZeroInfinity})
	oshape := []int{1}
	if cfg.Reduction == CTCNone {
		oshape = []int{B}
	}
	out := g.apply(k, []bool{true, false, false, false}, [][]int{oshape}, logProbs, targets, inputLens, targetLens)[0]
	if cfg.Reduction == CTCNone {
		return out
	}
	return g.Sum(out)
}

// checkCTC validates the shapes of CTCLoss's arguments: logProbs
// (T,B,C), targets (B,L), inputLens (B), targetLens (B).
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
	if len(logProbs.shape) != 3 {
		return &ShapeError{Op: "ctc loss", Want: "logProbs (T, B, C)", Got: logProbs.shape}
	}
	B := logProbs.shape[1]
	if len(targets.shape) != 2 || targets.shape[0] != B {
		return &ShapeError{Op: "ctc loss targets", Want: fmt.Sprintf("(%d, L)", B), Got: targets.shape}
	}
	for _, c := range []struct {
		n    *Node
		what string
	}{{inputLens, "input lengths"}, {targetLens, "target lengths"}} {
		if !slices.Equal(c.n.shape, []int{B}) {
			return &ShapeError{Op: "ctc loss " + c.what, Want: fmt.Sprintf("(%d)", B), Got: c.n.shape}
		}
	}
	return nil
}

// ctcK is the CTC loss of a padded batch. Inputs: logProbs (T,B,C),
// targets (B,L), inputLens (B), targetLens (B), all float-encoded; only
// logProbs is differentiable. Output: (1) the mean or sum, or (B) the
// per-sequence NLLs (CTCNone).
//
// Sequence b with target y (length U) is aligned through the extended
// label sequence y' = (0, y_1, 0, y_2, …, 0, y_U, 0) of S = 2U+1 states.
// In log space, with lp_t(c) = logProbs[t,b,c]:
//
//	α_0(0) = lp_0(0), α_0(1) = lp_0(y_1), α_0(s>1) = −∞
//	α_t(s) = lp_t(y'_s) + lse(α_{t−1}(s), α_{t−1}(s−1), [α_{t−1}(s−2)])
//	β_{N−1}(S−1) = β_{N−1}(S−2) = 0, other β_{N−1}(s) = −∞
//	β_t(s) = lse over s' ∈ {s, s+1, [s+2]} of lp_{t+1}(y'_{s'}) + β_{t+1}(s')
//	log p = lse(α_{N−1}(S−1), α_{N−1}(S−2))
//
// with N the input length; the bracketed skip is allowed when y'_s is a
// label different from y'_{s−2} (from s to s+2 likewise). α includes
// frame t's emission and β does not, so the posterior of state s at frame
// t is exp(α_t(s) + β_t(s) − log p), and ∂(−log p)/∂lp_t(c) is minus
// their sum over the states with y'_s = c.
type ctcK[T Float] struct {
	t, b, c, l int
	red        CTCReduction
	zeroInf    bool

	// From forward, for backward (reused across runs).
	il, tl []int
	labels []int     // (B,L); entries past tl[b] are 0
	logP   []float64 // (B) log p(y_b | x_b); −Inf if impossible
	// alpha[off[b]:off[b+1]] is sequence b's α, inLen_b rows of
	// 2·targetLen_b+1 states.
	alpha []float64
	off   []int
}

func (k *ctcK[T]) name() string { return "ctc_loss" }

func (k *ctcK[T]) stride() int { return 2*k.l + 1 }

// lse3 is log(exp(a) + exp(b) + exp(c)), exact for −Inf operands and
// NaN if one is NaN. The sum it takes the logarithm of is in [1,3], so
// math.Log loses nothing against math.Log1p, which is several times
// slower; the largest term's exp (1) and −Inf terms' (0) are not
// computed.
func lse3(a, b, c float64) float64 {
	m := max(a, b, c)
	if math.IsInf(m, -1) || math.IsNaN(m) {
		return m
	}
	return m + math.Log(expFrom(a, m)+expFrom(b, m)+expFrom(c, m))
}

// expFrom is exp(x − m) for x ≤ m.
func expFrom(x, m float64) float64 {
	switch {
	case x == m:
		return 1
	case math.IsInf(x, -1):
		return 0
	}
	return math.Exp(x - m)
}

// decode checks and decodes the lengths and labels.
func (k *ctcK[T]) decode(in []*tensor.Dense) error {
	il, err := decodeLens[T](nil, in[2], k.t)
	if err != nil {
		return fmt.Errorf("input lengths: %w", err)
	}
	tl, err := decodeLens[T](nil, in[3], k.l)
	if err != nil {
		return fmt.Errorf("target lengths: %w", err)
	}
	if len(k.labels) != k.b*k.l {
		k.labels = make([]int, k.b*k.l)
		k.logP = make([]float64, k.b)
	}
	raw := data[T](in[1])
	for b := 0; b < k.b; b++ {
		for i := 0; i < k.l; i++ {
			j := b*k.l + i
			if i >= tl[b] {
				k.labels[j] = 0 // padding: never read
				continue
			}
			f := raw[j]
			id := int(f)
			if T(id) != f || id < 1 || id >= k.c {
				return fmt.Errorf("target label %v at targets[%d][%d] (of %d labels) outside [1,%d): 0 is the blank", f, b, i, tl[b], k.c)
			}
			k.labels[j] = id
		}
	}
	k.il, k.tl = il, tl
	if len(k.off) != k.b+1 {
		k.off = make([]int, k.b+1)
	}
	for b := 0; b < k.b; b++ {
		k.off[b+1] = k.off[b] + il[b]*(2*tl[b]+1)
	}
	return nil
}

func (k *ctcK[T]) forward(in, out []*tensor.Dense) error {
	if err := k.decode(in); err != nil {
		return err
	}
	if n := k.off[k.b]; cap(k.alpha) < n {
		k.alpha = make([]float64, n)
	} else {
		k.alpha = k.alpha[:n]
	}
	lp := data[T](in[0])
	parallelFor(k.b, k.t*k.stride()*40, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			k.logP[b] = k.alphas(lp, b)
		}
	})
	y := data[T](out[0])
	var total float64
	for b, l := range k.logP {
		nll := -l
		if math.IsInf(nll, 1) && k.zeroInf {
			nll = 0
		}
		switch k.red {
		case CTCNone:
			y[b] = T(nll)
		case CTCMean:
			total += nll / float64(max(k.tl[b], 1))
		default:
			total += nll
		}
	}
	switch k.red {
	case CTCMean:
		y[0] = T(total / float64(k.b))
	case CTCSum:
		y[0] = T(total)
	}
	return nil
}

// ext returns the class of state s of sequence b's extended labels.
func (k *ctcK[T]) ext(b, s int) int {
	if s&1 == 0 {
		return 0
	}
	return k.labels[b*k.l+(s>>1)]
}

// skip reports whether state s may be entered from state s−2: s is a
// label that differs from the previous label.
func (k *ctcK[T]) skip(b, s int) bool {
	return s&1 == 1 && s > 1 && k.labels[b*k.l+(s>>1)] != k.labels[b*k.l+(s>>1)-1]
}

// alphas fills sequence b's α and returns log p.
func (k *ctcK[T]) alphas(lp []T, b int) float64 {
	N, S := k.il[b], 2*k.tl[b]+1
	if N == 0 {
		if S == 1 {
			return 0 // no frames, no labels: the empty alignment
		}
		return math.Inf(-1)
	}
	a := k.alpha[k.off[b]:k.off[b+1]]
	emit := func(t, s int) float64 { return float64(lp[(t*k.b+b)*k.c+k.ext(b, s)]) }
	row := a[:S]
	for s := range row {
		row[s] = math.Inf(-1)
	}
	row[0] = emit(0, 0)
	if S > 1 {
		row[1] = emit(0, 1)
	}
	for t := 1; t < N; t++ {
		prev, row := a[(t-1)*S:t*S], a[t*S:(t+1)*S]
		for s := range row {
			v1, v2 := math.Inf(-1), math.Inf(-1)
			if s > 0 {
				v1 = prev[s-1]
			}
			if k.skip(b, s) {
				v2 = prev[s-2]
			}
			v := lse3(prev[s], v1, v2)
			if math.IsInf(v, -1) {
				row[s] = v // unreachable state, whatever lp says
				continue
			}
			row[s] = v + emit(t, s)
		}
	}
	last := a[(N-1)*S:]
	if S == 1 {
		return last[0]
	}
	return lse3(last[S-1], last[S-2], math.Inf(-1))
}

func (k *ctcK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	glp := data[T](gin[0])
	if glp == nil {
		return nil
	}
	lp, gy := data[T](in[0]), data[T](gout[0])
	parallelFor(k.b, k.t*k.stride()*40, func(lo, hi int) {
		scratch := make([]float64, 3*k.stride()+k.c)
		for b := lo; b < hi; b++ {
			var w float64
			switch k.red {
			case CTCNone:
				w = float64(gy[b])
			case CTCMean:
				w = float64(gy[0]) / float64(k.b*max(k.tl[b], 1))
			default:
				w = float64(gy[0])
			}
			k.betas(lp, glp, b, w, scratch)
		}
	})
	return nil
}

// betas runs sequence b's β recursion and adds w·∂nll_b/∂lp into glp.
// scratch holds 3·(2L+1)+C float64s.
func (k *ctcK[T]) betas(lp, glp []T, b int, w float64, scratch []float64) {
	N, S, W, C := k.il[b], 2*k.tl[b]+1, k.stride(), k.c
	logP := k.logP[b]
	if N == 0 || math.IsInf(logP, -1) || w == 0 {
		// No frames, or no alignment (its gradient is 0, see CTCConfig).
		return
	}
	cur, next, e, occ := scratch[:S], scratch[W:W+S], scratch[2*W:2*W+S], scratch[3*W:3*W+C]
	a := k.alpha[k.off[b]:k.off[b+1]]
	for s := range cur {
		cur[s] = math.Inf(-1)
	}
	cur[S-1] = 0
	if S > 1 {
		cur[S-2] = 0
	}
	for t := N - 1; t >= 0; t-- {
		if t < N-1 {
			cur, next = next, cur
			// e(s) = lp_{t+1}(y'_s) + β_{t+1}(s)
			for s, v := range next {
				if !math.IsInf(v, -1) {
					v += float64(lp[((t+1)*k.b+b)*C+k.ext(b, s)])
				}
				e[s] = v
			}
			for s := range cur {
				v1, v2 := math.Inf(-1), math.Inf(-1)
				if s+1 < S {
					v1 = e[s+1]
				}
				if s+2 < S && k.skip(b, s+2) {
					v2 = e[s+2]
				}
				cur[s] = lse3(e[s], v1, v2)
			}
		}
		// The posterior γ_t(c) = Σ_{y'_s = c} exp(α_t(s) + β_t(s) − log p).
		clear(occ)
		arow := a[t*S : (t+1)*S]
		for s, v := range cur {
			x := arow[s] + v
			if math.IsInf(x, -1) {
				continue
			}
			occ[k.ext(b, s)] += math.Exp(x - logP)
		}
		g := glp[(t*k.b+b)*C : (t*k.b+b+1)*C]
		for c, v := range occ {
			if v != 0 {
				g[c] -= T(w * v)
			}
		}
	}
}
