package nnlib

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ShapeError reports tensors whose shapes do not fit an operation.
type ShapeError struct {
	Op   string
	Want string
	Got  []int
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("nnlib: %s: want shape %s, got %v", e.Op, e.Want, e.Got)
}

// Graph builds one computation graph. Build errors are sticky: the first
// one is kept, every later operation returns a placeholder node, and Err
// (or Compile) reports it, so model code reads as straight-line maths.
//
// Graphs bind the weights of a ParamSet without copying them: a training
// graph, an encoder graph and a one-step decoder graph built on the same
// set all see every optimiser update at once.
type Graph struct {
	g       *G.ExprGraph
	ps      *ParamSet
	dt      tensor.Dtype
	train   bool
	rng     *rand.Rand
	params  map[*Param]*Node
	inputs  map[string]*Node
	err     error
	loss    *Node
	outputs []*G.Value // holders of Output nodes
}

// GraphConfig configures a graph.
type GraphConfig struct {
	// Train enables dropout and other training-only behaviour.
	Train bool
	// Seed seeds the graph's random source (dropout masks).
	Seed uint64
}

// Node is a value in a Graph: an input, a bound parameter or the result of
// an operation. Its shape is static.
type Node struct {
	n     *G.Node
	g     *Graph
	shape []int
	out   *G.Value // set by Graph.Output
}

// Shape returns the node's shape.
func (n *Node) Shape() []int { return n.shape }

// Name returns the node's name in the graph.
func (n *Node) Name() string { return n.n.Name() }

// Graph returns the graph the node belongs to.
func (n *Node) Graph() *Graph { return n.g }

// NewGraph starts a graph over the parameters of ps.
func NewGraph(ps *ParamSet, cfg GraphConfig) *Graph {
	return &Graph{
		g:      G.NewGraph(),
		ps:     ps,
		dt:     ps.dtype.tensor(),
		train:  cfg.Train,
		rng:    rand.New(rand.NewPCG(cfg.Seed, 0x853c49e6748fea9b)),
		params: map[*Param]*Node{},
		inputs: map[string]*Node{},
	}
}

// Train reports whether the graph was built for training.
func (g *Graph) Train() bool { return g.train }

// Err returns the first error met while building the graph.
func (g *Graph) Err() error { return g.err }

// Fail records err (if it is the first) and returns a placeholder node.
func (g *Graph) fail(err error) *Node {
	if g.err == nil {
		g.err = err
	}
	return g.dead()
}

func (g *Graph) dead() *Node { return &Node{g: g, shape: []int{1}} }

// ok reports whether building may go on with these nodes.
func (g *Graph) ok(ns ...*Node) bool {
	if g.err != nil {
		return false
	}
	for _, n := range ns {
		if n != nil && n.n == nil {
			return false
		}
	}
	return true
}

// Param binds p into the graph (once; later calls return the same node).
func (g *Graph) Param(p *Param) *Node {
	if n, ok := g.params[p]; ok {
		return n
	}
	if g.err != nil {
		return g.dead()
	}
	var gn *G.Node
	err := safeCall(func() error {
		// Each graph gets its own tensor header over the shared backing
		// array: no copy, optimiser updates are seen at once, and gorgonia's
		// per-machine bookkeeping on the header (it sets an engine on
		// every bound value) never touches another graph's.
		view := tensor.New(tensor.WithShape(p.Value.Shape().Clone()...), tensor.WithBacking(p.Value.Data()))
		gn = G.NodeFromAny(g.g, view, G.WithName(p.Name))
		return nil
	})
	if err != nil {
		return g.fail(fmt.Errorf("nnlib: bind %s: %w", p.Name, err))
	}
	n := &Node{n: gn, g: g, shape: p.Shape()}
	g.params[p] = n
	return n
}

// Input creates a named input node. Names must be unique within a graph.
func (g *Graph) Input(name string, shape ...int) *Node { return g.input(name, g.dt, shape) }

func (g *Graph) input(name string, dt tensor.Dtype, shape []int) *Node {
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
		// Names carry a prefix that parameter names cannot have.
		gn = G.NewTensor(g.g, dt, len(sh), G.WithShape(sh...), G.WithName("in:"+name))
		return nil
	})
	if err != nil {
		return g.fail(fmt.Errorf("nnlib: input %s: %w", name, err))
	}
	n := &Node{n: gn, g: g, shape: sh}
	g.inputs[name] = n
	return n
}

// apply runs kernel k on inputs and returns its outputs, whose shapes the
// caller computed. diff says which inputs get gradients.
func (g *Graph) apply(k kernel, diff []bool, outShapes [][]int, ins ...*Node) []*Node {
	outs := make([]*Node, len(outShapes))
	if !g.ok(ins...) {
		for i := range outs {
			outs[i] = g.dead()
		}
		return outs
	}
	op := &fusedOp{k: k, id: nextOpID(), diff: diff, dt: g.dt}
	gins := make(G.Nodes, len(ins))
	for i, n := range ins {
		op.inShapes = append(op.inShapes, tensor.Shape(append([]int(nil), n.shape...)))
		gins[i] = n.n
	}
	for _, s := range outShapes {
		op.outShape = append(op.outShape, tensor.Shape(append([]int(nil), s...)))
	}
	var res *G.Node
	err := safeCall(func() (err error) {
		res, err = G.ApplyOp(op, gins...)
		return err
	})
	if err != nil {
		for i := range outs {
			outs[i] = g.fail(fmt.Errorf("nnlib: %s: %w", k.name(), err))
		}
		return outs
	}
	if len(outShapes) == 1 {
		outs[0] = &Node{n: res, g: g, shape: outShapes[0]}
		return outs
	}
	off := 0
	total := op.totalOut()
	for i, s := range op.outShape {
		p := &partOp{id: nextOpID(), off: off, shape: s.Clone(), total: total, dt: g.dt}
		var pn *G.Node
		err := safeCall(func() (err error) {
			pn, err = G.ApplyOp(p, res)
			return err
		})
		if err != nil {
			outs[i] = g.fail(fmt.Errorf("nnlib: %s output %d: %w", k.name(), i, err))
			continue
		}
		outs[i] = &Node{n: pn, g: g, shape: outShapes[i]}
		off += s.TotalSize()
	}
	return outs
}

// wrap runs a gorgonia constructor, converting its panics and errors.
func (g *Graph) wrap(name string, f func() (*G.Node, error), ins ...*Node) *Node {
	if !g.ok(ins...) {
		return g.dead()
	}
	var res *G.Node
	err := safeCall(func() (err error) {
		res, err = f()
		return err
	})
	if err != nil {
		return g.fail(fmt.Errorf("nnlib: %s: %w", name, err))
	}
	return &Node{n: res, g: g, shape: []int(res.Shape().Clone())}
}

// Add returns a+b (same shapes).
func (g *Graph) Add(a, b *Node) *Node {
	return g.wrap("add", func() (*G.Node, error) { return G.Add(a.n, b.n) }, a, b)
}

// Sub returns a-b (same shapes).
func (g *Graph) Sub(a, b *Node) *Node {
	return g.wrap("sub", func() (*G.Node, error) { return G.Sub(a.n, b.n) }, a, b)
}

// Mul returns the element-wise product a⊙b (same shapes).
func (g *Graph) Mul(a, b *Node) *Node {
	return g.wrap("mul", func() (*G.Node, error) { return G.HadamardProd(a.n, b.n) }, a, b)
}

// Scale returns s·a.
func (g *Graph) Scale(a *Node, s float64) *Node {
	return g.wrap("scale", func() (*G.Node, error) {
		var c *G.Node
		if g.dt == tensor.Float64 {
			c = G.NewConstant(s)
		} else {
			c = G.NewConstant(float32(s))
		}
		return G.Mul(a.n, c)
	}, a)
}

// Tanh returns tanh(a).
func (g *Graph) Tanh(a *Node) *Node {
	return g.wrap("tanh", func() (*G.Node, error) { return G.Tanh(a.n) }, a)
}

// Sigmoid returns σ(a).
func (g *Graph) Sigmoid(a *Node) *Node {
	return g.wrap("sigmoid", func() (*G.Node, error) { return G.Sigmoid(a.n) }, a)
}

// ReLU returns max(a, 0).
func (g *Graph) ReLU(a *Node) *Node {
	return g.wrap("relu", func() (*G.Node, error) { return G.Rectify(a.n) }, a)
}

// Reshape returns a with a new shape of the same size.
func (g *Graph) Reshape(a *Node, shape ...int) *Node {
	if !g.ok(a) {
		return g.dead()
	}
	if prod(shape) != prod(a.shape) {
		return g.fail(&ShapeError{Op: "reshape", Want: fmt.Sprintf("size %d", prod(a.shape)), Got: shape})
	}
	return g.wrap("reshape", func() (*G.Node, error) { return G.Reshape(a.n, tensor.Shape(shape)) }, a)
}

// Sum returns the sum of all elements (a scalar).
func (g *Graph) Sum(a *Node) *Node {
	return g.wrap("sum", func() (*G.Node, error) { return G.Sum(a.n) }, a)
}

// Mean returns the mean of all elements (a scalar).
func (g *Graph) Mean(a *Node) *Node {
	return g.wrap("mean", func() (*G.Node, error) { return G.Mean(a.n) }, a)
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// SetLoss marks a scalar node as the loss that training minimises: Compile
// then adds the backward pass for every bound parameter (training graphs
// only: an inference graph with a loss computes the loss alone).
func (g *Graph) SetLoss(loss *Node) {
	if !g.ok(loss) {
		return
	}
	if len(loss.shape) != 0 && prod(loss.shape) != 1 {
		g.fail(&ShapeError{Op: "loss", Want: "a scalar", Got: loss.shape})
		return
	}
	g.loss = g.Output(loss)
}

// Compile finishes the graph and returns a machine that runs it. With a
// loss set, the machine also computes the gradient of every parameter the
// graph uses.
func (g *Graph) Compile() (*Machine, error) {
	if g.err != nil {
		return nil, g.err
	}
	m := &Machine{g: g}
	// Deterministic parameter order (creation order of the set).
	for _, p := range g.ps.params {
		if n, ok := g.params[p]; ok {
			m.params = append(m.params, p)
			m.pnodes = append(m.pnodes, n.n)
		}
	}
	opts := machineOpts()
	if g.loss != nil && g.train {
		if len(m.pnodes) == 0 {
			return nil, errors.New("nnlib: compile: loss set but the graph uses no parameters")
		}
		err := safeCall(func() error {
			_, err := G.Grad(g.loss.n, m.pnodes...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("nnlib: compile: gradient: %w", err)
		}
		opts = append(opts, G.BindDualValues(m.pnodes...))
	}
	err := safeCall(func() error {
		m.vm = G.NewTapeMachine(g.g, opts...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("nnlib: compile: %w", err)
	}
	return m, nil
}

// InputNames lists the graph's inputs, sorted.
func (g *Graph) InputNames() []string {
	names := make([]string, 0, len(g.inputs))
	for k := range g.inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// InputNode returns the input created with name, or nil.
func (g *Graph) InputNode(name string) *Node { return g.inputs[name] }
