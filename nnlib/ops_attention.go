package nnlib

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gorgonia.org/tensor"
)

// maskedSoftmax writes softmax(e[:n]) into a[:n] and zeros a[n:].
func maskedSoftmax[T Float](e, a []T, n int) {
	if n == 0 {
		clear(a)
		return
	}
	mx := e[0]
	for _, v := range e[:n] {
		mx = max(mx, v)
	}
	var sum float64
	for s := 0; s < n; s++ {
		x := math.Exp(float64(e[s] - mx))
		a[s] = T(x)
		sum += x
	}
	inv := T(1 / sum)
	for s := 0; s < n; s++ {
		a[s] *= inv
	}
	clear(a[n:])
}

// softmaxBwd turns dα into de for α = softmax(e): de = α⊙(dα − Σ α⊙dα).
func softmaxBwd[T Float](a, da, de []T) {
	var dot T
	for s := range a {
		dot += a[s] * da[s]
	}
	for s := range a {
		de[s] = a[s] * (da[s] - dot)
	}
}

// contextFwd: ctx[b] = Σ_s α[b,s]·values[s,b], one small BLAS product per
// batch row (values of row b are the S rows of stride B·D).
func contextFwd[T Float](alpha, values, ctx []T, S, B, D int) {
	for b := 0; b < B; b++ {
		gemm(false, false, 1, D, S, 1, alpha[b*S:(b+1)*S], S, values[b*D:], B*D, 0, ctx[b*D:(b+1)*D], D)
	}
}

// contextBwd computes dα[b,s] = gα[b,s] + gctx[b]·values[s,b] into da and
// adds α[b,s]·gctx[b] to gvalues (if not nil), with BLAS per batch row.
func contextBwd[T Float](alpha, galpha, gctx, values, gvalues, da []T, S, B, D int) {
	for b := 0; b < B; b++ {
		dab := da[b*S : (b+1)*S]
		if galpha != nil {
			copy(dab, galpha[b*S:(b+1)*S])
		} else {
			clear(dab)
		}
		gc := gctx[b*D : (b+1)*D]
		// dα_b (S) += V_b (S×D) · gctx_b
		gemm(false, true, 1, S, D, 1, gc, D, values[b*D:], B*D, 1, dab, S)
		if gvalues != nil {
			// gV_b (S×D) += α_bᵀ (S×1) · gctx_b (1×D)
			gemm(true, false, S, D, 1, 1, alpha[b*S:(b+1)*S], S, gc, D, 1, gvalues[b*D:], B*D)
		}
	}
}

// additiveK is Bahdanau attention, optionally location-aware (Chorowski).
// Inputs: q (B,Hq), keys (S,B,A) (= values·U, precomputed once per
// sequence), values (S,B,D), lens (B), wq (Hq,A), bq (A), v (A); with
// location also prev (B,S) (the previous step's weights), filt (F,W)
// convolution filters and uf (F,A). Outputs: ctx (B,D), alpha (B,S).
type additiveK[T Float] struct {
	s, b, hq, a, d int
	loc            bool
	train          bool // keep tanh activations for backward
	nf, w          int
	u, qp, conv    []T
	alpha          []T // copy of the output weights for backward
}

func (k *additiveK[T]) name() string {
	if k.loc {
		return "attention_location"
	}
	return "attention_additive"
}

func (k *additiveK[T]) forward(in, out []*tensor.Dense) error {
	lens, err := decodeLens[T](nil, in[3], k.s)
	if err != nil {
		return err
	}
	q, keys, values := data[T](in[0]), data[T](in[1]), data[T](in[2])
	wq, bq, v := data[T](in[4]), data[T](in[5]), data[T](in[6])
	ctx, alpha := data[T](out[0]), data[T](out[1])
	S, B, A := k.s, k.b, k.a
	if k.train && len(k.u) != S*B*A {
		k.u = make([]T, S*B*A)
	}
	if len(k.qp) != B*A {
		k.qp = make([]T, B*A)
	}
	qp := k.qp
	for b := 0; b < B; b++ {
		copy(qp[b*A:(b+1)*A], bq)
	}
	gemm(false, false, B, A, k.hq, 1, q, k.hq, wq, A, 1, qp, A)
	var lp []T // (B·S, A) location projection
	if k.loc {
		prev, filt, uf := data[T](in[7]), data[T](in[8]), data[T](in[9])
		if len(k.conv) != B*S*k.nf {
			k.conv = make([]T, B*S*k.nf)
		}
		locConv(prev, filt, k.conv, B, S, k.nf, k.w)
		lp = make([]T, B*S*A)
		gemm(false, false, B*S, A, k.nf, 1, k.conv, k.nf, uf, A, 0, lp, A)
	}
	parallelFor(B, S*A, func(lo, hi int) {
		e, scratch := make([]T, S), make([]T, A)
		for b := lo; b < hi; b++ {
			n := lens[b]
			qb := qp[b*A : (b+1)*A]
			for s := 0; s < n; s++ {
				r := (s*B + b) * A
				var ls []T
				if lp != nil {
					ls = lp[(b*S+s)*A : (b*S+s+1)*A]
				}
				u := scratch // inference: the activations are not kept
				if k.train {
					u = k.u[r : r+A]
				}
				e[s] = tanhRow(keys[r:r+A], qb, ls, u, v)
			}
			maskedSoftmax(e, alpha[b*S:(b+1)*S], n)
		}
	})
	contextFwd(alpha, values, ctx, S, B, k.d)
	k.alpha = append(k.alpha[:0], alpha...)
	return nil
}

// locConv: conv[b,s,f] = Σ_j filt[f,j]·prev[b, s+j−w/2] (zero padded).
func locConv[T Float](prev, filt, conv []T, B, S, F, W int) {
	half := W / 2
	for b := 0; b < B; b++ {
		pb := prev[b*S : (b+1)*S]
		for s := 0; s < S; s++ {
			cs := conv[(b*S+s)*F : (b*S+s+1)*F]
			for f := 0; f < F; f++ {
				var acc T
				fr := filt[f*W : (f+1)*W]
				for j := 0; j < W; j++ {
					if p := s + j - half; p >= 0 && p < S {
						acc += fr[j] * pb[p]
					}
				}
				cs[f] = acc
			}
		}
	}
}

func (k *additiveK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	lens, err := decodeLens[T](nil, in[3], k.s)
	if err != nil {
		return err
	}
	q, values := data[T](in[0]), data[T](in[2])
	wq, v := data[T](in[4]), data[T](in[6])
	alpha := k.alpha
	gctx, galpha := data[T](gout[0]), data[T](gout[1])
	S, B, A, D := k.s, k.b, k.a, k.d
	da := make([]T, B*S)
	contextBwd(alpha, galpha, gctx, values, data[T](gin[2]), da, S, B, D)
	dqp := make([]T, B*A)
	gkeys, gv := data[T](gin[1]), data[T](gin[6])
	var dlp []T
	if k.loc {
		dlp = make([]T, B*S*A)
	}
	var mu sync.Mutex
	parallelFor(B, S*A, func(lo, hi int) {
		de, dpre := make([]T, S), make([]T, A)
		var pgv []T // this worker's share of the gradient of v
		if gv != nil {
			pgv = make([]T, A)
		}
		for b := lo; b < hi; b++ {
			n := lens[b]
			softmaxBwd(alpha[b*S:b*S+n], da[b*S:b*S+n], de[:n])
			dq := dqp[b*A : (b+1)*A]
			for s := 0; s < n; s++ {
				r := (s*B + b) * A
				us := k.u[r : r+A]
				des := de[s]
				for j, x := range us {
					if pgv != nil {
						pgv[j] += des * x
					}
					dpre[j] = des * v[j] * (1 - x*x)
					dq[j] += dpre[j]
				}
				if gkeys != nil {
					gk := gkeys[r : r+A]
					for j, d := range dpre {
						gk[j] += d
					}
				}
				if dlp != nil {
					copy(dlp[(b*S+s)*A:(b*S+s+1)*A], dpre)
				}
			}
		}
		if pgv != nil {
			mu.Lock()
			for j, x := range pgv {
				gv[j] += x
			}
			mu.Unlock()
		}
	})
	if gq := data[T](gin[0]); gq != nil {
		gemm(false, true, B, k.hq, A, 1, dqp, A, wq, A, 1, gq, k.hq)
	}
	if gwq := data[T](gin[4]); gwq != nil {
		gemm(true, false, k.hq, A, B, 1, q, k.hq, dqp, A, 1, gwq, A)
	}
	if gbq := data[T](gin[5]); gbq != nil {
		for b := 0; b < B; b++ {
			for j, x := range dqp[b*A : (b+1)*A] {
				gbq[j] += x
			}
		}
	}
	if k.loc {
		prev, filt, uf := data[T](in[7]), data[T](in[8]), data[T](in[9])
		if guf := data[T](gin[9]); guf != nil {
			gemm(true, false, k.nf, A, B*S, 1, k.conv, k.nf, dlp, A, 1, guf, A)
		}
		dconv := make([]T, B*S*k.nf)
		gemm(false, true, B*S, k.nf, A, 1, dlp, A, uf, A, 0, dconv, k.nf)
		gprev, gfilt := data[T](gin[7]), data[T](gin[8])
		half := k.w / 2
		for b := 0; b < B; b++ {
			for s := 0; s < S; s++ {
				dc := dconv[(b*S+s)*k.nf : (b*S+s+1)*k.nf]
				for f, d := range dc {
					if d == 0 {
						continue
					}
					for j := 0; j < k.w; j++ {
						p := s + j - half
						if p < 0 || p >= S {
							continue
						}
						if gfilt != nil {
							gfilt[f*k.w+j] += d * prev[b*S+p]
						}
						if gprev != nil {
							gprev[b*S+p] += d * filt[f*k.w+j]
						}
					}
				}
			}
		}
	}
	return nil
}

// AdditiveAttention is Bahdanau attention (Bahdanau et al. 2015):
// e[b,s] = v·tanh(keys[s,b] + q[b]·wq + bq), α = softmax over the valid
// steps s < lens[b] (padded steps get weight 0), ctx[b] = Σ_s α[b,s]·values[s,b].
// q is (B,Hq), keys (S,B,A) — the values projected once per sequence with
// a Linear layer —, values (S,B,D), lens (B), wq (Hq,A), bq (A), v (A).
// It returns ctx (B,D) and the weights α (B,S).
func (g *Graph) AdditiveAttention(q, keys, values, lens, wq, bq, v *Node) (ctx, alpha *Node) {
	return g.additive(q, keys, values, lens, wq, bq, v, nil)
}

// LocationParams are the extra weights of location-aware attention.
type LocationParams struct {
	// Prev is the previous step's attention weights (B,S).
	Prev *Node
	// Filters (F,W) convolve Prev along s (W odd; zero padding).
	Filters *Node
	// Proj (F,A) projects the F location features into the attention space.
	Proj *Node
}

// LocationAttention is location-aware attention (Chorowski et al. 2015):
// additive attention whose energy also sees features of the previous
// weights, e[b,s] = v·tanh(keys[s,b] + q[b]·wq + bq + (Filters ∗ Prev)[b,s]·Proj).
func (g *Graph) LocationAttention(q, keys, values, lens, wq, bq, v *Node, loc LocationParams) (ctx, alpha *Node) {
	if loc.Prev == nil || loc.Filters == nil || loc.Proj == nil {
		d := g.fail(fmt.Errorf("nnlib: location attention: Prev, Filters and Proj are required"))
		return d, d
	}
	return g.additive(q, keys, values, lens, wq, bq, v, &loc)
}

func (g *Graph) additive(q, keys, values, lens, wq, bq, v *Node, loc *LocationParams) (*Node, *Node) {
	ins := []*Node{q, keys, values, lens, wq, bq, v}
	if loc != nil {
		ins = append(ins, loc.Prev, loc.Filters, loc.Proj)
	}
	if !g.ok(ins...) {
		return g.dead(), g.dead()
	}
	bad := func(what string, want string, got []int) (*Node, *Node) {
		d := g.fail(&ShapeError{Op: "attention " + what, Want: want, Got: got})
		return d, d
	}
	if len(q.shape) != 2 {
		return bad("query", "(B, Hq)", q.shape)
	}
	B, Hq := q.shape[0], q.shape[1]
	if len(keys.shape) != 3 || keys.shape[1] != B {
		return bad("keys", fmt.Sprintf("(S, %d, A)", B), keys.shape)
	}
	S, A := keys.shape[0], keys.shape[2]
	if len(values.shape) != 3 || values.shape[0] != S || values.shape[1] != B {
		return bad("values", fmt.Sprintf("(%d, %d, D)", S, B), values.shape)
	}
	D := values.shape[2]
	checks := []struct {
		what string
		n    *Node
		want []int
	}{{"lens", lens, []int{B}}, {"wq", wq, []int{Hq, A}}, {"bq", bq, []int{A}}, {"v", v, []int{A}}}
	nf, w := 0, 0
	if loc != nil {
		if len(loc.Filters.shape) != 2 || loc.Filters.shape[1]%2 == 0 {
			return bad("filters", "(F, W) with W odd", loc.Filters.shape)
		}
		nf, w = loc.Filters.shape[0], loc.Filters.shape[1]
		checks = append(checks, struct {
			what string
			n    *Node
			want []int
		}{"prev", loc.Prev, []int{B, S}}, struct {
			what string
			n    *Node
			want []int
		}{"proj", loc.Proj, []int{nf, A}})
	}
	for _, c := range checks {
		if !slices.Equal(c.n.shape, c.want) {
			return bad(c.what, fmt.Sprint(c.want), c.n.shape)
		}
	}
	diff := []bool{true, true, true, false, true, true, true}
	if loc != nil {
		diff = append(diff, true, true, true)
	}
	k := pick(g, &additiveK[float32]{s: S, b: B, hq: Hq, a: A, d: D, loc: loc != nil, nf: nf, w: w, train: g.train},
		&additiveK[float64]{s: S, b: B, hq: Hq, a: A, d: D, loc: loc != nil, nf: nf, w: w, train: g.train})
	o := g.apply(k, diff, [][]int{{B, D}, {B, S}}, ins...)
	return o[0], o[1]
}

// luongK is multiplicative attention: e[b,s] = (q[b]·W)·values[s,b]
// ("general") or q[b]·values[s,b] ("dot", W absent).
type luongK[T Float] struct {
	s, b, h, d int
	general    bool
	qw, alpha  []T
}

func (k *luongK[T]) name() string { return "attention_luong" }

func (k *luongK[T]) forward(in, out []*tensor.Dense) error {
	lens, err := decodeLens[T](nil, in[2], k.s)
	if err != nil {
		return err
	}
	q, values := data[T](in[0]), data[T](in[1])
	ctx, alpha := data[T](out[0]), data[T](out[1])
	S, B, D := k.s, k.b, k.d
	qw := q
	if k.general {
		if len(k.qw) != B*D {
			k.qw = make([]T, B*D)
		}
		qw = k.qw
		gemm(false, false, B, D, k.h, 1, q, k.h, data[T](in[3]), D, 0, qw, D)
	}
	e := make([]T, S)
	for b := 0; b < B; b++ {
		n := lens[b]
		qb := qw[b*D : (b+1)*D]
		for s := 0; s < n; s++ {
			vs := values[(s*B+b)*D : (s*B+b+1)*D]
			var dot T
			for j, x := range vs {
				dot += qb[j] * x
			}
			e[s] = dot
		}
		maskedSoftmax(e, alpha[b*S:(b+1)*S], n)
	}
	contextFwd(alpha, values, ctx, S, B, D)
	k.alpha = append(k.alpha[:0], alpha...)
	return nil
}

func (k *luongK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	lens, err := decodeLens[T](nil, in[2], k.s)
	if err != nil {
		return err
	}
	q, values := data[T](in[0]), data[T](in[1])
	alpha := k.alpha
	gctx, galpha := data[T](gout[0]), data[T](gout[1])
	S, B, D := k.s, k.b, k.d
	gvalues := data[T](gin[1])
	da := make([]T, B*S)
	contextBwd(alpha, galpha, gctx, values, gvalues, da, S, B, D)
	qw := q
	if k.general {
		qw = k.qw
	}
	dqw := make([]T, B*D)
	de := make([]T, S)
	for b := 0; b < B; b++ {
		n := lens[b]
		softmaxBwd(alpha[b*S:b*S+n], da[b*S:b*S+n], de[:n])
		qb, dq := qw[b*D:(b+1)*D], dqw[b*D:(b+1)*D]
		for s := 0; s < n; s++ {
			r := (s*B + b) * D
			vs := values[r : r+D]
			d := de[s]
			for j, x := range vs {
				dq[j] += d * x
			}
			if gvalues != nil {
				gv := gvalues[r : r+D]
				for j, x := range qb {
					gv[j] += d * x
				}
			}
		}
	}
	if !k.general {
		if gq := data[T](gin[0]); gq != nil {
			for i, x := range dqw {
				gq[i] += x
			}
		}
		return nil
	}
	w := data[T](in[3])
	if gq := data[T](gin[0]); gq != nil {
		gemm(false, true, B, k.h, D, 1, dqw, D, w, D, 1, gq, k.h)
	}
	if gw := data[T](gin[3]); gw != nil {
		gemm(true, false, k.h, D, B, 1, q, k.h, dqw, D, 1, gw, D)
	}
	return nil
}

// LuongAttention is multiplicative attention (Luong et al. 2015): with w
// (H,D) the "general" score e[b,s] = q[b]·w·values[s,b]; with w nil the
// "dot" score q[b]·values[s,b] (then H must equal D). α is the softmax
// over the valid steps s < lens[b]. q is (B,H), values (S,B,D), lens (B).
// It returns ctx (B,D) and α (B,S).
func (g *Graph) LuongAttention(q, values, lens, w *Node) (ctx, alpha *Node) {
	if !g.ok(q, values, lens, w) {
		return g.dead(), g.dead()
	}
	bad := func(what, want string, got []int) (*Node, *Node) {
		d := g.fail(&ShapeError{Op: "luong attention " + what, Want: want, Got: got})
		return d, d
	}
	if len(q.shape) != 2 {
		return bad("query", "(B, H)", q.shape)
	}
	B, H := q.shape[0], q.shape[1]
	if len(values.shape) != 3 || values.shape[1] != B {
		return bad("values", fmt.Sprintf("(S, %d, D)", B), values.shape)
	}
	S, D := values.shape[0], values.shape[2]
	if !slices.Equal(lens.shape, []int{B}) {
		return bad("lens", fmt.Sprintf("(%d)", B), lens.shape)
	}
	ins := []*Node{q, values, lens}
	diff := []bool{true, true, false}
	if w != nil {
		if !slices.Equal(w.shape, []int{H, D}) {
			return bad("w", fmt.Sprintf("(%d, %d)", H, D), w.shape)
		}
		ins = append(ins, w)
		diff = append(diff, true)
	} else if H != D {
		return bad("query", fmt.Sprintf("(B, %d) for dot scores", D), q.shape)
	}
	k := pick(g, &luongK[float32]{s: S, b: B, h: H, d: D, general: w != nil}, &luongK[float64]{s: S, b: B, h: H, d: D, general: w != nil})
	o := g.apply(k, diff, [][]int{{B, D}, {B, S}}, ins...)
	return o[0], o[1]
}
