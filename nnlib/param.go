package nnlib

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"

	"gorgonia.org/tensor"
)

// Dtype is the element type of a parameter set and of the graphs built on
// it. Models use Float32; gradient checks use Float64.
type Dtype int

const (
	// Float32 is the storage and compute type of every shipped model.
	Float32 Dtype = iota
	// Float64 is used by finite-difference gradient checks.
	Float64
)

func (d Dtype) String() string {
	if d == Float64 {
		return "float64"
	}
	return "float32"
}

func (d Dtype) tensor() tensor.Dtype {
	if d == Float64 {
		return tensor.Float64
	}
	return tensor.Float32
}

// Param is one named, trainable tensor. Value and Grad have the same shape;
// Grad is where a Trainer accumulates the gradient of a step before the
// optimiser consumes (and zeroes) it.
type Param struct {
	Name  string
	Value *tensor.Dense
	Grad  *tensor.Dense
}

// Shape returns the parameter's shape.
func (p *Param) Shape() []int { return []int(p.Value.Shape().Clone()) }

// Size returns the number of elements.
func (p *Param) Size() int { return p.Value.Shape().TotalSize() }

// F32 returns the value as a float32 slice, or nil for a float64 set.
func (p *Param) F32() []float32 { d, _ := p.Value.Data().([]float32); return d }

// F64 returns the value as a float64 slice, or nil for a float32 set.
func (p *Param) F64() []float64 { d, _ := p.Value.Data().([]float64); return d }

// Init is an initialiser: it fills dst (laid out row-major in shape) from rng.
type Init func(dst []float64, shape []int, rng *rand.Rand)

// Zeros initialises to 0.
func Zeros(dst []float64, _ []int, _ *rand.Rand) { clear(dst) }

// Const returns an initialiser that fills with v (e.g. a forget-gate bias of 1).
func Const(v float64) Init {
	return func(dst []float64, _ []int, _ *rand.Rand) {
		for i := range dst {
			dst[i] = v
		}
	}
}

// Uniform returns an initialiser drawing from U(-a, a).
func Uniform(a float64) Init {
	return func(dst []float64, _ []int, rng *rand.Rand) {
		for i := range dst {
			dst[i] = (2*rng.Float64() - 1) * a
		}
	}
}

// Normal returns an initialiser drawing from N(0, std²).
func Normal(std float64) Init {
	return func(dst []float64, _ []int, rng *rand.Rand) {
		for i := range dst {
			dst[i] = rng.NormFloat64() * std
		}
	}
}

// Glorot is Glorot/Xavier uniform initialisation (Glorot & Bengio 2010):
// U(-a, a) with a = sqrt(6/(fanIn+fanOut)), fanIn = shape[0] (times any
// trailing receptive field) and fanOut = the last dimension.
func Glorot(dst []float64, shape []int, rng *rand.Rand) {
	fanIn, fanOut := fans(shape)
	Uniform(math.Sqrt(6/float64(fanIn+fanOut)))(dst, shape, rng)
}

func fans(shape []int) (in, out int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	}
	out = shape[len(shape)-1]
	in = 1
	for _, d := range shape[:len(shape)-1] {
		in *= d
	}
	return in, out
}

// Orthogonal initialises a (rows, cols) matrix, or each (rows, k) block of
// a (rows, gates·k) recurrent matrix, to a random orthogonal matrix
// (Saxe et al. 2014), by Gram-Schmidt on Gaussian vectors.
func Orthogonal(dst []float64, shape []int, rng *rand.Rand) {
	if len(shape) != 2 {
		Glorot(dst, shape, rng)
		return
	}
	rows, cols := shape[0], shape[1]
	block := cols
	if cols > rows && cols%rows == 0 {
		block = rows // one square block per gate
	}
	for c0 := 0; c0 < cols; c0 += block {
		w := min(block, cols-c0)
		orthoBlock(dst, rows, cols, c0, w, rng)
	}
}

// orthoBlock fills columns [c0, c0+w) of a rows×cols matrix with
// orthonormal columns (or rows, whichever set is smaller).
func orthoBlock(dst []float64, rows, cols, c0, w int, rng *rand.Rand) {
	// Work on vectors of length n, m of them, m <= n.
	n, m, byCol := rows, w, true
	if w > rows {
		n, m, byCol = w, rows, false
	}
	vs := make([][]float64, m)
	for i := range vs {
		v := make([]float64, n)
		for {
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			for _, u := range vs[:i] {
				d := dot(u, v)
				for j := range v {
					v[j] -= d * u[j]
				}
			}
			if nv := math.Sqrt(dot(v, v)); nv > 1e-6 {
				for j := range v {
					v[j] /= nv
				}
				break
			}
		}
		vs[i] = v
	}
	for i, v := range vs {
		for j, x := range v {
			r, c := j, c0+i
			if !byCol {
				r, c = i, c0+j
			}
			dst[r*cols+c] = x
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

var paramName = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$`)

// ParamSet is an ordered set of uniquely named parameters of one dtype.
// Names are hierarchical and dotted ("enc.l0.fwd.wh"); they are the graph
// node names (which must be unique, gorgonia merges equal names) and the
// tensor names in checkpoints.
//
// A ParamSet is not safe for concurrent mutation; concurrent read-only use
// (inference from several goroutines) is safe.
type ParamSet struct {
	dtype  Dtype
	params []*Param
	byName map[string]*Param
	rng    *rand.Rand
}

// NewParamSet returns an empty set whose initialisers draw from a PCG
// generator seeded with seed.
func NewParamSet(dtype Dtype, seed uint64) *ParamSet {
	return &ParamSet{dtype: dtype, byName: map[string]*Param{}, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Dtype returns the element type of the set.
func (s *ParamSet) Dtype() Dtype { return s.dtype }

// Add creates a parameter. It returns an error for an invalid or duplicate
// name or a non-positive dimension.
func (s *ParamSet) Add(name string, shape []int, init Init) (*Param, error) {
	if !paramName.MatchString(name) {
		return nil, fmt.Errorf("nnlib: invalid parameter name %q", name)
	}
	if _, dup := s.byName[name]; dup {
		return nil, fmt.Errorf("nnlib: duplicate parameter name %q", name)
	}
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("nnlib: parameter %q: invalid shape %v", name, shape)
		}
		n *= d
	}
	if len(shape) == 0 {
		return nil, fmt.Errorf("nnlib: parameter %q: empty shape", name)
	}
	vals := make([]float64, n)
	if init == nil {
		init = Glorot
	}
	init(vals, shape, s.rng)
	p := &Param{Name: name, Value: s.newTensor(shape), Grad: s.newTensor(shape)}
	switch d := p.Value.Data().(type) {
	case []float32:
		for i, v := range vals {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, vals)
	}
	s.params = append(s.params, p)
	s.byName[name] = p
	return p, nil
}

func (s *ParamSet) newTensor(shape []int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	sh := append([]int(nil), shape...)
	if s.dtype == Float64 {
		return tensor.New(tensor.WithShape(sh...), tensor.WithBacking(make([]float64, n)))
	}
	return tensor.New(tensor.WithShape(sh...), tensor.WithBacking(make([]float32, n)))
}

// Get returns the named parameter, or nil.
func (s *ParamSet) Get(name string) *Param { return s.byName[name] }

// Params returns the parameters in creation order. The slice is shared;
// do not modify it.
func (s *ParamSet) Params() []*Param { return s.params }

// Count returns the total number of scalar parameters.
func (s *ParamSet) Count() int {
	n := 0
	for _, p := range s.params {
		n += p.Size()
	}
	return n
}

// ZeroGrad sets every gradient to zero.
func (s *ParamSet) ZeroGrad() {
	for _, p := range s.params {
		p.Grad.Zero()
	}
}
