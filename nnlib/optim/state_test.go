package optim_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
	"gorgonia.org/tensor"
)

// waveGrad sets gradients that depend non-linearly on the weights and on
// the step, so that every bit of optimiser state matters for the result.
func waveGrad(ps *nnlib.ParamSet, step int) {
	for j, p := range ps.Params() {
		w := get(p.Value.Data())
		g := make([]float64, len(w))
		for i := range w {
			g[i] = math.Sin(3*w[i]+float64(step)) + 0.1*float64(i-j)
		}
		set(p.Grad.Data(), g)
	}
}

func newStateParams(t *testing.T, dt nnlib.Dtype) *nnlib.ParamSet {
	t.Helper()
	ps := nnlib.NewParamSet(dt, 7)
	for _, spec := range []struct {
		name  string
		shape []int
	}{{"enc.w", []int{3, 4}}, {"enc.b", []int{4}}, {"out.w", []int{4, 2}}} {
		if _, err := ps.Add(spec.name, spec.shape, nnlib.Uniform(1)); err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

func optimizers() map[string]func() (optim.Optimizer, error) {
	return map[string]func() (optim.Optimizer, error){
		"adam": func() (optim.Optimizer, error) {
			c := optim.DefaultAdamConfig()
			c.WeightDecay, c.ClipNorm = 0.01, 2
			return optim.NewAdam(c, optim.Noam{Peak: 0.01, Warmup: 3})
		},
		"adamw": func() (optim.Optimizer, error) {
			return optim.NewAdam(optim.DefaultAdamWConfig(), optim.WarmupCosine{Peak: 0.01, Min: 1e-4, Warmup: 2, Total: 9})
		},
		"sgd_nesterov": func() (optim.Optimizer, error) {
			return optim.NewSGD(optim.SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3}, optim.StepDecay{Rate: 0.05, Gamma: 0.5, Every: 3})
		},
		"sgd_plain": func() (optim.Optimizer, error) { return optim.NewSGD(optim.SGDConfig{LR: 0.05}, nil) },
	}
}

func train(t *testing.T, opt optim.Optimizer, ps *nnlib.ParamSet, from, to int) {
	t.Helper()
	for step := from; step < to; step++ {
		waveGrad(ps, step)
		if err := opt.Step(ps.Params()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResumeBitIdentical trains N steps straight and N/2 + export + import
// into a fresh optimiser + N/2, and wants bit-identical parameters.
func TestResumeBitIdentical(t *testing.T) {
	const n = 10
	for name, mk := range optimizers() {
		for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				straight := newStateParams(t, dt)
				opt, err := mk()
				if err != nil {
					t.Fatal(err)
				}
				train(t, opt, straight, 0, n)

				resumed := newStateParams(t, dt)
				first, err := mk()
				if err != nil {
					t.Fatal(err)
				}
				train(t, first, resumed, 0, n/2)
				st := first.State()
				if st.Step != n/2 {
					t.Fatalf("State().Step = %d, want %d", st.Step, n/2)
				}
				// Training on with the first optimiser must not change
				// the exported snapshot.
				snap := cloneState(st)
				train(t, first, newStateParams(t, dt), 0, 2)
				if !statesEqual(st, snap) {
					t.Fatal("State() shares memory with the optimiser")
				}

				second, err := mk()
				if err != nil {
					t.Fatal(err)
				}
				if err := second.SetState(st); err != nil {
					t.Fatal(err)
				}
				if second.Steps() != n/2 {
					t.Fatalf("Steps() after SetState = %d, want %d", second.Steps(), n/2)
				}
				train(t, second, resumed, n/2, n)
				for i, p := range straight.Params() {
					a, b := get(p.Value.Data()), get(resumed.Params()[i].Value.Data())
					for j := range a {
						if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
							t.Fatalf("%s[%d]: straight %.17g, resumed %.17g", p.Name, j, a[j], b[j])
						}
					}
				}
				if !statesEqual(opt.State(), second.State()) {
					t.Error("final states differ")
				}
			})
		}
	}
}

func cloneState(st optim.State) optim.State {
	out := optim.State{Kind: st.Kind, Step: st.Step, Tensors: map[string]*tensor.Dense{}}
	for k, v := range st.Tensors {
		out.Tensors[k] = v.Clone().(*tensor.Dense)
	}
	return out
}

func statesEqual(a, b optim.State) bool {
	if a.Kind != b.Kind || a.Step != b.Step || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for k, x := range a.Tensors {
		y, ok := b.Tensors[k]
		if !ok || !x.Shape().Eq(y.Shape()) || x.Dtype() != y.Dtype() {
			return false
		}
		if !slices.Equal(get(x.Data()), get(y.Data())) {
			return false
		}
	}
	return true
}

func TestStateNames(t *testing.T) {
	ps := newStateParams(t, nnlib.Float32)
	opt, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	train(t, opt, ps, 0, 2)
	st := opt.State()
	var names []string
	for k := range st.Tensors {
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{
		"exp_avg/enc.b", "exp_avg/enc.w", "exp_avg/out.w",
		"exp_avg_sq/enc.b", "exp_avg_sq/enc.w", "exp_avg_sq/out.w",
		"step/enc.b", "step/enc.w", "step/out.w",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("state tensors %v, want %v", names, want)
	}
	if st.Kind != optim.KindAdam || st.Step != 2 {
		t.Errorf("Kind %q Step %d, want adam 2", st.Kind, st.Step)
	}
	if d := st.Tensors["exp_avg/enc.w"]; d.Dtype() != tensor.Float32 || !d.Shape().Eq(tensor.Shape{3, 4}) {
		t.Errorf("exp_avg/enc.w: %v %v, want float32 (3, 4)", d.Dtype(), d.Shape())
	}
	if v := st.Tensors["step/enc.w"].Data().([]float64); !slices.Equal(v, []float64{2}) {
		t.Errorf("step/enc.w = %v, want [2]", v)
	}
}

// TestStateDtypeConversion imports float32 state into an optimiser that
// then updates float64 parameters.
func TestStateDtypeConversion(t *testing.T) {
	p32 := newStateParams(t, nnlib.Float32)
	a, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	train(t, a, p32, 0, 3)
	b, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetState(a.State()); err != nil {
		t.Fatal(err)
	}
	p64 := newStateParams(t, nnlib.Float64)
	train(t, b, p64, 3, 4)
	if d := b.State().Tensors["exp_avg/enc.w"]; d.Dtype() != tensor.Float64 {
		t.Errorf("state dtype after float64 step: %v", d.Dtype())
	}
}

func TestSetStateErrors(t *testing.T) {
	ps := newStateParams(t, nnlib.Float32)
	src, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	train(t, src, ps, 0, 2)
	good := src.State()
	edit := func(f func(st *optim.State)) optim.State {
		st := cloneState(good)
		f(&st)
		return st
	}
	f64 := func(v ...float64) *tensor.Dense { return tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v)) }
	cases := map[string]optim.State{
		"kind":           edit(func(st *optim.State) { st.Kind = optim.KindSGD }),
		"negative step":  edit(func(st *optim.State) { st.Step = -1 }),
		"no slash":       edit(func(st *optim.State) { st.Tensors["exp_avg"] = f64(1) }),
		"unknown buffer": edit(func(st *optim.State) { st.Tensors["momentum_buffer/enc.b"] = f64(1, 2, 3, 4) }),
		"missing step":   edit(func(st *optim.State) { delete(st.Tensors, "step/enc.b") }),
		"missing buffer": edit(func(st *optim.State) { delete(st.Tensors, "exp_avg_sq/enc.b") }),
		"step too large": edit(func(st *optim.State) { st.Tensors["step/enc.b"] = f64(3) }),
		"step fraction":  edit(func(st *optim.State) { st.Tensors["step/enc.b"] = f64(1.5) }),
		"step float32": edit(func(st *optim.State) {
			st.Tensors["step/enc.b"] = tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{1}))
		}),
		"nil tensor":    edit(func(st *optim.State) { st.Tensors["exp_avg/enc.b"] = nil }),
		"shape differs": edit(func(st *optim.State) { st.Tensors["exp_avg/enc.b"] = f64(1, 2) }),
		"mixed dtypes":  edit(func(st *optim.State) { st.Tensors["exp_avg/enc.b"] = f64(1, 2, 3, 4) }),
		"int buffer": edit(func(st *optim.State) {
			st.Tensors["exp_avg/enc.b"] = tensor.New(tensor.WithShape(4), tensor.WithBacking([]int{1, 2, 3, 4}))
		}),
	}
	for name, st := range cases {
		dst, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := dst.SetState(st); !errors.Is(err, optim.ErrBadState) {
			t.Errorf("%s: err = %v, want ErrBadState", name, err)
		}
	}
	// A shape that does not fit the parameter is found by Step.
	dst, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := edit(func(st *optim.State) {
		st.Tensors["exp_avg/enc.b"] = tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
		st.Tensors["exp_avg_sq/enc.b"] = tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	})
	if err := dst.SetState(st); err != nil {
		t.Fatal(err)
	}
	waveGrad(ps, 0)
	if err := dst.Step(ps.Params()); !errors.Is(err, optim.ErrBadState) {
		t.Errorf("Step with misshapen state: err = %v, want ErrBadState", err)
	}
}
