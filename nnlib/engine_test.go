package nnlib_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
)

// regBatch is a least-squares batch: rows of x (n×2) and targets y.
type regBatch struct{ x, y []float64 }

// regBuilder builds loss = mean((x·w − y)²) for batches of any size; each
// size is its own shape bucket.
type regBuilder struct {
	w      *nnlib.Param
	builds int
}

func (b *regBuilder) Key(batch regBatch) string { return fmt.Sprint(len(batch.y)) }

func (b *regBuilder) Build(g *nnlib.Graph, batch regBatch) (nnlib.Feed[regBatch], error) {
	b.builds++
	n := len(batch.y)
	x, y := g.Input("x", n, 2), g.Input("y", n, 1)
	d := g.Sub(g.Linear(x, g.Param(b.w), nil), y)
	g.SetLoss(g.Mean(g.Mul(d, d)))
	return func(m *nnlib.Machine, batch regBatch) error {
		if err := m.Let(x, batch.x); err != nil {
			return err
		}
		return m.Let(y, batch.y)
	}, g.Err()
}

func regData(rng *rand.Rand, n int) regBatch {
	var b regBatch
	for i := 0; i < n; i++ {
		x0, x1 := rng.NormFloat64(), rng.NormFloat64()
		b.x = append(b.x, x0, x1)
		b.y = append(b.y, 3*x0-2*x1)
	}
	return b
}

func TestTrainerLearnsAndCaches(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	w, _ := ps.Add("w", []int{2, 1}, nnlib.Zeros)
	cfg := optim.DefaultAdamConfig()
	cfg.LR = 0.05
	opt, _ := optim.NewAdam(cfg, nil)
	b := &regBuilder{w: w}
	tr, err := nnlib.NewTrainer[regBatch](ps, opt, b, nnlib.TrainerConfig{MaxGraphs: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for step := 0; step < 400; step++ {
		if _, err := tr.Step(ctx, regData(rng, 4+step%3)); err != nil { // three buckets
			t.Fatal(err)
		}
	}
	got := w.F32()
	if math.Abs(float64(got[0])-3) > 0.05 || math.Abs(float64(got[1])+2) > 0.05 {
		t.Errorf("learned w = %v, want [3 -2]", got)
	}
	if tr.Steps() != 400 {
		t.Errorf("Steps() = %d", tr.Steps())
	}
	// Three buckets cycling through a cache of two: every step rebuilt.
	if tr.Graphs() > 2 {
		t.Errorf("%d graphs cached, MaxGraphs 2", tr.Graphs())
	}
	if b.builds < 300 {
		t.Errorf("LRU of 2 with 3 cycling keys should rebuild: %d builds", b.builds)
	}
	// Eval changes nothing and reports the loss.
	before := slices.Clone(w.F32())
	loss, err := tr.Eval(ctx, regData(rng, 5))
	if err != nil || loss > 0.01 {
		t.Errorf("eval loss %v, err %v", loss, err)
	}
	if !slices.Equal(before, w.F32()) {
		t.Error("Eval changed the weights")
	}
}

func TestTrainerReusesGraphs(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	w, _ := ps.Add("w", []int{2, 1}, nnlib.Zeros)
	opt, _ := optim.NewSGD(optim.SGDConfig{LR: 0.01}, nil)
	b := &regBuilder{w: w}
	tr, _ := nnlib.NewTrainer[regBatch](ps, opt, b, nnlib.TrainerConfig{})
	rng := rand.New(rand.NewPCG(3, 4))
	for step := 0; step < 50; step++ {
		if _, err := tr.Step(context.Background(), regData(rng, 4+step%2)); err != nil {
			t.Fatal(err)
		}
	}
	if b.builds != 2 {
		t.Errorf("two shape buckets built %d graphs, want 2", b.builds)
	}
}

// TestAccumulate: two Accumulate calls on the same batch give twice the
// gradient of one (gradients add up in Param.Grad, as micro-batches do).
func TestAccumulate(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float64, 1)
	w, _ := ps.Add("w", []int{2, 1}, nnlib.Uniform(1))
	tr, _ := nnlib.NewTrainer[regBatch](ps, nil, &regBuilder{w: w}, nnlib.TrainerConfig{})
	batch := regData(rand.New(rand.NewPCG(5, 6)), 6)
	if _, err := tr.Accumulate(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	one := slices.Clone(w.Grad.Data().([]float64))
	if _, err := tr.Accumulate(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	for i, g := range w.Grad.Data().([]float64) {
		if math.Abs(g-2*one[i]) > 1e-12 {
			t.Errorf("grad[%d] = %v after two runs, want %v", i, g, 2*one[i])
		}
	}
	if _, err := tr.Step(context.Background(), batch); err == nil {
		t.Error("Step without an optimiser: want error")
	}
}

func TestBuckets(t *testing.T) {
	lengths := []int{5, 1, 9, 3, 3, 7, 2, 8}
	batches, err := nnlib.Buckets(lengths, nnlib.BucketConfig{BatchSize: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{1, 6, 3}, {4, 0, 5}, {7, 2}} // sorted by length, stable
	if fmt.Sprint(batches) != fmt.Sprint(want) {
		t.Errorf("batches %v, want %v", batches, want)
	}
	shuffled, _ := nnlib.Buckets(lengths, nnlib.BucketConfig{BatchSize: 3, Shuffle: true}, rand.New(rand.NewPCG(1, 1)))
	seen := map[int]bool{}
	for _, b := range shuffled {
		lo, hi := math.MaxInt, 0
		for _, i := range b {
			seen[i] = true
			lo, hi = min(lo, lengths[i]), max(hi, lengths[i])
		}
		if hi-lo > 4 {
			t.Errorf("batch %v mixes lengths %d..%d", b, lo, hi)
		}
	}
	if len(seen) != len(lengths) {
		t.Errorf("shuffled buckets cover %d of %d items", len(seen), len(lengths))
	}
	if _, err := nnlib.Buckets(lengths, nnlib.BucketConfig{}, nil); err == nil {
		t.Error("batch size 0: want error")
	}
	for _, c := range []struct{ n, w, want int }{{1, 8, 8}, {8, 8, 8}, {9, 8, 16}, {0, 4, 4}, {5, 0, 8}} {
		if got := nnlib.PadLen(c.n, c.w); got != c.want {
			t.Errorf("PadLen(%d, %d) = %d, want %d", c.n, c.w, got, c.want)
		}
	}
}
