package nnlib

import (
	"fmt"

	"gorgonia.org/tensor"
)

// decodeLens decodes a float-encoded (B) lengths tensor into dst (reused
// when it has the right length), checking that every length is an integer
// in [0, limit].
func decodeLens[T Float](dst []int, d *tensor.Dense, limit int) ([]int, error) {
	raw := data[T](d)
	if len(dst) != len(raw) {
		dst = make([]int, len(raw))
	}
	for i, f := range raw {
		n := int(f)
		if T(n) != f || n < 0 || n > limit {
			return nil, fmt.Errorf("length %v of sequence %d outside [0,%d]", f, i, limit)
		}
		dst[i] = n
	}
	return dst, nil
}

// gruSeqK runs one GRU direction over a whole padded, time-major batch.
// Inputs: xproj (S,B,3H) = x·W_ih + b_ih, wh (H,3H), bh (3H), lens (B).
// Outputs: hs (S,B,H), hT (B,H). Gate order r, z, n (as PyTorch).
type gruSeqK[T Float] struct {
	s, b, h int
	reverse bool
	lens    []int
	// Caches from forward, reused across runs; all (S,B,·) in time order.
	gates []T // (S,B,3H): activated r, z, n
	hn    []T // (S,B,H): h_prev·W_hn + b_hn
	hprev []T // (S,B,H): state before the step
	// Scratch.
	gh      []T // (B,3H): h·W_h + b_h of one step
	dgh     []T // (S,B,3H): gradient of h·W_h + b_h
	dxp     []T // (S,B,3H): used when xproj gets no gradient
	dh, dhp []T // (B,H)
}

func (k *gruSeqK[T]) name() string { return "gru_seq" }

func (k *gruSeqK[T]) order(i int) int {
	if k.reverse {
		return k.s - 1 - i
	}
	return i
}

func (k *gruSeqK[T]) ensure() {
	n := k.s * k.b * k.h
	if len(k.gates) != 3*n {
		k.gates = make([]T, 3*n)
		k.hn = make([]T, n)
		k.hprev = make([]T, n)
		k.gh = make([]T, 3*k.b*k.h)
		k.dgh = make([]T, 3*n)
		k.dh = make([]T, k.b*k.h)
		k.dhp = make([]T, k.b*k.h)
	}
}

func (k *gruSeqK[T]) forward(in, out []*tensor.Dense) error {
	lens, err := decodeLens[T](k.lens, in[3], k.s)
	if err != nil {
		return err
	}
	k.lens = lens
	k.ensure()
	xp, wh, bh := data[T](in[0]), data[T](in[1]), data[T](in[2])
	hs, h := data[T](out[0]), data[T](out[1]) // the state lives in hT; starts at zero
	B, H := k.b, k.h
	H3 := 3 * H
	gh := k.gh
	for i := 0; i < k.s; i++ {
		t := k.order(i)
		base := t * B
		copy(k.hprev[base*H:(base+B)*H], h)
		for b := 0; b < B; b++ {
			copy(gh[b*H3:(b+1)*H3], bh)
		}
		gemm(false, false, B, H3, H, 1, h, H, wh, H3, 1, gh, H3)
		for b := 0; b < B; b++ {
			if t >= lens[b] {
				continue // padded step: state unchanged, output stays 0
			}
			r := base + b
			gruCellFwd(xp[r*H3:(r+1)*H3], gh[b*H3:(b+1)*H3], h[b*H:(b+1)*H],
				k.gates[r*H3:(r+1)*H3], k.hn[r*H:(r+1)*H], hs[r*H:(r+1)*H], H)
		}
	}
	return nil
}

// gruCellFwd computes one GRU step for one sequence: x (3H) is the input
// projection, gh (3H) = h·W_h + b_h, h (H) the state, updated in place.
// It stores the activated gates (3H), h·W_hn + b_hn (H) and a copy of the
// new state in hOut.
func gruCellFwd[T Float](x, gh, h, gates, hn, hOut []T, H int) {
	for j := 0; j < H; j++ {
		r := sigm(x[j] + gh[j])
		z := sigm(x[H+j] + gh[H+j])
		n := tanhT(x[2*H+j] + r*gh[2*H+j])
		hv := (1-z)*n + z*h[j]
		gates[j], gates[H+j], gates[2*H+j] = r, z, n
		hn[j] = gh[2*H+j]
		h[j], hOut[j] = hv, hv
	}
}

func (k *gruSeqK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	lens, err := decodeLens[T](k.lens, in[3], k.s)
	if err != nil {
		return err
	}
	k.lens = lens
	k.ensure()
	wh := data[T](in[1])
	ghs, ghT := data[T](gout[0]), data[T](gout[1])
	B, H := k.b, k.h
	H3 := 3 * H
	dxp := data[T](gin[0])
	if dxp == nil {
		if len(k.dxp) != k.s*B*H3 {
			k.dxp = make([]T, k.s*B*H3)
		}
		dxp = k.dxp
	}
	dgh := k.dgh
	clear(dgh) // rows of padded steps must stay zero for the dW_h GEMM
	dh, dhp := k.dh, k.dhp
	copy(dh, ghT)
	for i := k.s - 1; i >= 0; i-- {
		t := k.order(i)
		base := t * B
		for b := 0; b < B; b++ {
			dhb, dhpb := dh[b*H:(b+1)*H], dhp[b*H:(b+1)*H]
			if t >= lens[b] {
				copy(dhpb, dhb) // padded step: the gradient passes through
				continue
			}
			r := base + b
			g := ghs[r*H : (r+1)*H]
			for j := range dhb {
				dhb[j] += g[j]
			}
			gruCellBwd(k.gates[r*H3:(r+1)*H3], k.hn[r*H:(r+1)*H], k.hprev[r*H:(r+1)*H],
				dhb, dhpb, dgh[r*H3:(r+1)*H3], dxp[r*H3:(r+1)*H3], H)
		}
		// dh_prev += dgh·W_hᵀ (zero rows for padded sequences).
		gemm(false, true, B, H, H3, 1, dgh[base*H3:(base+B)*H3], H3, wh, H3, 1, dhp, H)
		dh, dhp = dhp, dh
	}
	if gwh := data[T](gin[1]); gwh != nil {
		gemm(true, false, H, H3, k.s*B, 1, k.hprev, H, dgh, H3, 1, gwh, H3)
	}
	if gbh := data[T](gin[2]); gbh != nil {
		for r := 0; r < k.s*B; r++ {
			for j, v := range dgh[r*H3 : (r+1)*H3] {
				gbh[j] += v
			}
		}
	}
	return nil
}

// gruCellBwd back-propagates dh (H), the gradient of one step's new state,
// through the cell. It writes the gradient of h·W_h + b_h to dgh (3H),
// adds the gradient of the input projection to dx (3H) and writes the
// direct part dh⊙z of the previous state's gradient to dhPrev.
func gruCellBwd[T Float](gates, hn, hPrev, dh, dhPrev, dgh, dx []T, H int) {
	for j := 0; j < H; j++ {
		r, z, n := gates[j], gates[H+j], gates[2*H+j]
		d := dh[j]
		dan := d * (1 - z) * (1 - n*n)
		daz := d * (hPrev[j] - n) * z * (1 - z)
		dar := dan * hn[j] * r * (1 - r)
		dgh[j], dgh[H+j], dgh[2*H+j] = dar, daz, dan*r
		dx[j] += dar
		dx[H+j] += daz
		dx[2*H+j] += dan
		dhPrev[j] = d * z
	}
}

// GRUSeq runs one GRU direction over a time-major padded batch, with zero
// initial state. xproj (S,B,3H) is the input projection x·W_ih + b_ih, wh
// (H,3H) the recurrent weights W_hh and bh (3H) the recurrent bias b_hh,
// in PyTorch's gate order r, z, n:
//
//	r  = σ(x_r + h·W_hr + b_hr)
//	z  = σ(x_z + h·W_hz + b_hz)
//	n  = tanh(x_n + r⊙(h·W_hn + b_hn))
//	h' = (1−z)⊙n + z⊙h
//
// lens (B) holds the float-encoded sequence lengths. With reverse, each
// sequence is read from its own last valid step backwards. Padded steps
// (t >= lens[b]) change neither the state nor the output, which is zero
// there, so the result equals running each sequence alone. It returns all
// hidden states hs (S,B,H) and the final state hT (B,H). A length outside
// [0,S] fails the run with an error.
//
// The whole sequence is one fused kernel with hand-written
// backpropagation through time: one GEMM per step forward and backward,
// and one GEMM with K = S·B for the recurrent weight gradient.
func (g *Graph) GRUSeq(xproj, wh, bh, lens *Node, reverse bool) (hs, hT *Node) {
	if !g.ok(xproj, wh, bh, lens) {
		return g.dead(), g.dead()
	}
	if xproj == nil || wh == nil || bh == nil || lens == nil {
		d := g.fail(fmt.Errorf("nnlib: gru: nil input"))
		return d, d
	}
	if len(wh.shape) != 2 || wh.shape[1] != 3*wh.shape[0] {
		d := g.fail(&ShapeError{Op: "gru", Want: "wh (H, 3H)", Got: wh.shape})
		return d, d
	}
	H := wh.shape[0]
	if len(xproj.shape) != 3 || xproj.shape[2] != 3*H {
		d := g.fail(&ShapeError{Op: "gru", Want: fmt.Sprintf("xproj (S, B, %d)", 3*H), Got: xproj.shape})
		return d, d
	}
	S, B := xproj.shape[0], xproj.shape[1]
	if len(bh.shape) != 1 || bh.shape[0] != 3*H {
		d := g.fail(&ShapeError{Op: "gru bias", Want: fmt.Sprintf("(%d)", 3*H), Got: bh.shape})
		return d, d
	}
	if len(lens.shape) != 1 || lens.shape[0] != B {
		d := g.fail(&ShapeError{Op: "gru lengths", Want: fmt.Sprintf("(%d)", B), Got: lens.shape})
		return d, d
	}
	k := pick(g, &gruSeqK[float32]{s: S, b: B, h: H, reverse: reverse}, &gruSeqK[float64]{s: S, b: B, h: H, reverse: reverse})
	o := g.apply(k, []bool{true, true, true, false}, [][]int{{S, B, H}, {B, H}}, xproj, wh, bh, lens)
	return o[0], o[1]
}
