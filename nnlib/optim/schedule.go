package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each optimiser step. step counts
// updates from 1 (the first Step asks for LR(1)); implementations treat
// step < 1 as 1. torch's LRScheduler counts from 0, so LR(t) here is
// torch's lr at last_epoch = t−1.
//
// The schedules of this package are plain structs that serialise with
// encoding/json and have a Validate method, which NewAdam and NewSGD call.
type Schedule interface {
	LR(step int) float64
}

// Constant is a constant learning rate (the same as passing a nil Schedule
// with the rate in the optimiser's config).
type Constant struct {
	Rate float64 `json:"lr"`
}

// LR returns c.Rate.
func (c Constant) LR(int) float64 { return c.Rate }

// Validate reports an invalid rate, wrapping ErrInvalidConfig.
func (c Constant) Validate() error { return positive("constant", "lr", c.Rate) }

// Noam is linear warm-up followed by inverse-square-root decay (Vaswani et
// al. 2017, eq. 3, "Noam" in tensor2tensor):
//
//	lr(t) = Peak · min(t/Warmup, √(Warmup/t))
//
// which peaks at t = Warmup. The paper's d_model^-0.5 · min(t^-0.5,
// t·w^-1.5) is Peak = (d_model·w)^-0.5.
type Noam struct {
	Peak   float64 `json:"peak"`
	Warmup int     `json:"warmup"`
}

// LR returns the learning rate of step t.
func (s Noam) LR(t int) float64 {
	t = max(t, 1)
	w := float64(s.Warmup)
	if t <= s.Warmup {
		return s.Peak * float64(t) / w
	}
	return s.Peak * math.Sqrt(w/float64(t))
}

// Validate reports an invalid field, wrapping ErrInvalidConfig.
func (s Noam) Validate() error {
	if s.Warmup < 1 {
		return fmt.Errorf("%w: noam: warmup = %d, want ≥ 1", ErrInvalidConfig, s.Warmup)
	}
	return positive("noam", "peak", s.Peak)
}

// WarmupCosine is linear warm-up to Peak over Warmup steps followed by
// cosine decay to Min at step Total (Loshchilov & Hutter 2017, without
// restarts), and Min after that:
//
//	lr(t) = Peak·t/Warmup                                   t ≤ Warmup
//	lr(t) = Min + (Peak−Min)·(1 + cos(π·(t−Warmup)/(Total−Warmup)))/2   Warmup < t < Total
//	lr(t) = Min                                             t ≥ Total
//
// Warmup may be 0 (no warm-up).
type WarmupCosine struct {
	Peak   float64 `json:"peak"`
	Min    float64 `json:"min"`
	Warmup int     `json:"warmup"`
	Total  int     `json:"total"`
}

// LR returns the learning rate of step t.
func (s WarmupCosine) LR(t int) float64 {
	t = max(t, 1)
	switch {
	case t <= s.Warmup:
		return s.Peak * float64(t) / float64(s.Warmup)
	case t >= s.Total:
		return s.Min
	}
	frac := float64(t-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Min + (s.Peak-s.Min)*(1+math.Cos(math.Pi*frac))/2
}

// Validate reports an invalid field, wrapping ErrInvalidConfig.
func (s WarmupCosine) Validate() error {
	if err := positive("warmup-cosine", "peak", s.Peak); err != nil {
		return err
	}
	switch {
	case !(s.Min >= 0 && s.Min <= s.Peak):
		return fmt.Errorf("%w: warmup-cosine: min = %g, want 0 ≤ min ≤ peak (%g)", ErrInvalidConfig, s.Min, s.Peak)
	case s.Warmup < 0 || s.Warmup >= s.Total:
		return fmt.Errorf("%w: warmup-cosine: warmup = %d, total = %d, want 0 ≤ warmup < total", ErrInvalidConfig, s.Warmup, s.Total)
	}
	return nil
}

// StepDecay multiplies the learning rate by Gamma every Every steps
// (torch.optim.lr_scheduler.StepLR): lr(t) = Rate · Gamma^⌊(t−1)/Every⌋.
type StepDecay struct {
	Rate  float64 `json:"lr"`
	Gamma float64 `json:"gamma"`
	Every int     `json:"every"`
}

// LR returns the learning rate of step t.
func (s StepDecay) LR(t int) float64 {
	return s.Rate * math.Pow(s.Gamma, float64((max(t, 1)-1)/s.Every))
}

// Validate reports an invalid field, wrapping ErrInvalidConfig.
func (s StepDecay) Validate() error {
	if s.Every < 1 {
		return fmt.Errorf("%w: step-decay: every = %d, want ≥ 1", ErrInvalidConfig, s.Every)
	}
	if err := positive("step-decay", "lr", s.Rate); err != nil {
		return err
	}
	return positive("step-decay", "gamma", s.Gamma)
}

// ExpDecay multiplies the learning rate by Gamma every step
// (torch.optim.lr_scheduler.ExponentialLR): lr(t) = Rate · Gamma^(t−1).
type ExpDecay struct {
	Rate  float64 `json:"lr"`
	Gamma float64 `json:"gamma"`
}

// LR returns the learning rate of step t.
func (s ExpDecay) LR(t int) float64 { return s.Rate * math.Pow(s.Gamma, float64(max(t, 1)-1)) }

// Validate reports an invalid field, wrapping ErrInvalidConfig.
func (s ExpDecay) Validate() error {
	if err := positive("exp-decay", "lr", s.Rate); err != nil {
		return err
	}
	return positive("exp-decay", "gamma", s.Gamma)
}

func positive(sched, field string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s: %s = %g, want a finite number > 0", ErrInvalidConfig, sched, field, v)
	}
	return nil
}
