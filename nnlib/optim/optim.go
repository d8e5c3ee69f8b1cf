package optim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/parley-ai/parley/nnlib"
	"gorgonia.org/tensor"
)

// Optimizer updates parameters in place from their accumulated gradients.
// Adam and SGD implement it.
type Optimizer interface {
	// Step applies one update to every parameter in params from its Grad
	// and zeroes the Grad. A parameter with a nil Grad is skipped (it is
	// frozen), as torch skips parameters whose grad is None.
	Step(params []*nnlib.Param) error
	// LR returns the learning rate of the most recent Step, or the one the
	// first Step will use if none has run yet.
	LR() float64
	// Steps returns the number of successful Steps, including those
	// imported by SetState.
	Steps() int
	// State returns a deep copy of the optimiser's state.
	State() State
	// SetState replaces the optimiser's state by a copy of st, which must
	// come from an optimiser of the same Kind.
	SetState(st State) error
}

// Kind names an optimiser algorithm in a State.
type Kind string

const (
	// KindAdam is Adam with (optional) L2 weight decay added to the gradient.
	KindAdam Kind = "adam"
	// KindAdamW is Adam with decoupled weight decay.
	KindAdamW Kind = "adamw"
	// KindSGD is stochastic gradient descent with optional momentum.
	KindSGD Kind = "sgd"
)

// String returns the kind's name.
func (k Kind) String() string { return string(k) }

// State is the exportable state of an optimiser: everything needed to
// resume training exactly.
//
// Tensors maps "<buffer>/<param name>" to a float32 or float64 tensor:
// "step/<param>" is a one-element float64 tensor holding the number of
// updates applied to that parameter (torch's state["step"]); Adam adds
// "exp_avg/<param>" and "exp_avg_sq/<param>" (first and second moment
// estimates, shaped like the parameter), SGD with momentum adds
// "momentum_buffer/<param>".
type State struct {
	Kind    Kind
	Step    int
	Tensors map[string]*tensor.Dense
}

// Errors returned by the optimisers. Test them with errors.Is.
var (
	// ErrInvalidConfig is wrapped by every Validate error.
	ErrInvalidConfig = errors.New("optim: invalid config")
	// ErrNonFinite is returned by Step when gradient clipping is on and
	// the global gradient norm is NaN or infinite. The step is skipped:
	// no parameter changes, the gradients are zeroed and the step counter
	// does not advance.
	ErrNonFinite = errors.New("optim: non-finite gradient norm")
	// ErrBadState is wrapped by SetState errors and by Step errors about
	// imported state that does not fit a parameter.
	ErrBadState = errors.New("optim: invalid optimiser state")
)

// stepPrefix names the per-parameter step counter in State.Tensors.
const stepPrefix = "step"

// float is the element type of parameters.
type float interface{ ~float32 | ~float64 }

// slot is the state of one parameter.
type slot struct {
	steps int // updates applied to this parameter (torch's state["step"])
	shape []int
	f32   [][]float32 // buffers of a float32 parameter
	f64   [][]float64 // buffers of a float64 parameter
	seen  uint64      // last Step call that visited this slot (duplicate check)
}

// base is what Adam and SGD share: schedule, clipping, step counting and
// the per-parameter state.
type base struct {
	kind     Kind
	bufs     []string // state buffer names, e.g. "exp_avg", "exp_avg_sq"
	lr       float64  // constant learning rate when sched is nil
	sched    Schedule
	clipNorm float64
	steps    int
	calls    uint64
	lastLR   float64
	lastNorm float64
	slots    map[string]*slot
}

func newBase(kind Kind, bufs []string, lr, clipNorm float64, sched Schedule) (base, error) {
	if v, ok := sched.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return base{}, err
		}
	}
	b := base{kind: kind, bufs: bufs, lr: lr, sched: sched, clipNorm: clipNorm, slots: map[string]*slot{}}
	b.lastLR = b.lrAt(1)
	return b, nil
}

func (b *base) lrAt(step int) float64 {
	if b.sched == nil {
		return b.lr
	}
	return b.sched.LR(step)
}

// LR returns the learning rate of the most recent Step, or the one the
// first Step will use if none has run yet.
func (b *base) LR() float64 { return b.lastLR }

// Steps returns the number of successful Steps, including those imported
// by SetState.
func (b *base) Steps() int { return b.steps }

// GradNorm returns the global gradient norm measured (before clipping) by
// the most recent Step, or 0 when clipping is off or no Step has run.
func (b *base) GradNorm() float64 { return b.lastNorm }

// begin validates params, clips, and returns the learning rate of the
// update about to be applied. When it returns an error the
// parameters are unchanged; only for ErrNonFinite are the gradients zeroed.
func (b *base) begin(params []*nnlib.Param) (lr float64, err error) {
	b.calls++
	for _, p := range params {
		if err := b.check(p); err != nil {
			return 0, err
		}
	}
	step := b.steps + 1
	lr = b.lrAt(step)
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return 0, fmt.Errorf("optim: %s: schedule gives learning rate %g at step %d", b.kind, lr, step)
	}
	if b.clipNorm > 0 {
		norm := ClipGlobalNorm(params, b.clipNorm)
		b.lastNorm = norm
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			zeroGrads(params)
			return 0, fmt.Errorf("%w (%g) at step %d; step skipped", ErrNonFinite, norm, step)
		}
	}
	return lr, nil
}

// end records a successful step.
func (b *base) end(lr float64) {
	b.steps++
	b.lastLR = lr
}

// check validates one parameter and makes sure it has a slot.
func (b *base) check(p *nnlib.Param) error {
	if p == nil || p.Value == nil {
		return fmt.Errorf("optim: %s: nil parameter", b.kind)
	}
	if p.Grad == nil {
		return nil
	}
	vt, gt := p.Value.Dtype(), p.Grad.Dtype()
	if vt != gt || (vt != tensor.Float32 && vt != tensor.Float64) {
		return fmt.Errorf("optim: %s: %s: value is %v, grad is %v; want both float32 or both float64", b.kind, p.Name, vt, gt)
	}
	if !p.Value.Shape().Eq(p.Grad.Shape()) {
		return fmt.Errorf("optim: %s: %s: value shape %v, grad shape %v", b.kind, p.Name, p.Value.Shape(), p.Grad.Shape())
	}
	s := b.slots[p.Name]
	if s == nil {
		s = &slot{shape: p.Shape()}
		b.slots[p.Name] = s
	} else if s.shape == nil {
		s.shape = p.Shape() // imported state without buffers (plain SGD)
	} else if !slices.Equal(s.shape, []int(p.Value.Shape())) {
		return fmt.Errorf("%w: %s: state has shape %v, parameter has %v", ErrBadState, p.Name, s.shape, []int(p.Value.Shape()))
	}
	if s.seen == b.calls {
		return fmt.Errorf("optim: %s: parameter %s passed twice", b.kind, p.Name)
	}
	s.seen = b.calls
	n := p.Size()
	if vt == tensor.Float32 {
		s.f32 = ensure(s.f32, s.f64, len(b.bufs), n)
		s.f64 = nil
	} else {
		s.f64 = ensure(s.f64, s.f32, len(b.bufs), n)
		s.f32 = nil
	}
	return nil
}

// ensure returns have when it holds nbuf buffers, else nbuf buffers of
// length n converted from other (imported state of the other precision) or
// zero.
func ensure[T, U float](have [][]T, other [][]U, nbuf, n int) [][]T {
	if len(have) == nbuf {
		return have
	}
	out := make([][]T, nbuf)
	for i := range out {
		out[i] = make([]T, n)
		if i < len(other) {
			for j, x := range other[i] {
				out[i][j] = T(x)
			}
		}
	}
	return out
}

func zeroGrads(params []*nnlib.Param) {
	for _, p := range params {
		if p == nil || p.Grad == nil {
			continue
		}
		switch p.Grad.Dtype() {
		case tensor.Float32:
			clear(p.Grad.Float32s())
		case tensor.Float64:
			clear(p.Grad.Float64s())
		}
	}
}

// State returns a deep copy of the optimiser's state.
func (b *base) State() State {
	st := State{Kind: b.kind, Step: b.steps, Tensors: make(map[string]*tensor.Dense, len(b.slots)*(1+len(b.bufs)))}
	for name, s := range b.slots {
		if s.steps == 0 {
			continue // seen by a Step that failed: no state yet
		}
		st.Tensors[stepPrefix+"/"+name] = tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{float64(s.steps)}))
		for i, buf := range b.bufs {
			var d *tensor.Dense
			if s.f32 != nil {
				d = tensor.New(tensor.WithShape(s.shape...), tensor.WithBacking(slices.Clone(s.f32[i])))
			} else {
				d = tensor.New(tensor.WithShape(s.shape...), tensor.WithBacking(slices.Clone(s.f64[i])))
			}
			st.Tensors[buf+"/"+name] = d
		}
	}
	return st
}

// SetState replaces the optimiser's state by a copy of st, which must come
// from an optimiser of the same Kind. Shapes are checked against the
// parameters when Step first sees them; a dtype different from the
// parameter's is converted then.
func (b *base) SetState(st State) error {
	if st.Kind != b.kind {
		return fmt.Errorf("%w: state is for %q, optimiser is %q", ErrBadState, st.Kind, b.kind)
	}
	if st.Step < 0 {
		return fmt.Errorf("%w: negative step %d", ErrBadState, st.Step)
	}
	slots := map[string]*slot{}
	get := func(name string) *slot {
		s := slots[name]
		if s == nil {
			s = &slot{f32: make([][]float32, len(b.bufs)), f64: make([][]float64, len(b.bufs))}
			slots[name] = s
		}
		return s
	}
	for key, d := range st.Tensors {
		buf, name, ok := strings.Cut(key, "/")
		if !ok || name == "" {
			return fmt.Errorf("%w: tensor name %q is not <buffer>/<param>", ErrBadState, key)
		}
		if d == nil {
			return fmt.Errorf("%w: %s: nil tensor", ErrBadState, key)
		}
		s := get(name)
		if buf == stepPrefix {
			v, ok := d.Data().([]float64)
			if !ok || len(v) != 1 || v[0] < 1 || v[0] > float64(st.Step) || v[0] != math.Trunc(v[0]) {
				return fmt.Errorf("%w: %s: want one float64 count in [1, %d], got %v %v", ErrBadState, key, st.Step, d.Dtype(), d.Data())
			}
			s.steps = int(v[0])
			continue
		}
		i := slices.Index(b.bufs, buf)
		if i < 0 {
			return fmt.Errorf("%w: unknown buffer %q in %s state (want %s)", ErrBadState, buf, b.kind, strings.Join(b.bufs, ", "))
		}
		shape := []int(d.Shape().Clone())
		if s.shape != nil && !slices.Equal(s.shape, shape) {
			return fmt.Errorf("%w: %s: shape %v, other buffers of %s have %v", ErrBadState, key, shape, name, s.shape)
		}
		s.shape = shape
		switch v := d.Data().(type) {
		case []float32:
			s.f32[i] = slices.Clone(v)
		case []float64:
			s.f64[i] = slices.Clone(v)
		default:
			return fmt.Errorf("%w: %s: dtype %v, want float32 or float64", ErrBadState, key, d.Dtype())
		}
	}
	for name, s := range slots {
		if s.steps == 0 {
			return fmt.Errorf("%w: %s: no %s/%s tensor", ErrBadState, name, stepPrefix, name)
		}
		n32, n64 := 0, 0
		for i := range b.bufs {
			if s.f32[i] != nil {
				n32++
			}
			if s.f64[i] != nil {
				n64++
			}
		}
		switch {
		case n32 == len(b.bufs):
			s.f64 = nil
		case n64 == len(b.bufs):
			s.f32 = nil
		default:
			return fmt.Errorf("%w: %s: want %s buffers of one dtype", ErrBadState, name, strings.Join(b.bufs, ", "))
		}
	}
	b.slots = slots
	b.steps = st.Step
	b.lastLR = b.lrAt(max(st.Step, 1))
	return nil
}

func checkFinite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s = %g is not finite", ErrInvalidConfig, name, v)
	}
	return nil
}
