package nnlib

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gorgonia.org/tensor"
)

// ------------------------------------------------------------- CRFLoss

// CRFLoss returns the negative log-likelihood of a linear-chain
// conditional random field (Lafferty et al. 2001; the tagging layer of
// Lample et al. 2016's BiLSTM-CRF) over a padded, time-major batch,
// divided by the number of tokens in the batch:
//
//	loss = Σ_b (log Z_b − score_b(tags_b)) / Σ_b lens[b]
//	score_b(y) = start[y_0] + Σ_t emissions[t,b,y_t] + Σ_t>0 A[y_t−1, y_t] + end[y_N−1]
//
// where log Z_b is the log-sum-exp of score_b over all K^N tag sequences
// of the sentence's N = lens[b] tokens. The per-token scale matches a
// token-averaged cross-entropy, so the CRF can replace one without
// retuning the learning rate. A batch with no tokens has loss 0.
//
// emissions (S,B,K) are unnormalised tag scores; trans (K+2,K) holds the
// transition scores A (rows 0..K−1: A[i,j] scores tag j after tag i), the
// start scores (row K) and the end scores (row K+1). tags (S,B) are the
// gold tags, float-encoded, in [0,K) for t < lens[b] (later positions are
// padding and never read: −1 is customary); lens (B) are the sentence
// lengths in [0,S], float-encoded. A tag or length out of range fails the
// run with an error. Gradients flow to emissions and trans: the
// difference between the posterior (pairwise) marginals and the gold
// counts, computed with a scaled forward–backward pass in float64.
func (g *Graph) CRFLoss(emissions, trans, tags, lens *Node) *Node {
	if !g.ok(emissions, trans, tags, lens) {
		return g.dead()
	}
	for _, n := range []*Node{emissions, trans, tags, lens} {
		if n == nil {
			return g.fail(fmt.Errorf("nnlib: crf loss: nil input"))
		}
	}
	if len(emissions.shape) != 3 {
		return g.fail(&ShapeError{Op: "crf loss", Want: "emissions (S, B, K)", Got: emissions.shape})
	}
	S, B, K := emissions.shape[0], emissions.shape[1], emissions.shape[2]
	switch {
	case !slices.Equal(trans.shape, []int{K + 2, K}):
		return g.fail(&ShapeError{Op: "crf loss transitions", Want: fmt.Sprintf("(%d, %d)", K+2, K), Got: trans.shape})
	case !slices.Equal(tags.shape, []int{S, B}):
		return g.fail(&ShapeError{Op: "crf loss tags", Want: fmt.Sprintf("(%d, %d)", S, B), Got: tags.shape})
	case !slices.Equal(lens.shape, []int{B}):
		return g.fail(&ShapeError{Op: "crf loss lengths", Want: fmt.Sprintf("(%d)", B), Got: lens.shape})
	}
	for _, c := range []struct {
		n    *Node
		what string
	}{{emissions, "emissions"}, {trans, "transitions"}, {tags, "tags"}, {lens, "lengths"}} {
		if dt := c.n.n.Dtype(); dt != g.dt {
			return g.fail(fmt.Errorf("nnlib: crf loss: %s are %v, want the graph's %v (float-encoded: an Input node, not InputInt)", c.what, dt, g.dt))
		}
	}
	k := pick(g, &crfK[float32]{s: S, b: B, k: K}, &crfK[float64]{s: S, b: B, k: K})
	return g.Sum(g.apply(k, []bool{true, true, false, false}, [][]int{{1}}, emissions, trans, tags, lens)[0])
}

// crfK is CRFLoss's kernel. Inputs: emissions (S,B,K), trans (K+2,K),
// tags (S,B), lens (B). Output: (1) the loss.
type crfK[T Float] struct {
	s, b, k int

	// From forward, reused by backward and across runs.
	lens   []int
	tags   []int     // (S,B); −1 past a sentence's length
	tokens int       // Σ lens
	expA   []float64 // (K+2,K): exp(trans − max), rows as trans
	maxA   [3]float64
	// Per sentence b, rows [b·S, b·S+lens[b]) of (B·S, K): the scaled
	// forward variables α̂, the shifted exp emissions ε = exp(e − m_t),
	// and the scale factors c_t (B·S).
	alpha, eps []float64
	scale      []float64
	zEnd       []float64 // (B): Σ_j α̂_N−1(j) · exp(end_j − max end)
}

func (k *crfK[T]) name() string { return "crf_loss" }

func (k *crfK[T]) decode(in []*tensor.Dense) error {
	lens, err := decodeLens[T](k.lens, in[3], k.s)
	if err != nil {
		return fmt.Errorf("crf loss: %w", err)
	}
	k.lens = lens
	if len(k.tags) != k.s*k.b {
		k.tags = make([]int, k.s*k.b)
	}
	raw := data[T](in[2])
	k.tokens = 0
	for b, n := range lens {
		k.tokens += n
		for t := 0; t < k.s; t++ {
			i := t*k.b + b
			if t >= n {
				k.tags[i] = -1
				continue
			}
			f := raw[i]
			id := int(f)
			if T(id) != f || id < 0 || id >= k.k {
				return fmt.Errorf("crf loss: tag %v at tags[%d][%d] (sentence length %d) outside [0,%d)", f, t, b, n, k.k)
			}
			k.tags[i] = id
		}
	}
	return nil
}

// expTrans fills expA with exp(trans − m) per block (A, start, end), each
// block shifted by its own maximum m (kept in maxA).
func (k *crfK[T]) expTrans(tr []T) {
	K := k.k
	if len(k.expA) != (K+2)*K {
		k.expA = make([]float64, (K+2)*K)
	}
	blocks := [3][2]int{{0, K * K}, {K * K, (K + 1) * K}, {(K + 1) * K, (K + 2) * K}}
	for bi, bl := range blocks {
		m := math.Inf(-1)
		for _, v := range tr[bl[0]:bl[1]] {
			m = max(m, float64(v))
		}
		if math.IsInf(m, 0) {
			m = 0 // all −Inf (or +Inf): let exp give 0 (or NaN) as it will
		}
		k.maxA[bi] = m
		for i := bl[0]; i < bl[1]; i++ {
			k.expA[i] = math.Exp(float64(tr[i]) - m)
		}
	}
}

func (k *crfK[T]) forward(in, out []*tensor.Dense) error {
	if err := k.decode(in); err != nil {
		return err
	}
	S, B, K := k.s, k.b, k.k
	if len(k.alpha) != B*S*K {
		k.alpha, k.eps = make([]float64, B*S*K), make([]float64, B*S*K)
		k.scale, k.zEnd = make([]float64, B*S), make([]float64, B)
	}
	em, tr := data[T](in[0]), data[T](in[1])
	k.expTrans(tr)
	nll := make([]float64, B)
	parallelFor(B, S*K*K, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			nll[b] = k.sentence(em, tr, b)
		}
	})
	var total float64
	for _, v := range nll {
		total += v
	}
	y := data[T](out[0])
	y[0] = 0
	if k.tokens > 0 {
		y[0] = T(total / float64(k.tokens))
	}
	return nil
}

// sentence runs the scaled forward pass of sentence b and returns its
// negative log-likelihood log Z − score(gold).
func (k *crfK[T]) sentence(em, tr []T, b int) float64 {
	S, B, K := k.s, k.b, k.k
	N := k.lens[b]
	if N == 0 {
		return 0
	}
	A, start, end := k.expA[:K*K], k.expA[K*K:(K+1)*K], k.expA[(K+1)*K:]
	logZ := k.maxA[1] + float64(N-1)*k.maxA[0] + k.maxA[2]
	for t := 0; t < N; t++ {
		e := em[(t*B+b)*K : (t*B+b+1)*K]
		m := math.Inf(-1)
		for _, v := range e {
			m = max(m, float64(v))
		}
		if math.IsInf(m, 0) {
			m = 0
		}
		row := (b*S + t) * K
		eps, a := k.eps[row:row+K], k.alpha[row:row+K]
		for j, v := range e {
			eps[j] = math.Exp(float64(v) - m)
		}
		if t == 0 {
			for j := range a {
				a[j] = start[j] * eps[j]
			}
		} else {
			prev := k.alpha[row-K : row]
			clear(a)
			for i, p := range prev {
				if p == 0 {
					continue
				}
				ai := A[i*K : (i+1)*K]
				for j, v := range ai {
					a[j] += p * v
				}
			}
			for j := range a {
				a[j] *= eps[j]
			}
		}
		var c float64
		for _, v := range a {
			c += v
		}
		k.scale[b*S+t] = c
		if c > 0 {
			inv := 1 / c
			for j := range a {
				a[j] *= inv
			}
		}
		logZ += math.Log(c) + m
	}
	last := k.alpha[(b*S+N-1)*K : (b*S+N)*K]
	var z float64
	for j, v := range last {
		z += v * end[j]
	}
	k.zEnd[b] = z
	logZ += math.Log(z)

	y := func(t int) int { return k.tags[t*B+b] }
	gold := float64(tr[K*K+y(0)]) + float64(tr[(K+1)*K+y(N-1)])
	for t := 0; t < N; t++ {
		gold += float64(em[(t*B+b)*K+y(t)])
		if t > 0 {
			gold += float64(tr[y(t-1)*K+y(t)])
		}
	}
	return logZ - gold
}

func (k *crfK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	ge, gtr := data[T](gin[0]), data[T](gin[1])
	if (ge == nil && gtr == nil) || k.tokens == 0 {
		return nil
	}
	S, B, K := k.s, k.b, k.k
	w := float64(data[T](gout[0])[0]) / float64(k.tokens)
	var mu sync.Mutex
	parallelFor(B, 3*S*K*K, func(lo, hi int) {
		gA := make([]float64, (K+2)*K)
		beta := make([]float64, S*K)
		tmp := make([]float64, K)
		for b := lo; b < hi; b++ {
			k.sentenceGrad(ge, gA, beta, tmp, b, w)
		}
		if gtr == nil {
			return
		}
		mu.Lock()
		for i, v := range gA {
			gtr[i] += T(v)
		}
		mu.Unlock()
	})
	return nil
}

// sentenceGrad adds sentence b's gradient (weight w) to ge and gA, using
// beta (S·K) and tmp (K) as scratch.
func (k *crfK[T]) sentenceGrad(ge []T, gA, beta, tmp []float64, b int, w float64) {
	S, B, K := k.s, k.b, k.k
	N := k.lens[b]
	if N == 0 {
		return
	}
	A, end := k.expA[:K*K], k.expA[(K+1)*K:]
	alpha := func(t int) []float64 { return k.alpha[(b*S+t)*K : (b*S+t+1)*K] }
	eps := func(t int) []float64 { return k.eps[(b*S+t)*K : (b*S+t+1)*K] }
	bt := func(t int) []float64 { return beta[t*K : (t+1)*K] }
	// β̂_N−1(i) = exp(end_i − m)/zEnd; β̂_t(i) = Σ_j A(i,j) ε_t+1(j) β̂_t+1(j) / c_t+1.
	zEnd := k.zEnd[b]
	for i, v := range end {
		bt(N - 1)[i] = v / zEnd
	}
	for t := N - 2; t >= 0; t-- {
		next, e, c := bt(t+1), eps(t+1), k.scale[b*S+t+1]
		for j := range tmp {
			tmp[j] = e[j] * next[j] / c
		}
		cur := bt(t)
		for i := range cur {
			ai := A[i*K : (i+1)*K]
			var s float64
			for j, v := range ai {
				s += v * tmp[j]
			}
			cur[i] = s
		}
	}
	y := func(t int) int { return k.tags[t*B+b] }
	// Unary marginals γ_t = α̂_t ⊙ β̂_t.
	for t := 0; t < N; t++ {
		a, be := alpha(t), bt(t)
		if ge != nil {
			g := ge[(t*B+b)*K : (t*B+b+1)*K]
			for j := range g {
				g[j] += T(w * a[j] * be[j])
			}
			g[y(t)] -= T(w)
		}
		if t == 0 {
			for j := range a {
				gA[K*K+j] += w * a[j] * be[j]
			}
			gA[K*K+y(0)] -= w
		}
		if t == N-1 {
			for j := range a {
				gA[(K+1)*K+j] += w * a[j] * be[j]
			}
			gA[(K+1)*K+y(N-1)] -= w
		}
	}
	// Pairwise marginals ξ_t(i,j) = α̂_t−1(i) A(i,j) ε_t(j) β̂_t(j) / c_t.
	for t := 1; t < N; t++ {
		prev, e, be, c := alpha(t-1), eps(t), bt(t), k.scale[b*S+t]
		for j := range tmp {
			tmp[j] = w * e[j] * be[j] / c
		}
		for i, p := range prev {
			if p == 0 {
				continue
			}
			ai, gi := A[i*K:(i+1)*K], gA[i*K:(i+1)*K]
			for j, v := range ai {
				gi[j] += p * v * tmp[j]
			}
		}
		gA[y(t-1)*K+y(t)] -= w
	}
}
