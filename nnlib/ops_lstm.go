package nnlib

import (
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	"gorgonia.org/tensor"
)

// lstmSeqK runs one LSTM direction over a whole padded, time-major batch.
// Inputs: xproj (S,B,4H) = x·Wx+b, wh (H,4H), lens (B). Outputs: hs
// (S,B,H), hT (B,H), cT (B,H). Gate order i, f, g, o (as PyTorch).
type lstmSeqK[T Float] struct {
	s, b, h int
	reverse bool
	// serial keeps the element-wise loops on the calling goroutine (set
	// when another direction runs concurrently on the other core).
	serial bool
	// caches from forward, reused across runs
	gates, tc, hprev, cprev []T
	tmp                     []T
}

func (k *lstmSeqK[T]) name() string { return "lstm_seq" }

func (k *lstmSeqK[T]) order(i int) int {
	if k.reverse {
		return k.s - 1 - i
	}
	return i
}

func (k *lstmSeqK[T]) par(n, cost int, fn func(lo, hi int)) {
	if k.serial {
		fn(0, n)
		return
	}
	parallelFor(n, cost, fn)
}

func (k *lstmSeqK[T]) ensure() {
	n := k.s * k.b * k.h
	if len(k.gates) != 4*n {
		k.gates = make([]T, 4*n)
		k.tc = make([]T, n)
		k.hprev = make([]T, n)
		k.cprev = make([]T, n)
		k.tmp = make([]T, 2*k.b*k.h)
	}
}

func (k *lstmSeqK[T]) forward(in, out []*tensor.Dense) error {
	lens, err := decodeLens[T](nil, in[2], k.s)
	if err != nil {
		return err
	}
	k.ensure()
	xp, wh := data[T](in[0]), data[T](in[1])
	hs, hT, cT := data[T](out[0]), data[T](out[1]), data[T](out[2])
	B, H := k.b, k.h
	h, c := hT, cT // running state lives in the outputs; starts at zero
	maxLen := maxOf(lens)
	for i := 0; i < k.s; i++ {
		t := k.order(i)
		base := t * B
		z := k.gates[base*4*H : (base+B)*4*H]
		if t >= maxLen {
			// Every sequence has ended: no GEMM for the padding.
			clear(z)
			continue
		}
		copy(z, xp[base*4*H:(base+B)*4*H])
		copy(k.hprev[base*H:(base+B)*H], h)
		copy(k.cprev[base*H:(base+B)*H], c)
		gemm(false, false, B, 4*H, H, 1, h, H, wh, 4*H, 1, z, 4*H)
		k.par(B, 4*H*8, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				zr := z[b*4*H : (b+1)*4*H]
				if t >= lens[b] {
					clear(zr) // padded step: state unchanged, output 0
					continue
				}
				hb, cb := h[b*H:(b+1)*H], c[b*H:(b+1)*H]
				tcb := k.tc[(base+b)*H : (base+b+1)*H]
				hsb := hs[(base+b)*H : (base+b+1)*H]
				lstmCellFwd(zr, cb, hb, hsb, tcb, H)
			}
		})
	}
	return nil
}

// lstmCellFwd applies the gate nonlinearities to z (4H, in place),
// updates the cell c and hidden h (in place), copies h to hOut and writes
// tanh of the new cell to tc (which backward needs).
func lstmCellFwd[T Float](z, c, h, hOut, tc []T, H int) {
	if unsafe.Sizeof(z[0]) == 4 {
		lstmGates32(f32s(z), f32s(c), f32s(h), f32s(hOut), f32s(tc), H)
		return
	}
	zi, zf, zg, zo := z[:H], z[H:2*H], z[2*H:3*H], z[3*H:4*H]
	for j := 0; j < H; j++ {
		i, f, g, o := sigm(zi[j]), sigm(zf[j]), tanhT(zg[j]), sigm(zo[j])
		zi[j], zf[j], zg[j], zo[j] = i, f, g, o
		cn := f*c[j] + i*g
		t := tanhT(cn)
		c[j], h[j], tc[j] = cn, o*t, t
		hOut[j] = h[j]
	}
}

// lstmCellBwd turns the gradients dh, dc of a step's outputs into the
// pre-activation gradient dz (4H) and the gradient reaching c_prev
// (written to dc). a holds the activated gates, tc the tanh of the new
// cell and cPrev the previous cell.
func lstmCellBwd[T Float](a, tc, cPrev, dh, dc, dz []T, H int) {
	a, tc, cPrev, dh, dc, dz = a[:4*H], tc[:H], cPrev[:H], dh[:H], dc[:H], dz[:4*H]
	for j := 0; j < H; j++ {
		i, f, g, o := a[j], a[H+j], a[2*H+j], a[3*H+j]
		t := tc[j]
		dcj := dc[j] + dh[j]*o*(1-t*t)
		dz[j] = dcj * g * i * (1 - i)
		dz[H+j] = dcj * cPrev[j] * f * (1 - f)
		dz[2*H+j] = dcj * i * (1 - g*g)
		dz[3*H+j] = dh[j] * t * o * (1 - o)
		dc[j] = dcj * f
	}
}

func (k *lstmSeqK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	lens, err := decodeLens[T](nil, in[2], k.s)
	if err != nil {
		return err
	}
	wh := data[T](in[1])
	ghs, ghT, gcT := data[T](gout[0]), data[T](gout[1]), data[T](gout[2])
	B, H := k.b, k.h
	dh, dc := k.tmp[:B*H], k.tmp[B*H:]
	copy(dh, ghT)
	copy(dc, gcT)
	dZ := data[T](gin[0])
	if dZ == nil {
		dZ = make([]T, k.s*B*4*H)
	}
	dhp := make([]T, B*H)
	maxLen := maxOf(lens)
	for i := k.s - 1; i >= 0; i-- {
		t := k.order(i)
		if t >= maxLen {
			continue // padding for every sequence: nothing flows back
		}
		base := t * B
		k.par(B, 4*H*4, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				if t >= lens[b] {
					continue
				}
				r := base + b
				dhb := dh[b*H : (b+1)*H]
				g := ghs[r*H : (r+1)*H]
				for j := range dhb {
					dhb[j] += g[j]
				}
				lstmCellBwd(k.gates[r*4*H:(r+1)*4*H], k.tc[r*H:(r+1)*H], k.cprev[r*H:(r+1)*H], dhb, dc[b*H:(b+1)*H], dZ[r*4*H:(r+1)*4*H], H)
			}
		})
		gemm(false, true, B, H, 4*H, 1, dZ[base*4*H:(base+B)*4*H], 4*H, wh, 4*H, 0, dhp, H)
		for b := 0; b < B; b++ {
			if t < lens[b] {
				copy(dh[b*H:(b+1)*H], dhp[b*H:(b+1)*H])
			}
		}
	}
	if gwh := data[T](gin[1]); gwh != nil {
		// Steps are stored in time order, so the steps before maxLen are
		// the first maxLen·B rows (in both directions).
		gemm(true, false, H, 4*H, maxLen*B, 1, k.hprev, H, dZ, 4*H, 1, gwh, 4*H)
	}
	return nil
}

// maxOf returns the largest length, 0 for none.
func maxOf(lens []int) int {
	m := 0
	for _, l := range lens {
		m = max(m, l)
	}
	return m
}

// LSTMSeq runs one LSTM direction over a time-major padded batch. xproj
// (S,B,4H) is the input projection x·Wx + b (gate order i, f, g, o), wh
// (H,4H) the recurrent weights and lens (B) the float-encoded sequence
// lengths. With reverse, each sequence is read from its own last valid step
// backwards. Padded steps (t >= lens[b]) change neither the state nor the
// output, which is zero there, so the result equals running each sequence
// alone (PyTorch's packed sequences). It returns all hidden states hs
// (S,B,H) and the final hidden and cell states hT, cT (B,H).
//
// The whole sequence is one fused kernel with hand-written backpropagation
// through time: one GEMM per step forward and backward, and one GEMM with
// K = S·B for the recurrent weight gradient.
func (g *Graph) LSTMSeq(xproj, wh, lens *Node, reverse bool) (hs, hT, cT *Node) {
	if !g.ok(xproj, wh, lens) {
		return g.dead(), g.dead(), g.dead()
	}
	if len(wh.shape) != 2 || wh.shape[1] != 4*wh.shape[0] {
		d := g.fail(&ShapeError{Op: "lstm", Want: "wh (H, 4H)", Got: wh.shape})
		return d, d, d
	}
	H := wh.shape[0]
	if len(xproj.shape) != 3 || xproj.shape[2] != 4*H {
		d := g.fail(&ShapeError{Op: "lstm", Want: fmt.Sprintf("xproj (S, B, %d)", 4*H), Got: xproj.shape})
		return d, d, d
	}
	S, B := xproj.shape[0], xproj.shape[1]
	if len(lens.shape) != 1 || lens.shape[0] != B {
		d := g.fail(&ShapeError{Op: "lstm", Want: fmt.Sprintf("lens (%d)", B), Got: lens.shape})
		return d, d, d
	}
	k := pick(g, &lstmSeqK[float32]{s: S, b: B, h: H, reverse: reverse}, &lstmSeqK[float64]{s: S, b: B, h: H, reverse: reverse})
	o := g.apply(k, []bool{true, true, false}, [][]int{{S, B, H}, {B, H}, {B, H}}, xproj, wh, lens)
	return o[0], o[1], o[2]
}

// lstmCellK is one fused LSTM step: inputs x (B,In), h (B,H), c (B,H),
// wx (In,4H), wh (H,4H), b (4H); outputs h', c'.
type lstmCellK[T Float] struct {
	b, in, h  int
	gates, tc []T // activated gates and tanh of the new cell, for backward
}

func (k *lstmCellK[T]) name() string { return "lstm_cell" }

func (k *lstmCellK[T]) forward(in, out []*tensor.Dense) error {
	x, h, c := data[T](in[0]), data[T](in[1]), data[T](in[2])
	wx, wh, bias := data[T](in[3]), data[T](in[4]), data[T](in[5])
	hn, cn := data[T](out[0]), data[T](out[1])
	B, H := k.b, k.h
	if len(k.gates) != B*4*H {
		k.gates = make([]T, B*4*H)
	}
	z := k.gates
	for b := 0; b < B; b++ {
		copy(z[b*4*H:(b+1)*4*H], bias)
	}
	gemm(false, false, B, 4*H, k.in, 1, x, k.in, wx, 4*H, 1, z, 4*H)
	gemm(false, false, B, 4*H, H, 1, h, H, wh, 4*H, 1, z, 4*H)
	copy(cn, c)
	if len(k.tc) != B*H {
		k.tc = make([]T, B*H)
	}
	for b := 0; b < B; b++ {
		cb := cn[b*H : (b+1)*H]
		hb := hn[b*H : (b+1)*H]
		lstmCellFwd(z[b*4*H:(b+1)*4*H], cb, hb, hb, k.tc[b*H:(b+1)*H], H)
	}
	return nil
}

func (k *lstmCellK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	x, h, c := data[T](in[0]), data[T](in[1]), data[T](in[2])
	wx, wh := data[T](in[3]), data[T](in[4])
	ghn, gcn := data[T](gout[0]), data[T](gout[1])
	B, H := k.b, k.h
	dz := make([]T, B*4*H)
	dc := append([]T(nil), gcn...)
	for b := 0; b < B; b++ {
		lstmCellBwd(k.gates[b*4*H:(b+1)*4*H], k.tc[b*H:(b+1)*H], c[b*H:(b+1)*H], ghn[b*H:(b+1)*H], dc[b*H:(b+1)*H], dz[b*4*H:(b+1)*4*H], H)
	}
	if gx := data[T](gin[0]); gx != nil {
		gemm(false, true, B, k.in, 4*H, 1, dz, 4*H, wx, 4*H, 1, gx, k.in)
	}
	if gh := data[T](gin[1]); gh != nil {
		gemm(false, true, B, H, 4*H, 1, dz, 4*H, wh, 4*H, 1, gh, H)
	}
	if gc := data[T](gin[2]); gc != nil {
		for i, v := range dc {
			gc[i] += v
		}
	}
	if gwx := data[T](gin[3]); gwx != nil {
		gemm(true, false, k.in, 4*H, B, 1, x, k.in, dz, 4*H, 1, gwx, 4*H)
	}
	if gwh := data[T](gin[4]); gwh != nil {
		gemm(true, false, H, 4*H, B, 1, h, H, dz, 4*H, 1, gwh, 4*H)
	}
	if gb := data[T](gin[5]); gb != nil {
		for b := 0; b < B; b++ {
			for j, v := range dz[b*4*H : (b+1)*4*H] {
				gb[j] += v
			}
		}
	}
	return nil
}

// LSTMCell is one fused LSTM step (gate order i, f, g, o): from input x
// (B,In) and state h, c (B,H) with weights wx (In,4H), wh (H,4H) and bias
// b (4H) it returns the new state h', c' (B,H).
func (g *Graph) LSTMCell(x, h, c, wx, wh, b *Node) (hNew, cNew *Node) {
	if !g.ok(x, h, c, wx, wh, b) {
		return g.dead(), g.dead()
	}
	if len(wh.shape) != 2 || wh.shape[1] != 4*wh.shape[0] {
		d := g.fail(&ShapeError{Op: "lstm cell", Want: "wh (H, 4H)", Got: wh.shape})
		return d, d
	}
	H := wh.shape[0]
	if len(x.shape) != 2 {
		d := g.fail(&ShapeError{Op: "lstm cell", Want: "x (B, In)", Got: x.shape})
		return d, d
	}
	B, In := x.shape[0], x.shape[1]
	for _, c := range []struct {
		n    *Node
		want []int
	}{{h, []int{B, H}}, {c, []int{B, H}}, {wx, []int{In, 4 * H}}, {b, []int{4 * H}}} {
		if !slices.Equal(c.n.shape, c.want) {
			d := g.fail(&ShapeError{Op: "lstm cell", Want: fmt.Sprint(c.want), Got: c.n.shape})
			return d, d
		}
	}
	k := pick(g, &lstmCellK[float32]{b: B, in: In, h: H}, &lstmCellK[float64]{b: B, in: In, h: H})
	o := g.apply(k, []bool{true, true, true, true, true, true}, [][]int{{B, H}, {B, H}}, x, h, c, wx, wh, b)
	return o[0], o[1]
}

// biLSTMK runs the two directions of a bidirectional LSTM layer at the
// same time, one per core: each direction's per-step GEMMs are too small
// to split, and gorgonia would run the two kernels one after the other.
// Inputs: xpF, whF, xpB, whB, lens; outputs hsF, hTF, cTF, hsB, hTB, cTB.
type biLSTMK[T Float] struct{ f, r *lstmSeqK[T] }

func (k *biLSTMK[T]) name() string { return "bilstm_seq" }

func (k *biLSTMK[T]) both(f, r func() error) error {
	if runtime.GOMAXPROCS(0) < 2 {
		if err := f(); err != nil {
			return err
		}
		return r()
	}
	k.f.serial, k.r.serial = true, true
	done := make(chan error, 1)
	go func() { done <- safeCall(r) }()
	errF := f()
	if errR := <-done; errR != nil {
		return errR
	}
	return errF
}

func (k *biLSTMK[T]) forward(in, out []*tensor.Dense) error {
	return k.both(
		func() error { return k.f.forward([]*tensor.Dense{in[0], in[1], in[4]}, out[:3]) },
		func() error { return k.r.forward([]*tensor.Dense{in[2], in[3], in[4]}, out[3:]) })
}

func (k *biLSTMK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	return k.both(
		func() error {
			return k.f.backward([]*tensor.Dense{in[0], in[1], in[4]}, out[:3], gout[:3], []*tensor.Dense{gin[0], gin[1], nil})
		},
		func() error {
			return k.r.backward([]*tensor.Dense{in[2], in[3], in[4]}, out[3:], gout[3:], []*tensor.Dense{gin[2], gin[3], nil})
		})
}

// BiLSTMSeq runs both directions of a bidirectional LSTM layer (see
// LSTMSeq) in one kernel, concurrently: xpF/whF for the forward direction,
// xpB/whB for the backward one. It returns each direction's hs, hT, cT.
func (g *Graph) BiLSTMSeq(xpF, whF, xpB, whB, lens *Node) (hsF, hTF, cTF, hsB, hTB, cTB *Node) {
	if !g.ok(xpF, whF, xpB, whB, lens) {
		d := g.dead()
		return d, d, d, d, d, d
	}
	bad := func(err error) (a, b, c, d, e, f *Node) {
		x := g.fail(err)
		return x, x, x, x, x, x
	}
	if !slices.Equal(xpF.shape, xpB.shape) || !slices.Equal(whF.shape, whB.shape) {
		return bad(&ShapeError{Op: "bilstm", Want: fmt.Sprintf("both directions shaped like %v and %v", xpF.shape, whF.shape), Got: append(append([]int(nil), xpB.shape...), whB.shape...)})
	}
	if len(whF.shape) != 2 || whF.shape[1] != 4*whF.shape[0] {
		return bad(&ShapeError{Op: "bilstm", Want: "wh (H, 4H)", Got: whF.shape})
	}
	H := whF.shape[0]
	if len(xpF.shape) != 3 || xpF.shape[2] != 4*H {
		return bad(&ShapeError{Op: "bilstm", Want: fmt.Sprintf("xproj (S, B, %d)", 4*H), Got: xpF.shape})
	}
	S, B := xpF.shape[0], xpF.shape[1]
	if !slices.Equal(lens.shape, []int{B}) {
		return bad(&ShapeError{Op: "bilstm", Want: fmt.Sprintf("lens (%d)", B), Got: lens.shape})
	}
	var k kernel
	if g.dt == tensor.Float64 {
		k = &biLSTMK[float64]{f: &lstmSeqK[float64]{s: S, b: B, h: H}, r: &lstmSeqK[float64]{s: S, b: B, h: H, reverse: true}}
	} else {
		k = &biLSTMK[float32]{f: &lstmSeqK[float32]{s: S, b: B, h: H}, r: &lstmSeqK[float32]{s: S, b: B, h: H, reverse: true}}
	}
	o := g.apply(k, []bool{true, true, true, true, false}, [][]int{{S, B, H}, {B, H}, {B, H}, {S, B, H}, {B, H}, {B, H}}, xpF, whF, xpB, whB, lens)
	return o[0], o[1], o[2], o[3], o[4], o[5]
}
