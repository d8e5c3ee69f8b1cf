package optim

import (
	"fmt"

	"github.com/parley-ai/parley/nnlib"
	"gorgonia.org/tensor"
)

// SGDConfig holds the hyper-parameters of SGD. The names follow
// torch.optim.SGD.
type SGDConfig struct {
	// LR is the learning rate used when no Schedule is given.
	LR float64 `json:"lr"`
	// Momentum μ ≥ 0; 0 is plain SGD.
	Momentum float64 `json:"momentum"`
	// Dampening τ in [0, 1] scales the new gradient in the momentum
	// buffer: b ← μ·b + (1−τ)·g.
	Dampening float64 `json:"dampening"`
	// WeightDecay λ ≥ 0 adds λ·w to the gradient (L2 regularisation).
	WeightDecay float64 `json:"weight_decay"`
	// Nesterov selects Nesterov momentum (Sutskever et al. 2013, as
	// torch implements it); it needs Momentum > 0 and Dampening = 0.
	Nesterov bool `json:"nesterov"`
	// ClipNorm, when > 0, clips the global gradient norm to ClipNorm before
	// each update (see ClipGlobalNorm); 0 turns clipping off.
	ClipNorm float64 `json:"clip_norm"`
}

// DefaultSGDConfig returns lr 0.01 with momentum 0.9 (torch has no default
// learning rate and defaults to no momentum), no dampening, no weight
// decay, no Nesterov, no clipping.
func DefaultSGDConfig() SGDConfig { return SGDConfig{LR: 0.01, Momentum: 0.9} }

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c SGDConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"lr", c.LR}, {"momentum", c.Momentum}, {"dampening", c.Dampening}, {"weight_decay", c.WeightDecay}, {"clip_norm", c.ClipNorm}} {
		if err := checkFinite("sgd: "+f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case c.LR <= 0:
		return fmt.Errorf("%w: sgd: lr = %g, want > 0", ErrInvalidConfig, c.LR)
	case c.Momentum < 0:
		return fmt.Errorf("%w: sgd: momentum = %g, want ≥ 0", ErrInvalidConfig, c.Momentum)
	case c.Dampening < 0 || c.Dampening > 1:
		return fmt.Errorf("%w: sgd: dampening = %g, want 0 ≤ dampening ≤ 1", ErrInvalidConfig, c.Dampening)
	case c.WeightDecay < 0:
		return fmt.Errorf("%w: sgd: weight_decay = %g, want ≥ 0", ErrInvalidConfig, c.WeightDecay)
	case c.Nesterov && (c.Momentum == 0 || c.Dampening != 0):
		return fmt.Errorf("%w: sgd: nesterov needs momentum > 0 and dampening = 0 (have %g, %g)", ErrInvalidConfig, c.Momentum, c.Dampening)
	case c.ClipNorm < 0:
		return fmt.Errorf("%w: sgd: clip_norm = %g, want ≥ 0 (0 = off)", ErrInvalidConfig, c.ClipNorm)
	}
	return nil
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and weight decay. For each parameter w with gradient g and
// learning rate lr it computes, as torch.optim.SGD does:
//
//	d ← g + λ·w
//	b ← d on a parameter's first step, else μ·b + (1−τ)·d   (if μ > 0)
//	d ← d + μ·b (Nesterov) or d ← b                         (if μ > 0)
//	w ← w − lr·d
//
// and then zeroes g. An SGD is not safe for concurrent use.
type SGD struct {
	base
	cfg SGDConfig
}

var _ Optimizer = (*SGD)(nil)

// NewSGD returns an SGD optimiser. sched gives the learning rate of each
// step; nil means the constant cfg.LR. It returns an error if cfg or sched
// is invalid.
func NewSGD(cfg SGDConfig, sched Schedule) (*SGD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var bufs []string
	if cfg.Momentum != 0 {
		bufs = []string{"momentum_buffer"}
	}
	b, err := newBase(KindSGD, bufs, cfg.LR, cfg.ClipNorm, sched)
	if err != nil {
		return nil, err
	}
	return &SGD{base: b, cfg: cfg}, nil
}

// Config returns the optimiser's configuration.
func (o *SGD) Config() SGDConfig { return o.cfg }

// Step applies one SGD update to every parameter with a non-nil Grad and
// zeroes the gradients. On error no parameter changes; see ErrNonFinite
// for the one case where the gradients are zeroed anyway.
func (o *SGD) Step(params []*nnlib.Param) error {
	lr, err := o.begin(params)
	if err != nil {
		return err
	}
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		s := o.slots[p.Name]
		k := sgdCoef{lr: lr, mu: o.cfg.Momentum, damp: o.cfg.Dampening, l2: o.cfg.WeightDecay, nesterov: o.cfg.Nesterov, first: s.steps == 0}
		s.steps++
		if p.Value.Dtype() == tensor.Float32 {
			sgdUpdate(p.Value.Float32s(), p.Grad.Float32s(), s.f32, &k)
		} else {
			sgdUpdate(p.Value.Float64s(), p.Grad.Float64s(), s.f64, &k)
		}
	}
	o.end(lr)
	return nil
}

type sgdCoef struct {
	lr, mu, damp, l2 float64
	nesterov, first  bool
}

// sgdUpdate updates w from g; bufs holds the momentum buffer (none when
// momentum is off).
func sgdUpdate[T float](w, g []T, bufs [][]T, k *sgdCoef) {
	var b []T
	if len(bufs) > 0 {
		b = bufs[0][:len(w)]
	}
	g = g[:len(w)]
	for i := range w {
		wi, d := float64(w[i]), float64(g[i])
		if k.l2 != 0 {
			d += k.l2 * wi
		}
		if b != nil {
			bi := d
			if !k.first {
				bi = k.mu*float64(b[i]) + (1-k.damp)*d
			}
			b[i] = T(bi)
			if k.nesterov {
				d += k.mu * float64(b[i])
			} else {
				d = float64(b[i])
			}
		}
		w[i] = T(wi - k.lr*d)
		g[i] = 0
	}
}
