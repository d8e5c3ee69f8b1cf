package optim

import (
	"fmt"
	"math"

	"github.com/parley-ai/parley/nnlib"
	"gorgonia.org/tensor"
)

// AdamConfig holds the hyper-parameters of Adam and AdamW. The names and
// defaults follow torch.optim.Adam / torch.optim.AdamW.
type AdamConfig struct {
	// LR is the learning rate used when no Schedule is given.
	LR float64 `json:"lr"`
	// Beta1 and Beta2 are the decay rates of the first and second moment
	// estimates, in [0, 1).
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// Eps is added to the bias-corrected root of the second moment; > 0.
	Eps float64 `json:"eps"`
	// WeightDecay is the decay coefficient λ ≥ 0. Without Decoupled it is
	// L2 regularisation added to the gradient (g += λ·w, torch Adam); with
	// Decoupled the weights shrink by w *= 1 − lr·λ before the Adam update
	// (torch AdamW; Loshchilov & Hutter 2019).
	WeightDecay float64 `json:"weight_decay"`
	// Decoupled selects AdamW's decoupled weight decay.
	Decoupled bool `json:"decoupled"`
	// ClipNorm, when > 0, clips the global gradient norm to ClipNorm before
	// each update (see ClipGlobalNorm); 0 turns clipping off.
	ClipNorm float64 `json:"clip_norm"`
}

// DefaultAdamConfig returns torch.optim.Adam's defaults: lr 1e-3,
// betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping.
func DefaultAdamConfig() AdamConfig {
	return AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamWConfig returns torch.optim.AdamW's defaults: lr 1e-3,
// betas (0.9, 0.999), eps 1e-8, decoupled weight decay 1e-2, no clipping.
func DefaultAdamWConfig() AdamConfig {
	c := DefaultAdamConfig()
	c.WeightDecay = 1e-2
	c.Decoupled = true
	return c
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c AdamConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"lr", c.LR}, {"beta1", c.Beta1}, {"beta2", c.Beta2}, {"eps", c.Eps}, {"weight_decay", c.WeightDecay}, {"clip_norm", c.ClipNorm}} {
		if err := checkFinite("adam: "+f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case c.LR <= 0:
		return fmt.Errorf("%w: adam: lr = %g, want > 0", ErrInvalidConfig, c.LR)
	case c.Beta1 < 0 || c.Beta1 >= 1:
		return fmt.Errorf("%w: adam: beta1 = %g, want 0 ≤ beta1 < 1", ErrInvalidConfig, c.Beta1)
	case c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("%w: adam: beta2 = %g, want 0 ≤ beta2 < 1", ErrInvalidConfig, c.Beta2)
	case c.Eps <= 0:
		return fmt.Errorf("%w: adam: eps = %g, want > 0", ErrInvalidConfig, c.Eps)
	case c.WeightDecay < 0:
		return fmt.Errorf("%w: adam: weight_decay = %g, want ≥ 0", ErrInvalidConfig, c.WeightDecay)
	case c.ClipNorm < 0:
		return fmt.Errorf("%w: adam: clip_norm = %g, want ≥ 0 (0 = off)", ErrInvalidConfig, c.ClipNorm)
	}
	return nil
}

// Adam is the Adam optimiser (Kingma & Ba 2015) with bias correction, or
// AdamW when AdamConfig.Decoupled is set. For each parameter w with
// gradient g at step t (counted per parameter from 1) and learning rate
// lr it computes, as torch.optim.Adam/AdamW do:
//
//	g ← g + λ·w                      (Adam with weight decay λ)
//	w ← w·(1 − lr·λ)                 (AdamW)
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	w ← w − lr/(1−β1^t) · m / (√v / √(1−β2^t) + ε)
//
// and then zeroes g. An Adam is not safe for concurrent use.
type Adam struct {
	base
	cfg AdamConfig
}

var _ Optimizer = (*Adam)(nil)

// NewAdam returns an Adam (or AdamW) optimiser. sched gives the learning
// rate of each step; nil means the constant cfg.LR. It returns an error if
// cfg or sched is invalid.
func NewAdam(cfg AdamConfig, sched Schedule) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kind := KindAdam
	if cfg.Decoupled {
		kind = KindAdamW
	}
	b, err := newBase(kind, []string{"exp_avg", "exp_avg_sq"}, cfg.LR, cfg.ClipNorm, sched)
	if err != nil {
		return nil, err
	}
	return &Adam{base: b, cfg: cfg}, nil
}

// Config returns the optimiser's configuration.
func (a *Adam) Config() AdamConfig { return a.cfg }

// Step applies one Adam update to every parameter with a non-nil Grad and
// zeroes the gradients. On error no parameter changes; see ErrNonFinite
// for the one case where the gradients are zeroed anyway.
func (a *Adam) Step(params []*nnlib.Param) error {
	lr, err := a.begin(params)
	if err != nil {
		return err
	}
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		s := a.slots[p.Name]
		s.steps++
		k := adamCoef{
			b1:       a.cfg.Beta1,
			b2:       a.cfg.Beta2,
			eps:      a.cfg.Eps,
			stepSize: lr / (1 - math.Pow(a.cfg.Beta1, float64(s.steps))),
			bc2Sqrt:  math.Sqrt(1 - math.Pow(a.cfg.Beta2, float64(s.steps))),
		}
		switch {
		case a.cfg.Decoupled:
			k.decay = 1 - lr*a.cfg.WeightDecay
		default:
			k.decay = 1
			k.l2 = a.cfg.WeightDecay
		}
		if p.Value.Dtype() == tensor.Float32 {
			adamUpdate(p.Value.Float32s(), p.Grad.Float32s(), s.f32[0], s.f32[1], &k)
		} else {
			adamUpdate(p.Value.Float64s(), p.Grad.Float64s(), s.f64[0], s.f64[1], &k)
		}
	}
	a.end(lr)
	return nil
}

type adamCoef struct {
	b1, b2, eps       float64
	stepSize, bc2Sqrt float64
	decay             float64 // multiplicative decay of w (AdamW), 1 for none
	l2                float64 // L2 coefficient added to g (Adam)
}

func adamUpdate[T float](w, g, m, v []T, k *adamCoef) {
	w, g, m, v = w[:len(w)], g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		wi, gi := float64(w[i]), float64(g[i])
		if k.decay != 1 {
			wi = float64(T(wi * k.decay))
		}
		if k.l2 != 0 {
			gi += k.l2 * wi
		}
		mi := T(k.b1*float64(m[i]) + (1-k.b1)*gi)
		vi := T(k.b2*float64(v[i]) + (1-k.b2)*gi*gi)
		m[i], v[i] = mi, vi
		w[i] = T(wi - k.stepSize*float64(mi)/(math.Sqrt(float64(vi))/k.bc2Sqrt+k.eps))
		g[i] = 0
	}
}
