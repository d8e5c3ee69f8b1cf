package nnlib

import (
	"context"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Output marks n as a value to read after each run and returns n. Only
// marked nodes can be read: gorgonia recycles the buffers of intermediate
// values within a run (pitfall P21), so Output copies the value at the
// moment it is computed.
func (g *Graph) Output(n *Node) *Node {
	if !g.ok(n) {
		return n
	}
	if n.out != nil {
		return n
	}
	holder := new(G.Value)
	err := safeCall(func() error {
		G.Read(n.n, holder)
		return nil
	})
	if err != nil {
		g.fail(fmt.Errorf("nnlib: output: %w", err))
		return n
	}
	n.out = holder
	g.outputs = append(g.outputs, holder)
	return n
}

// Machine runs a compiled graph. A Machine (and its graph) must be used
// by one goroutine at a time; build one per goroutine for concurrent
// inference over shared parameters.
type Machine struct {
	g      *Graph
	vm     G.VM
	params []*Param
	pnodes G.Nodes
	closed bool
}

// Graph returns the machine's graph.
func (m *Machine) Graph() *Graph { return m.g }

// Let binds data to an input node for the next run: []float32 or
// []float64 for an Input node, []int for an InputInt node. Data of the
// node's own type ([]int, or the graph's dtype) is read, not copied,
// during the run: do not modify it until Run returns; float data of the
// other precision is converted.
func (m *Machine) Let(n *Node, data any) error {
	if n == nil || n.n == nil || n.g != m.g {
		return fmt.Errorf("nnlib: let: node is not an input of this graph")
	}
	size := prod(n.shape)
	var backing any
	var got int
	_, isInt := data.([]int)
	if wantInt := n.n.Dtype() == tensor.Int; isInt != wantInt {
		return fmt.Errorf("nnlib: let %s: %T data for a %v input", n.Name(), data, n.n.Dtype())
	}
	switch d := data.(type) {
	case []int:
		got = len(d)
		backing = d
	case []float32:
		got = len(d)
		backing = d
		if m.g.dt == tensor.Float64 {
			backing = convert[float64](d)
		}
	case []float64:
		got = len(d)
		backing = d
		if m.g.dt == tensor.Float32 {
			backing = convert[float32](d)
		}
	default:
		return fmt.Errorf("nnlib: let %s: unsupported data type %T", n.Name(), data)
	}
	if got != size {
		return &ShapeError{Op: "let " + n.Name(), Want: fmt.Sprintf("%v (%d values)", n.shape, size), Got: []int{got}}
	}
	t := tensor.New(tensor.WithShape(n.shape...), tensor.WithBacking(backing))
	return safeCall(func() error { return G.Let(n.n, t) })
}

// Run executes the graph once. With a loss, the gradient of every bound
// parameter is added to its Param.Grad (so several runs accumulate, as
// micro-batches would) and the machine's own gradient buffers are cleared.
func (m *Machine) Run(ctx context.Context) error {
	if m.closed {
		return fmt.Errorf("nnlib: run: machine is closed")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer m.vm.Reset()
	// gorgonia's read instruction copies into an existing holder value;
	// clearing the holders makes it clone, so values handed out after
	// earlier runs stay the caller's.
	for _, h := range m.g.outputs {
		*h = nil
	}
	if err := safeCall(m.vm.RunAll); err != nil {
		return fmt.Errorf("nnlib: run: %w", err)
	}
	if m.g.loss == nil || !m.g.train {
		return nil
	}
	for i, p := range m.params {
		gv, err := m.pnodes[i].Grad()
		if err != nil {
			continue // parameter not on the loss path
		}
		gd, ok := gv.(*tensor.Dense)
		if !ok {
			continue
		}
		switch src := gd.Data().(type) {
		case []float32:
			dst := p.Grad.Data().([]float32)
			for j, v := range src {
				dst[j] += v
			}
			clear(src)
		case []float64:
			dst := p.Grad.Data().([]float64)
			for j, v := range src {
				dst[j] += v
			}
			clear(src)
		}
	}
	return nil
}

// Loss returns the loss of the last run.
func (m *Machine) Loss() float64 {
	if m.g.loss == nil {
		return 0
	}
	v, err := m.Value(m.g.loss)
	if err != nil || len(v) == 0 {
		return 0
	}
	return v[0]
}

// Value returns a copy (as float64) of an output node's value from the
// last run. The node must have been marked with Graph.Output.
func (m *Machine) Value(n *Node) ([]float64, error) {
	raw, err := m.raw(n)
	if err != nil {
		return nil, err
	}
	switch d := raw.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out, nil
	case []float64:
		return append([]float64(nil), d...), nil
	case float32:
		return []float64{float64(d)}, nil
	case float64:
		return []float64{d}, nil
	}
	return nil, fmt.Errorf("nnlib: value %s: unsupported type %T", n.Name(), raw.Data())
}

// Float32s returns an output node's value from the last run as float32.
// The slice belongs to the caller: the next run allocates a new one.
func (m *Machine) Float32s(n *Node) ([]float32, error) {
	raw, err := m.raw(n)
	if err != nil {
		return nil, err
	}
	switch d := raw.Data().(type) {
	case []float32:
		return d, nil
	case float32:
		return []float32{d}, nil
	}
	v, err := m.Value(n)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, nil
}

func (m *Machine) raw(n *Node) (*tensor.Dense, error) {
	if n == nil || n.g != m.g {
		return nil, fmt.Errorf("nnlib: value: node is not in this graph")
	}
	var v G.Value
	if n.out != nil {
		v = *n.out
	} else {
		v = n.n.Value()
	}
	if v == nil {
		return nil, fmt.Errorf("nnlib: value %s: not computed (not marked with Output?)", n.Name())
	}
	switch t := v.(type) {
	case *tensor.Dense:
		return t, nil
	case *G.F32:
		return tensor.New(tensor.FromScalar(float32(*t))), nil
	case *G.F64:
		return tensor.New(tensor.FromScalar(float64(*t))), nil
	}
	return nil, fmt.Errorf("nnlib: value %s: unsupported value type %T", n.Name(), v)
}

// Close releases the machine.
func (m *Machine) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	return safeCall(m.vm.Close)
}

func convert[D, S Float](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}
