package nnlib

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A kernel is a fused operation with a hand-written forward and backward
// pass. Kernels are how nnlib avoids gorgonia's slow paths (unrolled
// recurrent graphs, materialised broadcasts, per-step slicing): one kernel
// covers a whole LSTM sequence, an attention step or a loss.
//
// A kernel instance belongs to exactly one node of one graph. It may keep
// activations from forward for backward; a graph is run by one goroutine at
// a time, so this needs no locking.
type kernel interface {
	// name is used in hashes, error messages and graph dumps.
	name() string
	// forward computes the outputs from the inputs. out holds freshly
	// allocated zeroed tensors of the shapes given at construction.
	forward(in, out []*tensor.Dense) error
	// backward accumulates into gin (zeroed tensors shaped like the inputs;
	// nil for inputs that are not differentiable) the gradients of the
	// inputs given gout, the gradients of the outputs. in and out are the
	// values of the same run's forward pass; backward must not read out
	// (later ops may have overwritten it in place): a kernel keeps a copy
	// of any output it needs.
	backward(in, out, gout, gin []*tensor.Dense) error
}

// opIDs gives each fused op instance a unique id so gorgonia never merges
// two of them (pitfall P2: nodes are hash-consed).
var opIDs atomic.Uint64

func nextOpID() uint64 { return opIDs.Add(1) }

func tensorType(dims int, of hm.Type) hm.Type {
	if dims == 0 {
		return of
	}
	return G.TensorType{Dims: dims, Of: of}
}

// fusedOp is the gorgonia Op that runs a kernel's forward pass. With one
// output its value is that output; with several, it is a flat vector of
// all outputs one after the other, and partOp nodes view the pieces.
type fusedOp struct {
	k        kernel
	buf      buffers // output storage reused across runs
	id       uint64
	inShapes []tensor.Shape
	outShape []tensor.Shape
	diff     []bool
	dt       tensor.Dtype
}

func (op *fusedOp) packed() bool { return len(op.outShape) > 1 }

func (op *fusedOp) Arity() int { return len(op.inShapes) }

func (op *fusedOp) Type() hm.Type {
	ts := make([]hm.Type, 0, len(op.inShapes)+1)
	for _, s := range op.inShapes {
		ts = append(ts, tensorType(s.Dims(), op.dt))
	}
	if op.packed() {
		ts = append(ts, tensorType(1, op.dt))
	} else {
		ts = append(ts, tensorType(op.outShape[0].Dims(), op.dt))
	}
	return hm.NewFnType(ts...)
}

func (op *fusedOp) totalOut() int {
	n := 0
	for _, s := range op.outShape {
		n += s.TotalSize()
	}
	return n
}

func (op *fusedOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	if op.packed() {
		return tensor.Shape{op.totalOut()}, nil
	}
	return op.outShape[0].Clone(), nil
}

// splitOut allocates the output tensors; with several outputs they are
// views into one flat backing slice, returned as the op's value.
func allocLike(dt tensor.Dtype, shapes []tensor.Shape) (*tensor.Dense, []*tensor.Dense) {
	total := 0
	for _, s := range shapes {
		total += s.TotalSize()
	}
	var flat *tensor.Dense
	outs := make([]*tensor.Dense, len(shapes))
	switch dt {
	case tensor.Float64:
		buf := make([]float64, total)
		flat = tensor.New(tensor.WithShape(total), tensor.WithBacking(buf))
		off := 0
		for i, s := range shapes {
			n := s.TotalSize()
			outs[i] = tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(buf[off:off+n:off+n]))
			off += n
		}
	default:
		buf := make([]float32, total)
		flat = tensor.New(tensor.WithShape(total), tensor.WithBacking(buf))
		off := 0
		for i, s := range shapes {
			n := s.TotalSize()
			outs[i] = tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(buf[off:off+n:off+n]))
			off += n
		}
	}
	return flat, outs
}

// buffers keeps an op's output storage between runs. Reusing it (zeroed)
// instead of allocating anew on every run (gorgonia's way, pitfall P7)
// saves the allocation, the page faults and the garbage collection of
// hundreds of megabytes per training step. It is safe because values that
// outlive a run leave the graph only as copies (Graph.Output clones), and
// inputs bound with Let belong to the caller.
type buffers struct {
	flat *tensor.Dense
	outs []*tensor.Dense
}

func (b *buffers) get(dt tensor.Dtype, shapes []tensor.Shape) (*tensor.Dense, []*tensor.Dense) {
	if b.flat == nil {
		b.flat, b.outs = allocLike(dt, shapes)
		return b.flat, b.outs
	}
	switch d := b.flat.Data().(type) {
	case []float32:
		clear(d)
	case []float64:
		clear(d)
	}
	return b.flat, b.outs
}

// views cuts a flat tensor into pieces of the given shapes without copying.
func views(flat *tensor.Dense, shapes []tensor.Shape) []*tensor.Dense {
	outs := make([]*tensor.Dense, len(shapes))
	off := 0
	for i, s := range shapes {
		n := s.TotalSize()
		switch d := flat.Data().(type) {
		case []float64:
			outs[i] = tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(d[off:off+n:off+n]))
		case []float32:
			outs[i] = tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(d[off:off+n:off+n]))
		}
		off += n
	}
	return outs
}

func denseArgs(vs []G.Value) ([]*tensor.Dense, error) {
	ds := make([]*tensor.Dense, len(vs))
	for i, v := range vs {
		d, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("input %d is %T, want a dense tensor", i, v)
		}
		ds[i] = d
	}
	return ds, nil
}

func (op *fusedOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := denseArgs(vs)
	if err != nil {
		return nil, fmt.Errorf("nnlib: %s: %w", op.k.name(), err)
	}
	flat, outs := op.buf.get(op.dt, op.outShape)
	if err := safeCall(func() error { return op.k.forward(in, outs) }); err != nil {
		return nil, fmt.Errorf("nnlib: %s forward: %w", op.k.name(), err)
	}
	if op.packed() {
		return flat, nil
	}
	return outs[0], nil
}

func (op *fusedOp) ReturnsPtr() bool      { return false }
func (op *fusedOp) CallsExtern() bool     { return false }
func (op *fusedOp) OverwritesInput() int  { return -1 }
func (op *fusedOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "nnlib.%s#%d", op.k.name(), op.id) }
func (op *fusedOp) Hashcode() uint32      { return hashOf(op) }
func (op *fusedOp) String() string        { return fmt.Sprintf("%s#%d", op.k.name(), op.id) }

func (op *fusedOp) DiffWRT(n int) []bool { return append([]bool(nil), op.diff...) }

// SymDiff wires the backward pass: one gradOp computes the gradients of
// every differentiable input into a flat vector, and partOps cut it up.
func (op *fusedOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	b := &gradOp{fwd: op, id: nextOpID()}
	children := append(append(G.Nodes{}, inputs...), output, grad)
	gflat, err := G.ApplyOp(b, children...)
	if err != nil {
		return nil, err
	}
	res := make(G.Nodes, len(inputs))
	off := 0
	for i, d := range op.diff {
		if !d {
			continue
		}
		p := &partOp{id: nextOpID(), off: off, shape: op.inShapes[i].Clone(), total: b.total(), dt: op.dt}
		if res[i], err = G.ApplyOp(p, gflat); err != nil {
			return nil, err
		}
		off += op.inShapes[i].TotalSize()
	}
	return res, nil
}

// gradOp runs a kernel's backward pass. Its inputs are the forward op's
// inputs, its output and the output's gradient; its value is the flat
// concatenation of the gradients of the differentiable inputs.
type gradOp struct {
	fwd *fusedOp
	id  uint64
	buf buffers
}

func (op *gradOp) total() int {
	n := 0
	for i, d := range op.fwd.diff {
		if d {
			n += op.fwd.inShapes[i].TotalSize()
		}
	}
	return n
}

func (op *gradOp) Arity() int { return len(op.fwd.inShapes) + 2 }

func (op *gradOp) Type() hm.Type {
	f := op.fwd
	ts := make([]hm.Type, 0, len(f.inShapes)+3)
	for _, s := range f.inShapes {
		ts = append(ts, tensorType(s.Dims(), f.dt))
	}
	od := 1
	if !f.packed() {
		od = f.outShape[0].Dims()
	}
	ts = append(ts, tensorType(od, f.dt), tensorType(od, f.dt), tensorType(1, f.dt))
	return hm.NewFnType(ts...)
}

func (op *gradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.total()}, nil
}

func (op *gradOp) Do(vs ...G.Value) (G.Value, error) {
	f := op.fwd
	args, err := denseArgs(vs)
	if err != nil {
		return nil, fmt.Errorf("nnlib: %s backward: %w", f.k.name(), err)
	}
	n := len(f.inShapes)
	in, out, gout := args[:n], args[n], args[n+1]
	var outs, gouts []*tensor.Dense
	if f.packed() {
		outs, gouts = views(out, f.outShape), views(gout, f.outShape)
	} else {
		outs, gouts = []*tensor.Dense{out}, []*tensor.Dense{gout}
	}
	var shapes []tensor.Shape
	for i, d := range f.diff {
		if d {
			shapes = append(shapes, f.inShapes[i])
		}
	}
	flat, parts := op.buf.get(f.dt, shapes)
	gin := make([]*tensor.Dense, n)
	j := 0
	for i, d := range f.diff {
		if d {
			gin[i] = parts[j]
			j++
		}
	}
	if err := safeCall(func() error { return f.k.backward(in, outs, gouts, gin) }); err != nil {
		return nil, fmt.Errorf("nnlib: %s backward: %w", f.k.name(), err)
	}
	return flat, nil
}

func (op *gradOp) ReturnsPtr() bool      { return false }
func (op *gradOp) CallsExtern() bool     { return false }
func (op *gradOp) OverwritesInput() int  { return -1 }
func (op *gradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "nnlib.grad.%s#%d", op.fwd.k.name(), op.id) }
func (op *gradOp) Hashcode() uint32      { return hashOf(op) }
func (op *gradOp) String() string        { return fmt.Sprintf("∂%s#%d", op.fwd.k.name(), op.id) }
func (op *gradOp) DiffWRT(n int) []bool  { return make([]bool, n) }
func (op *gradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("nnlib: second derivatives of %s are not supported", op.fwd.k.name())
}

// partOp copies a piece out of a flat vector and gives it a shape. Its
// gradient (unpartOp) scatters the piece back into a zero vector.
type partOp struct {
	id    uint64
	off   int
	shape tensor.Shape
	total int
	dt    tensor.Dtype
}

func (op *partOp) Arity() int { return 1 }
func (op *partOp) Type() hm.Type {
	return hm.NewFnType(tensorType(1, op.dt), tensorType(op.shape.Dims(), op.dt))
}
func (op *partOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *partOp) Do(vs ...G.Value) (G.Value, error) {
	src, ok := vs[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("nnlib: part: input is %T", vs[0])
	}
	// A view, not a copy: parts are disjoint, and no kernel's backward
	// reads its own outputs (kernels cache what they need), so a later op
	// writing into a part in place cannot corrupt anything still needed.
	n := op.shape.TotalSize()
	switch d := src.Data().(type) {
	case []float64:
		return tensor.New(tensor.WithShape(op.shape.Clone()...), tensor.WithBacking(d[op.off:op.off+n:op.off+n])), nil
	case []float32:
		return tensor.New(tensor.WithShape(op.shape.Clone()...), tensor.WithBacking(d[op.off:op.off+n:op.off+n])), nil
	}
	return nil, fmt.Errorf("nnlib: part: unsupported dtype %v", src.Dtype())
}
func (op *partOp) ReturnsPtr() bool      { return false }
func (op *partOp) CallsExtern() bool     { return false }
func (op *partOp) OverwritesInput() int  { return -1 }
func (op *partOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "nnlib.part#%d", op.id) }
func (op *partOp) Hashcode() uint32      { return hashOf(op) }
func (op *partOp) String() string        { return fmt.Sprintf("part[%d:%v]#%d", op.off, op.shape, op.id) }
func (op *partOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *partOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	u := &unpartOp{part: op, id: nextOpID()}
	n, err := G.ApplyOp(u, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{n}, nil
}

type unpartOp struct {
	part *partOp
	id   uint64
}

func (op *unpartOp) Arity() int { return 1 }
func (op *unpartOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.part.shape.Dims(), op.part.dt), tensorType(1, op.part.dt))
}
func (op *unpartOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.part.total}, nil
}
func (op *unpartOp) Do(vs ...G.Value) (G.Value, error) {
	src, ok := vs[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("nnlib: unpart: input is %T", vs[0])
	}
	p := op.part
	switch d := src.Data().(type) {
	case []float64:
		buf := make([]float64, p.total)
		copy(buf[p.off:], d)
		return tensor.New(tensor.WithShape(p.total), tensor.WithBacking(buf)), nil
	case []float32:
		buf := make([]float32, p.total)
		copy(buf[p.off:], d)
		return tensor.New(tensor.WithShape(p.total), tensor.WithBacking(buf)), nil
	}
	return nil, fmt.Errorf("nnlib: unpart: unsupported dtype %v", src.Dtype())
}
func (op *unpartOp) ReturnsPtr() bool      { return false }
func (op *unpartOp) CallsExtern() bool     { return false }
func (op *unpartOp) OverwritesInput() int  { return -1 }
func (op *unpartOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "nnlib.unpart#%d", op.id) }
func (op *unpartOp) Hashcode() uint32      { return hashOf(op) }
func (op *unpartOp) String() string        { return fmt.Sprintf("unpart#%d", op.id) }
func (op *unpartOp) DiffWRT(int) []bool    { return []bool{false} }
func (op *unpartOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("nnlib: second derivatives are not supported")
}

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// safeCall runs f and turns a panic into an error, so no panic from a
// kernel or from gorgonia escapes nnlib.
func safeCall(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal panic: %v", r)
		}
	}()
	return f()
}
