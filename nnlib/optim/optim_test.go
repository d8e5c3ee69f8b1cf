package optim_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
)

// newParams returns a parameter set of dtype dt holding one parameter per
// entry of vals, named p0, p1, ….
func newParams(t *testing.T, dt nnlib.Dtype, vals ...[]float64) *nnlib.ParamSet {
	t.Helper()
	ps := nnlib.NewParamSet(dt, 1)
	for i, v := range vals {
		p, err := ps.Add("p"+string(rune('0'+i)), []int{len(v)}, nnlib.Zeros)
		if err != nil {
			t.Fatal(err)
		}
		set(p.Value.Data(), v)
	}
	return ps
}

func set(dst any, v []float64) {
	switch d := dst.(type) {
	case []float32:
		for i, x := range v {
			d[i] = float32(x)
		}
	case []float64:
		copy(d, v)
	}
}

func get(src any) []float64 {
	switch d := src.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return slices.Clone(d)
	}
	return nil
}

// quadGrad sets the gradient of L = Σ (w − c)² · k for every parameter:
// g = 2k(w − c) with c = 0.3 and k growing with the index, so the
// gradients differ between elements and change as the weights move.
func quadGrad(ps *nnlib.ParamSet) {
	for _, p := range ps.Params() {
		w := get(p.Value.Data())
		g := make([]float64, len(w))
		for i := range w {
			g[i] = 2 * float64(i+1) * (w[i] - 0.3)
		}
		set(p.Grad.Data(), g)
	}
}

func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !closeTo(got[i], want[i], tol) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

// TestAdamConstantGradient checks a value derivable by hand: with a
// constant gradient g, the bias-corrected moments are m̂ = g and v̂ = g²
// at every step, so each Adam step moves w by exactly lr·g/(|g|+ε).
func TestAdamConstantGradient(t *testing.T) {
	const lr, eps = 0.01, 1e-8
	g := []float64{0.5, -3, 1e-3}
	w0 := []float64{1, -2, 0}
	ps := newParams(t, nnlib.Float64, w0)
	opt, err := optim.NewAdam(optim.AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: eps}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		set(ps.Params()[0].Grad.Data(), g)
		if err := opt.Step(ps.Params()); err != nil {
			t.Fatal(err)
		}
	}
	want := make([]float64, len(w0))
	for i := range w0 {
		want[i] = w0[i] - 3*lr*g[i]/(math.Abs(g[i])+eps)
	}
	assertClose(t, "w", get(ps.Params()[0].Value.Data()), want, 1e-13)
}

// refAdam is torch.optim.Adam / AdamW (torch/optim/adam.py,
// _single_tensor_adam, amsgrad=False) written out for one parameter:
//
//	if weight_decay != 0 and not decoupled: grad = grad + wd*param
//	if decoupled:                          param *= 1 - lr*wd
//	exp_avg    = beta1*exp_avg + (1-beta1)*grad
//	exp_avg_sq = beta2*exp_avg_sq + (1-beta2)*grad*grad
//	step_size  = lr / (1 - beta1**t)
//	denom      = sqrt(exp_avg_sq) / sqrt(1 - beta2**t) + eps
//	param     -= step_size * exp_avg / denom
type refAdam struct {
	cfg  optim.AdamConfig
	m, v []float64
	t    int
}

func (r *refAdam) step(w, g []float64, lr float64) {
	if r.m == nil {
		r.m, r.v = make([]float64, len(w)), make([]float64, len(w))
	}
	r.t++
	c := r.cfg
	for i := range w {
		gi := g[i]
		if c.Decoupled {
			w[i] *= 1 - lr*c.WeightDecay
		} else {
			gi += c.WeightDecay * w[i]
		}
		r.m[i] = c.Beta1*r.m[i] + (1-c.Beta1)*gi
		r.v[i] = c.Beta2*r.v[i] + (1-c.Beta2)*gi*gi
		stepSize := lr / (1 - math.Pow(c.Beta1, float64(r.t)))
		denom := math.Sqrt(r.v[i])/math.Sqrt(1-math.Pow(c.Beta2, float64(r.t))) + c.Eps
		w[i] -= stepSize * r.m[i] / denom
	}
}

// refSGD is torch.optim.SGD (torch/optim/sgd.py, _single_tensor_sgd)
// written out for one parameter:
//
//	d_p = grad + weight_decay*param
//	if momentum != 0:
//	    buf = d_p if first step else momentum*buf + (1-dampening)*d_p
//	    d_p = d_p + momentum*buf if nesterov else buf
//	param -= lr * d_p
type refSGD struct {
	cfg optim.SGDConfig
	buf []float64
}

func (r *refSGD) step(w, g []float64, lr float64) {
	c := r.cfg
	first := r.buf == nil
	if first {
		r.buf = make([]float64, len(w))
	}
	for i := range w {
		d := g[i] + c.WeightDecay*w[i]
		if c.Momentum != 0 {
			if first {
				r.buf[i] = d
			} else {
				r.buf[i] = c.Momentum*r.buf[i] + (1-c.Dampening)*d
			}
			if c.Nesterov {
				d += c.Momentum * r.buf[i]
			} else {
				d = r.buf[i]
			}
		}
		w[i] -= lr * d
	}
}

type refOpt interface {
	step(w, g []float64, lr float64)
}

func TestAgainstReference(t *testing.T) {
	adam := optim.DefaultAdamConfig()
	adam.LR = 0.05
	adamL2 := adam
	adamL2.WeightDecay = 0.1
	adamW := optim.DefaultAdamWConfig()
	adamW.LR, adamW.WeightDecay = 0.05, 0.1
	sgd := optim.SGDConfig{LR: 0.1}
	sgdMom := optim.SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01}
	sgdNest := optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}
	sched := optim.Noam{Peak: 0.05, Warmup: 3}
	cases := []struct {
		name  string
		sched optim.Schedule
		new   func(optim.Schedule) (optim.Optimizer, error)
		ref   refOpt
	}{
		{"adam", nil, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewAdam(adam, s) }, &refAdam{cfg: adam}},
		{"adam_l2", nil, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewAdam(adamL2, s) }, &refAdam{cfg: adamL2}},
		{"adamw", nil, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewAdam(adamW, s) }, &refAdam{cfg: adamW}},
		{"adamw_noam", sched, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewAdam(adamW, s) }, &refAdam{cfg: adamW}},
		{"sgd", nil, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewSGD(sgd, s) }, &refSGD{cfg: sgd}},
		{"sgd_momentum", nil, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewSGD(sgdMom, s) }, &refSGD{cfg: sgdMom}},
		{"sgd_nesterov", sched, func(s optim.Schedule) (optim.Optimizer, error) { return optim.NewSGD(sgdNest, s) }, &refSGD{cfg: sgdNest}},
	}
	w0 := []float64{0.5, -1.25, 2, 0}
	for _, c := range cases {
		for _, dt := range []nnlib.Dtype{nnlib.Float64, nnlib.Float32} {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				tol := 1e-13
				if dt == nnlib.Float32 {
					tol = 2e-6
				}
				// A fresh reference per dtype: refs keep state.
				var ref refOpt
				switch r := c.ref.(type) {
				case *refAdam:
					ref = &refAdam{cfg: r.cfg}
				case *refSGD:
					ref = &refSGD{cfg: r.cfg}
				}
				ps := newParams(t, dt, w0)
				p := ps.Params()[0]
				opt, err := c.new(c.sched)
				if err != nil {
					t.Fatal(err)
				}
				w := slices.Clone(w0)
				for step := 1; step <= 5; step++ {
					quadGrad(ps)
					g := get(p.Grad.Data())
					lr := 0.0
					switch cfg := any(c.ref).(type) {
					case *refAdam:
						lr = cfg.cfg.LR
					case *refSGD:
						lr = cfg.cfg.LR
					}
					if c.sched != nil {
						lr = c.sched.LR(step)
					}
					ref.step(w, g, lr)
					if err := opt.Step(ps.Params()); err != nil {
						t.Fatal(err)
					}
					if opt.LR() != lr || opt.Steps() != step {
						t.Errorf("step %d: LR() = %g, Steps() = %d; want %g, %d", step, opt.LR(), opt.Steps(), lr, step)
					}
					assertClose(t, "w", get(p.Value.Data()), w, tol)
					for i, x := range get(p.Grad.Data()) {
						if x != 0 {
							t.Fatalf("step %d: grad[%d] = %g after Step, want 0", step, i, x)
						}
					}
				}
			})
		}
	}
}

// TestSGDByHand checks values computed on paper: lr 0.1, gradient 1
// every step, w0 = 0.
func TestSGDByHand(t *testing.T) {
	cases := []struct {
		name string
		cfg  optim.SGDConfig
		want []float64 // w after steps 1, 2, 3
	}{
		// b = 1, 1.9, 2.71 → w = −0.1, −0.29, −0.561
		{"momentum", optim.SGDConfig{LR: 0.1, Momentum: 0.9}, []float64{-0.1, -0.29, -0.561}},
		// b as above, d = 1 + 0.9·b = 1.9, 2.71, 3.439 → w = −0.19, −0.461, −0.8049
		{"nesterov", optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true}, []float64{-0.19, -0.461, -0.8049}},
		// b = 1 (no dampening on the first step), 0.9+0.5 = 1.4, 1.26+0.5 = 1.76
		{"dampening", optim.SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 0.5}, []float64{-0.1, -0.24, -0.416}},
		{"plain", optim.SGDConfig{LR: 0.1}, []float64{-0.1, -0.2, -0.3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := newParams(t, nnlib.Float64, []float64{0})
			opt, err := optim.NewSGD(c.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range c.want {
				set(ps.Params()[0].Grad.Data(), []float64{1})
				if err := opt.Step(ps.Params()); err != nil {
					t.Fatal(err)
				}
				if got := ps.Params()[0].F64()[0]; !closeTo(got, want, 1e-14) {
					t.Errorf("step %d: w = %.17g, want %g", i+1, got, want)
				}
			}
		})
	}
}

func TestStepAllocationFree(t *testing.T) {
	for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
		mk := map[string]func() (optim.Optimizer, error){
			"adamw": func() (optim.Optimizer, error) {
				c := optim.DefaultAdamWConfig()
				c.ClipNorm = 1
				return optim.NewAdam(c, optim.WarmupCosine{Peak: 1e-3, Warmup: 10, Total: 100})
			},
			"sgd": func() (optim.Optimizer, error) { return optim.NewSGD(optim.DefaultSGDConfig(), nil) },
		}
		for name, f := range mk {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				ps := newParams(t, dt, []float64{1, 2, 3}, []float64{4, 5})
				opt, err := f()
				if err != nil {
					t.Fatal(err)
				}
				if err := opt.Step(ps.Params()); err != nil { // allocates the state
					t.Fatal(err)
				}
				allocs := testing.AllocsPerRun(20, func() {
					if err := opt.Step(ps.Params()); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("Step allocates %v times per call, want 0", allocs)
				}
			})
		}
	}
}

func TestStepErrors(t *testing.T) {
	opt, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := newParams(t, nnlib.Float32, []float64{1, 2})
	p := ps.Params()[0]
	if err := opt.Step([]*nnlib.Param{p, p}); err == nil {
		t.Error("duplicate parameter: no error")
	}
	ps64 := newParams(t, nnlib.Float64, []float64{1, 2})
	bad := &nnlib.Param{Name: "bad", Value: p.Value, Grad: ps64.Params()[0].Grad}
	if err := opt.Step([]*nnlib.Param{bad}); err == nil {
		t.Error("dtype mismatch: no error")
	}
	if err := opt.Step([]*nnlib.Param{nil}); err == nil {
		t.Error("nil parameter: no error")
	}
	if opt.Steps() != 0 {
		t.Errorf("failed steps counted: Steps() = %d", opt.Steps())
	}
	// A parameter with a nil Grad is frozen, not an error.
	frozen := &nnlib.Param{Name: "frozen", Value: p.Value}
	before := get(p.Value.Data())
	if err := opt.Step([]*nnlib.Param{frozen}); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "frozen", get(p.Value.Data()), before, 0)
	// Same name as before with another shape.
	other := newParams(t, nnlib.Float32, []float64{1, 2, 3})
	if err := opt.Step(ps.Params()); err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(other.Params()); !errors.Is(err, optim.ErrBadState) {
		t.Errorf("shape change: err = %v, want ErrBadState", err)
	}
}

func TestClipGlobalNorm(t *testing.T) {
	for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			ps := newParams(t, dt, []float64{0, 0}, []float64{0})
			set(ps.Params()[0].Grad.Data(), []float64{3, 4})
			set(ps.Params()[1].Grad.Data(), []float64{12})
			frozen := &nnlib.Param{Name: "frozen", Value: ps.Params()[0].Value}
			params := append(slices.Clone(ps.Params()), frozen)
			// √(9+16+144) = 13; torch: coef = max_norm/(norm+1e-6).
			if n := optim.GlobalNorm(params); n != 13 {
				t.Fatalf("GlobalNorm = %g, want 13", n)
			}
			if n := optim.ClipGlobalNorm(params, 20); n != 13 {
				t.Fatalf("ClipGlobalNorm = %g, want 13", n)
			}
			assertClose(t, "unclipped", get(ps.Params()[0].Grad.Data()), []float64{3, 4}, 0)
			if n := optim.ClipGlobalNorm(params, 6.5); n != 13 {
				t.Fatalf("ClipGlobalNorm = %g, want 13", n)
			}
			c := 6.5 / (13 + 1e-6)
			tol := 1e-15
			if dt == nnlib.Float32 {
				tol = 1e-7
			}
			assertClose(t, "g0", get(ps.Params()[0].Grad.Data()), []float64{3 * c, 4 * c}, tol)
			assertClose(t, "g1", get(ps.Params()[1].Grad.Data()), []float64{12 * c}, tol)
			if n := optim.GlobalNorm(params); !closeTo(n, 6.5, 1e-6) {
				t.Errorf("norm after clipping = %g, want 6.5", n)
			}
			set(ps.Params()[1].Grad.Data(), []float64{math.NaN()})
			if n := optim.ClipGlobalNorm(params, 1); !math.IsNaN(n) {
				t.Errorf("NaN gradient: norm = %g, want NaN", n)
			}
			assertClose(t, "g0 after NaN", get(ps.Params()[0].Grad.Data()), []float64{3 * c, 4 * c}, tol)
		})
	}
}

func TestClipGlobalNormPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("maxNorm 0: no panic")
		}
	}()
	optim.ClipGlobalNorm(nil, 0)
}

func TestStepClipNorm(t *testing.T) {
	cfg := optim.SGDConfig{LR: 1, ClipNorm: 1}
	opt, err := optim.NewSGD(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := newParams(t, nnlib.Float64, []float64{0, 0})
	p := ps.Params()[0]
	set(p.Grad.Data(), []float64{3, 4})
	if err := opt.Step(ps.Params()); err != nil {
		t.Fatal(err)
	}
	c := 1 / (5 + 1e-6)
	assertClose(t, "w", get(p.Value.Data()), []float64{-3 * c, -4 * c}, 1e-15)
	if opt.GradNorm() != 5 {
		t.Errorf("GradNorm = %g, want 5", opt.GradNorm())
	}
	// A non-finite gradient skips the step and zeroes the gradients.
	before := get(p.Value.Data())
	set(p.Grad.Data(), []float64{math.Inf(1), 0})
	if err := opt.Step(ps.Params()); !errors.Is(err, optim.ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	assertClose(t, "w after skipped step", get(p.Value.Data()), before, 0)
	assertClose(t, "grad after skipped step", get(p.Grad.Data()), []float64{0, 0}, 0)
	if opt.Steps() != 1 {
		t.Errorf("Steps = %d after skipped step, want 1", opt.Steps())
	}
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		name  string
		s     optim.Schedule
		steps []int
		want  []float64
	}{
		{"constant", optim.Constant{Rate: 0.1}, []int{0, 1, 1000}, []float64{0.1, 0.1, 0.1}},
		// Peak·min(t/w, √(w/t)), w = 4: 1/4, 1/2, 1 at t = 1, 2, 4; √(4/16) = 1/2 at 16.
		{"noam", optim.Noam{Peak: 2, Warmup: 4}, []int{0, 1, 2, 4, 16, 400}, []float64{0.5, 0.5, 1, 2, 1, 0.2}},
		// Warm-up 0.25 per step to 1 at t = 4, cosine to 0.1 at t = 14:
		// half way (t = 9) is 0.1 + 0.9·(1+cos(π/2))/2 = 0.55.
		{"warmup_cosine", optim.WarmupCosine{Peak: 1, Min: 0.1, Warmup: 4, Total: 14}, []int{1, 2, 4, 9, 14, 100}, []float64{0.25, 0.5, 1, 0.55, 0.1, 0.1}},
		{"cosine_no_warmup", optim.WarmupCosine{Peak: 1, Total: 3}, []int{1, 2, 3}, []float64{0.75, 0.25, 0}},
		// torch StepLR(step_size=3, gamma=0.5): epochs 0-2 → 1, 3-5 → 0.5, 6 → 0.25.
		{"step", optim.StepDecay{Rate: 1, Gamma: 0.5, Every: 3}, []int{1, 3, 4, 6, 7}, []float64{1, 1, 0.5, 0.5, 0.25}},
		// torch ExponentialLR(gamma=0.5): epoch e → 0.5^e.
		{"exp", optim.ExpDecay{Rate: 1, Gamma: 0.5}, []int{1, 2, 3, 11}, []float64{1, 0.5, 0.25, 1.0 / 1024}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, step := range c.steps {
				if got := c.s.LR(step); !closeTo(got, c.want[i], 1e-15) {
					t.Errorf("LR(%d) = %.17g, want %g", step, got, c.want[i])
				}
			}
			if err := c.s.(interface{ Validate() error }).Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	adam := func(f func(*optim.AdamConfig)) error {
		c := optim.DefaultAdamConfig()
		f(&c)
		return c.Validate()
	}
	sgd := func(f func(*optim.SGDConfig)) error {
		c := optim.DefaultSGDConfig()
		f(&c)
		return c.Validate()
	}
	cases := []struct {
		name string
		err  error
	}{
		{"adam/lr0", adam(func(c *optim.AdamConfig) { c.LR = 0 })},
		{"adam/lrNaN", adam(func(c *optim.AdamConfig) { c.LR = math.NaN() })},
		{"adam/beta1", adam(func(c *optim.AdamConfig) { c.Beta1 = 1 })},
		{"adam/beta2", adam(func(c *optim.AdamConfig) { c.Beta2 = -0.1 })},
		{"adam/eps", adam(func(c *optim.AdamConfig) { c.Eps = 0 })},
		{"adam/wd", adam(func(c *optim.AdamConfig) { c.WeightDecay = -1 })},
		{"adam/clip", adam(func(c *optim.AdamConfig) { c.ClipNorm = -1 })},
		{"adam/clipInf", adam(func(c *optim.AdamConfig) { c.ClipNorm = math.Inf(1) })},
		{"sgd/lr", sgd(func(c *optim.SGDConfig) { c.LR = -1 })},
		{"sgd/momentum", sgd(func(c *optim.SGDConfig) { c.Momentum = -0.5 })},
		{"sgd/dampening", sgd(func(c *optim.SGDConfig) { c.Dampening = 2 })},
		{"sgd/wd", sgd(func(c *optim.SGDConfig) { c.WeightDecay = -1 })},
		{"sgd/nesterov_no_momentum", sgd(func(c *optim.SGDConfig) { c.Nesterov, c.Momentum = true, 0 })},
		{"sgd/nesterov_dampening", sgd(func(c *optim.SGDConfig) { c.Nesterov, c.Dampening = true, 0.1 })},
		{"sgd/clip", sgd(func(c *optim.SGDConfig) { c.ClipNorm = -1 })},
		{"noam/warmup", optim.Noam{Peak: 1}.Validate()},
		{"noam/peak", optim.Noam{Warmup: 1}.Validate()},
		{"cosine/min", optim.WarmupCosine{Peak: 1, Min: 2, Total: 10}.Validate()},
		{"cosine/total", optim.WarmupCosine{Peak: 1, Warmup: 10, Total: 10}.Validate()},
		{"step/every", optim.StepDecay{Rate: 1, Gamma: 0.5}.Validate()},
		{"step/gamma", optim.StepDecay{Rate: 1, Every: 1}.Validate()},
		{"exp/lr", optim.ExpDecay{Gamma: 0.5}.Validate()},
		{"constant/lr", optim.Constant{Rate: math.Inf(1)}.Validate()},
	}
	for _, c := range cases {
		if !errors.Is(c.err, optim.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", c.name, c.err)
		}
	}
	for name, err := range map[string]error{
		"adam":  optim.DefaultAdamConfig().Validate(),
		"adamw": optim.DefaultAdamWConfig().Validate(),
		"sgd":   optim.DefaultSGDConfig().Validate(),
	} {
		if err != nil {
			t.Errorf("default %s config: %v", name, err)
		}
	}
	if _, err := optim.NewAdam(optim.DefaultAdamConfig(), optim.Noam{}); !errors.Is(err, optim.ErrInvalidConfig) {
		t.Errorf("NewAdam with invalid schedule: err = %v", err)
	}
	if _, err := optim.NewSGD(optim.SGDConfig{}, nil); !errors.Is(err, optim.ErrInvalidConfig) {
		t.Errorf("NewSGD with zero config: err = %v", err)
	}
}
