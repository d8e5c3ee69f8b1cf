package nnlib

import (
	"fmt"
	"math"
	"unsafe"

	"gorgonia.org/tensor"
)

// pick returns the float64 or float32 instantiation of a kernel for g.
func pick(g *Graph, k32, k64 kernel) kernel {
	if g.dt == tensor.Float64 {
		return k64
	}
	return k32
}

// sigm is the logistic function: exact (math.Exp) for float64, which the
// gradient checks use, and ½ + ½·tanh(x/2) with tanh32 for float32.
func sigm[T Float](x T) T {
	if unsafe.Sizeof(x) == 4 {
		return T(0.5 + 0.5*tanh32(0.5*float32(x)))
	}
	return T(1 / (1 + math.Exp(-float64(x))))
}

// tanhT is tanh: math.Tanh for float64, tanh32 for float32.
func tanhT[T Float](x T) T {
	if unsafe.Sizeof(x) == 4 {
		return T(tanh32(float32(x)))
	}
	return T(math.Tanh(float64(x)))
}

// tanh32 is a fast float32 tanh: the rational approximation of Eigen's
// generic_fast_tanh_float (an odd degree-13 polynomial over an even
// degree-6 one, x clamped to ±7.9053 where float32 tanh rounds to ±1);
// absolute error below 1e-6 (TestTanh32Accuracy), and a few times faster
// than going through math.Exp.
func tanh32(x float32) float32 {
	const clamp = 7.90531110763549805
	if x > clamp {
		x = clamp
	} else if x < -clamp {
		x = -clamp
	}
	if x < 0.0004 && x > -0.0004 {
		return x
	}
	x2 := x * x
	p := x2*-2.76076847742355e-16 + 2.00018790482477e-13
	p = x2*p + -8.60467152213735e-11
	p = x2*p + 5.12229709037114e-08
	p = x2*p + 1.48572235717979e-05
	p = x2*p + 6.37261928875436e-04
	p = x2*p + 4.89352455891786e-03
	q := x2*1.19825839466702e-06 + 1.18534705686654e-04
	q = x2*q + 2.26843463243900e-03
	q = x2*q + 4.89352518554385e-03
	return x * p / q
}

// exp32 is a fast float32 exponential: exp(x) = 2^k·exp(r) with
// r = x − k·ln2 in [−ln2/2, ln2/2] and a degree-6 Taylor polynomial for
// exp(r) (relative error about 2e-7, below float32 resolution). It is
// 3-4× faster than converting through math.Exp.
func exp32(x float32) float32 {
	if x > 88 {
		return float32(math.Inf(1))
	}
	if x < -87 {
		return 0
	}
	t := x*1.44269504 + 0.5
	k := int32(t)
	if float32(k) > t {
		k-- // floor for negative t
	}
	fk := float32(k)
	r := x - fk*0.693145751953125 - fk*1.428606765330187e-06
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return math.Float32frombits(uint32(k+127)<<23) * p
}

// ---------------------------------------------------------------- Linear

// linearK computes x·w + b, or x·w[lo:lo+in] + b when w has more rows
// than x has columns (LinearRows).
type linearK[T Float] struct{ n, in, out, lo, rows int }

func (k *linearK[T]) name() string { return "linear" }

// rowsOf returns the rows of w (or of its gradient) that the product uses.
func (k *linearK[T]) rowsOf(w []T) []T { return w[k.lo*k.out : (k.lo+k.in)*k.out] }

func (k *linearK[T]) forward(in, out []*tensor.Dense) error {
	x, w, y := data[T](in[0]), k.rowsOf(data[T](in[1])), data[T](out[0])
	if len(in) > 2 {
		b := data[T](in[2])
		for i := 0; i < k.n; i++ {
			copy(y[i*k.out:(i+1)*k.out], b)
		}
		gemm(false, false, k.n, k.out, k.in, 1, x, k.in, w, k.out, 1, y, k.out)
		return nil
	}
	gemm(false, false, k.n, k.out, k.in, 1, x, k.in, w, k.out, 0, y, k.out)
	return nil
}

func (k *linearK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	x, w, gy := data[T](in[0]), k.rowsOf(data[T](in[1])), data[T](gout[0])
	if gx := data[T](gin[0]); gx != nil {
		gemm(false, true, k.n, k.in, k.out, 1, gy, k.out, w, k.out, 0, gx, k.in)
	}
	if gw := data[T](gin[1]); gw != nil {
		// The other rows' gradient stays as it is (zero): accumulate
		// unless this product covers the whole of w.
		beta := T(0)
		if k.rows != k.in {
			beta = 1
		}
		gemm(true, false, k.in, k.out, k.n, 1, x, k.in, gy, k.out, beta, k.rowsOf(gw), k.out)
	}
	if len(in) > 2 {
		if gb := data[T](gin[2]); gb != nil {
			for i := 0; i < k.n; i++ {
				row := gy[i*k.out : (i+1)*k.out]
				for j, v := range row {
					gb[j] += v
				}
			}
		}
	}
	return nil
}

// Linear returns x·w + b over the last axis of x: x is (..., in), w is
// (in, out), b is (out) or nil; the result is (..., out).
func (g *Graph) Linear(x, w, b *Node) *Node {
	if !g.ok(x, w, b) {
		return g.dead()
	}
	if len(w.shape) != 2 || len(x.shape) == 0 || x.shape[len(x.shape)-1] != w.shape[0] {
		return g.fail(&ShapeError{Op: "linear", Want: fmt.Sprintf("x (..., %d) for w %v", firstDim(w.shape), w.shape), Got: x.shape})
	}
	return g.linear(x, w, 0, b)
}

// LinearRows returns x·w[lo:lo+in] + b: it multiplies x (..., in) by the
// in rows of w (rows, out) that start at row lo, without copying them. A
// layer whose input is a concatenation [u ; v] can so apply each part of
// its weight matrix to its own piece (u·w[:len u] + v·w[len u:]), for
// example to project a per-sentence vector once instead of at every step.
func (g *Graph) LinearRows(x, w *Node, lo int, b *Node) *Node {
	if !g.ok(x, w, b) {
		return g.dead()
	}
	if len(w.shape) != 2 || len(x.shape) == 0 || lo < 0 || lo+x.shape[len(x.shape)-1] > w.shape[0] {
		return g.fail(&ShapeError{Op: fmt.Sprintf("linear rows from %d", lo), Want: fmt.Sprintf("x (..., ≤ %d) for w %v", max(firstDim(w.shape)-lo, 0), w.shape), Got: x.shape})
	}
	return g.linear(x, w, lo, b)
}

func (g *Graph) linear(x, w *Node, lo int, b *Node) *Node {
	in, out := x.shape[len(x.shape)-1], w.shape[1]
	n := prod(x.shape) / in
	ins := []*Node{x, w}
	diff := []bool{true, true}
	if b != nil {
		if len(b.shape) != 1 || b.shape[0] != out {
			return g.fail(&ShapeError{Op: "linear bias", Want: fmt.Sprintf("(%d)", out), Got: b.shape})
		}
		ins = append(ins, b)
		diff = append(diff, true)
	}
	oshape := append(append([]int(nil), x.shape[:len(x.shape)-1]...), out)
	rows := w.shape[0]
	k := pick(g, &linearK[float32]{n, in, out, lo, rows}, &linearK[float64]{n, in, out, lo, rows})
	return g.apply(k, diff, [][]int{oshape}, ins...)[0]
}

func firstDim(s []int) int {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

// ------------------------------------------------------------- Embedding

type embedK[T Float] struct{ n, v, d, pad int }

func (k *embedK[T]) name() string { return "embedding" }

func (k *embedK[T]) ids(in []*tensor.Dense) ([]int, error) {
	raw := data[T](in[0])
	ids := make([]int, len(raw))
	for i, f := range raw {
		id := int(f)
		if T(id) != f || id < 0 || id >= k.v {
			return nil, fmt.Errorf("token id %v out of range [0,%d)", f, k.v)
		}
		ids[i] = id
	}
	return ids, nil
}

func (k *embedK[T]) forward(in, out []*tensor.Dense) error {
	ids, err := k.ids(in)
	if err != nil {
		return err
	}
	tab, y := data[T](in[1]), data[T](out[0])
	for i, id := range ids {
		if id == k.pad {
			continue // the padding row reads as zeros
		}
		copy(y[i*k.d:(i+1)*k.d], tab[id*k.d:(id+1)*k.d])
	}
	return nil
}

func (k *embedK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	ids, err := k.ids(in)
	if err != nil {
		return err
	}
	gy, gt := data[T](gout[0]), data[T](gin[1])
	for i, id := range ids {
		if id == k.pad {
			continue
		}
		row, src := gt[id*k.d:(id+1)*k.d], gy[i*k.d:(i+1)*k.d]
		for j, v := range src {
			row[j] += v
		}
	}
	return nil
}

// Embedding looks up rows of table (vocab, dim) for the integer ids held
// in ids (any shape, float-encoded). The result has shape ids.shape+(dim).
// Ids equal to pad (use -1 for none) read as zero vectors and get no
// gradient. An id outside the table fails the run with an error.
func (g *Graph) Embedding(ids, table *Node, pad int) *Node {
	if !g.ok(ids, table) {
		return g.dead()
	}
	if len(table.shape) != 2 {
		return g.fail(&ShapeError{Op: "embedding", Want: "table (vocab, dim)", Got: table.shape})
	}
	v, d := table.shape[0], table.shape[1]
	oshape := append(append([]int(nil), ids.shape...), d)
	n := prod(ids.shape)
	k := pick(g, &embedK[float32]{n, v, d, pad}, &embedK[float64]{n, v, d, pad})
	return g.apply(k, []bool{false, true}, [][]int{oshape}, ids, table)[0]
}

// ------------------------------------------------------------- Unstack

type unstackK[T Float] struct{ n int }

func (k *unstackK[T]) name() string { return "unstack" }

func (k *unstackK[T]) forward(in, out []*tensor.Dense) error {
	x := data[T](in[0])
	for i, o := range out {
		copy(data[T](o), x[i*k.n:(i+1)*k.n])
	}
	return nil
}

func (k *unstackK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	gx := data[T](gin[0])
	for i, g := range gout {
		for j, v := range data[T](g) {
			gx[i*k.n+j] += v
		}
	}
	return nil
}

// Unstack splits x (T, ...) along its first axis into T nodes of shape
// (...): the per-step inputs of a decoder unrolled over time.
func (g *Graph) Unstack(x *Node) []*Node {
	if !g.ok(x) || len(x.shape) < 2 {
		if g.ok(x) {
			g.fail(&ShapeError{Op: "unstack", Want: "at least 2 dimensions", Got: x.shape})
		}
		return nil
	}
	T := x.shape[0]
	rest := append([]int(nil), x.shape[1:]...)
	shapes := make([][]int, T)
	for i := range shapes {
		shapes[i] = rest
	}
	if T == 1 {
		return []*Node{g.Reshape(x, rest...)}
	}
	n := prod(rest)
	return g.apply(pick(g, &unstackK[float32]{n}, &unstackK[float64]{n}), []bool{true}, shapes, x)
}

// -------------------------------------------------------------- Concat

// concatK joins inputs along an axis: seen as (outer, chunk_i) matrices,
// output row r is the concatenation of every input's row r.
type concatK[T Float] struct {
	outer  int
	chunks []int
}

func (k *concatK[T]) name() string { return "concat" }

func (k *concatK[T]) forward(in, out []*tensor.Dense) error {
	y := data[T](out[0])
	total := 0
	for _, c := range k.chunks {
		total += c
	}
	off := 0
	for i, x := range in {
		xs, c := data[T](x), k.chunks[i]
		for r := 0; r < k.outer; r++ {
			copy(y[r*total+off:r*total+off+c], xs[r*c:(r+1)*c])
		}
		off += c
	}
	return nil
}

func (k *concatK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	gy := data[T](gout[0])
	total := 0
	for _, c := range k.chunks {
		total += c
	}
	off := 0
	for i := range in {
		c := k.chunks[i]
		if gx := data[T](gin[i]); gx != nil {
			for r := 0; r < k.outer; r++ {
				src, dst := gy[r*total+off:r*total+off+c], gx[r*c:(r+1)*c]
				for j, v := range src {
					dst[j] += v
				}
			}
		}
		off += c
	}
	return nil
}

// Concat joins nodes along axis; all other dimensions must agree.
func (g *Graph) Concat(axis int, ns ...*Node) *Node {
	if len(ns) == 1 {
		return ns[0]
	}
	if !g.ok(ns...) {
		return g.dead()
	}
	if len(ns) == 0 {
		return g.fail(fmt.Errorf("nnlib: concat of nothing"))
	}
	ref := ns[0].shape
	if axis < 0 || axis >= len(ref) {
		return g.fail(&ShapeError{Op: fmt.Sprintf("concat axis %d", axis), Want: "an existing axis", Got: ref})
	}
	oshape := append([]int(nil), ref...)
	oshape[axis] = 0
	chunks := make([]int, len(ns))
	for i, n := range ns {
		if len(n.shape) != len(ref) {
			return g.fail(&ShapeError{Op: "concat", Want: fmt.Sprintf("rank %d", len(ref)), Got: n.shape})
		}
		for d := range ref {
			if d != axis && n.shape[d] != ref[d] {
				return g.fail(&ShapeError{Op: "concat", Want: fmt.Sprintf("%v outside axis %d", ref, axis), Got: n.shape})
			}
		}
		oshape[axis] += n.shape[axis]
		chunks[i] = prod(n.shape[axis:])
	}
	outer := prod(ref[:axis])
	diff := make([]bool, len(ns))
	for i := range diff {
		diff[i] = true
	}
	k := pick(g, &concatK[float32]{outer, chunks}, &concatK[float64]{outer, chunks})
	return g.apply(k, diff, [][]int{oshape}, ns...)[0]
}
