package checkpoint_test

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
	"github.com/parley-ai/parley/nnlib/optim"
)

func newAdam(t testing.TB) *optim.Adam {
	t.Helper()
	opt, err := optim.NewAdam(optim.DefaultAdamWConfig(), optim.Noam{Peak: 1e-2, Warmup: 2})
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func trainSteps(t testing.TB, opt optim.Optimizer, ps *nnlib.ParamSet, from, to int) {
	t.Helper()
	for step := from; step < to; step++ {
		for _, p := range ps.Params() {
			w, g := p.Value.Data(), p.Grad.Data()
			switch w := w.(type) {
			case []float32:
				for i := range w {
					g.([]float32)[i] = float32(math.Sin(float64(3*w[i]) + float64(step)))
				}
			case []float64:
				for i := range w {
					g.([]float64)[i] = math.Sin(3*w[i] + float64(step))
				}
			}
		}
		if err := opt.Step(ps.Params()); err != nil {
			t.Fatal(err)
		}
	}
}

// stateFile returns an optimiser state file of a few Adam steps on the
// small model.
func stateFile(t testing.TB) []byte {
	ps := newModel(t, nnlib.Float32, 1, smallSpec)
	opt := newAdam(t)
	trainSteps(t, opt, ps, 0, 2)
	var b bytes.Buffer
	if err := checkpoint.SaveState(&b, opt.State()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestResumeFromFiles trains 8 steps straight and 4 + save model and
// optimiser state to files + load both into a fresh model and optimiser +
// 4, and wants bit-identical weights.
func TestResumeFromFiles(t *testing.T) {
	for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			straight := newModel(t, dt, 1, modelSpec)
			trainSteps(t, newAdam(t), straight, 0, 8)

			ps := newModel(t, dt, 1, modelSpec)
			opt := newAdam(t)
			trainSteps(t, opt, ps, 0, 4)
			path := filepath.Join(t.TempDir(), "run.safetensors")
			if err := checkpoint.SaveFile(path, ps, checkpoint.Meta{}, checkpoint.SaveOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := checkpoint.SaveStateFile(checkpoint.StatePath(path), opt.State()); err != nil {
				t.Fatal(err)
			}

			resumed := newModel(t, dt, 99, modelSpec)
			if _, err := checkpoint.LoadFile(path, resumed); err != nil {
				t.Fatal(err)
			}
			st, err := checkpoint.LoadStateFile(checkpoint.StatePath(path))
			if err != nil {
				t.Fatal(err)
			}
			if st.Kind != optim.KindAdamW || st.Step != 4 || len(st.Tensors) != 9 {
				t.Fatalf("loaded state: kind %q step %d, %d tensors", st.Kind, st.Step, len(st.Tensors))
			}
			opt2 := newAdam(t)
			if err := opt2.SetState(st); err != nil {
				t.Fatal(err)
			}
			trainSteps(t, opt2, resumed, 4, 8)
			a, b := values(straight), values(resumed)
			for name := range a {
				for i := range a[name] {
					if math.Float64bits(a[name][i]) != math.Float64bits(b[name][i]) {
						t.Fatalf("%s[%d]: straight %.17g, resumed %.17g", name, i, a[name][i], b[name][i])
					}
				}
			}
		})
	}
}

func TestStateFileErrors(t *testing.T) {
	model := save(t, newModel(t, nnlib.Float32, 1, smallSpec), checkpoint.Meta{}, checkpoint.SaveOptions{})
	if _, err := checkpoint.LoadState(bytes.NewReader(model)); !errors.Is(err, checkpoint.ErrMismatch) {
		t.Errorf("LoadState(model file): err = %v, want ErrMismatch", err)
	}
	if _, err := checkpoint.Load(bytes.NewReader(stateFile(t)), newModel(t, nnlib.Float32, 1, smallSpec)); !errors.Is(err, checkpoint.ErrMismatch) {
		t.Errorf("Load(state file): err = %v, want ErrMismatch", err)
	}
	bad := build(`{"__metadata__":{"optim.kind":"adam","optim.step":"x"}}`, 0)
	if _, err := checkpoint.LoadState(bytes.NewReader(bad)); !errors.Is(err, checkpoint.ErrFormat) {
		t.Errorf("bad step: err = %v, want ErrFormat", err)
	}
	scalar := build(`{"__metadata__":{"optim.kind":"adam","optim.step":"1"},"step/a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 8)
	if _, err := checkpoint.LoadState(bytes.NewReader(scalar)); !errors.Is(err, checkpoint.ErrUnsupported) {
		t.Errorf("scalar tensor: err = %v, want ErrUnsupported", err)
	}
	if err := checkpoint.SaveState(&bytes.Buffer{}, optim.State{}); err == nil {
		t.Error("SaveState of an empty State: no error")
	}
}

func TestStatePath(t *testing.T) {
	for in, want := range map[string]string{
		"run/model.safetensors": "run/model.optim.safetensors",
		"model":                 "model.optim.safetensors",
		"a.b.safetensors":       "a.b.optim.safetensors",
	} {
		if got := checkpoint.StatePath(in); got != want {
			t.Errorf("StatePath(%q) = %q, want %q", in, got, want)
		}
	}
}
