package seq2seq_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// randomModel returns an untrained model with peaked output distributions
// (its output layer scaled up) so decodes differ between sources.
func randomModel(t *testing.T, att string) *seq2seq.Model {
	t.Helper()
	cfg := tinyConfig(att)
	cfg.Hidden, cfg.Emb, cfg.AttDim = 16, 8, 16
	m, err := seq2seq.New(cfg, nnlib.Float32, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params.Params() {
		if p.Name == "dec.out.w" {
			for i, v := range p.F32() {
				p.F32()[i] = 4 * v
			}
		}
	}
	return m
}

func randomSources(n int, seed uint64) []seq2seq.Source {
	rng := rand.New(rand.NewPCG(seed, 1))
	srcs := make([]seq2seq.Source, n)
	for i := range srcs {
		srcs[i] = seq2seq.Source{Tokens: randomDigits(rng, 1, 15)}
	}
	return srcs
}

// TestBeamWidthOneIsGreedy: beam search of width 1 returns exactly the
// greedy decode (tokens, score, attention).
func TestBeamWidthOneIsGreedy(t *testing.T) {
	for _, att := range []string{"additive", "location", "general"} {
		t.Run(att, func(t *testing.T) {
			m := randomModel(t, att)
			srcs := randomSources(12, 3)
			greedy, err := m.Greedy(context.Background(), srcs, seq2seq.GreedyConfig{MaxLen: 25})
			if err != nil {
				t.Fatal(err)
			}
			beam, err := m.Beam(context.Background(), srcs, seq2seq.BeamConfig{Width: 1, MaxLen: 25})
			if err != nil {
				t.Fatal(err)
			}
			distinct, tokens := map[string]bool{}, 0
			for _, g := range greedy {
				distinct[fmt.Sprint(g.Tokens)] = true
				tokens += len(g.Tokens)
			}
			if len(distinct) < 3 || tokens < 2*len(srcs) {
				t.Fatalf("degenerate decodes (%d distinct, %d tokens): the comparison would prove little", len(distinct), tokens)
			}
			for i := range srcs {
				g, b := greedy[i], beam[i][0]
				if !slices.Equal(g.Tokens, b.Tokens) || g.Score != b.Score || g.Finished != b.Finished || len(g.Attention) != len(b.Attention) {
					t.Errorf("source %d: greedy %v (%.4f, finished %v, %d att rows) != beam %v (%.4f, finished %v, %d att rows)",
						i, g.Tokens, g.Score, g.Finished, len(g.Attention), b.Tokens, b.Score, b.Finished, len(b.Attention))
				}
			}
		})
	}
}

// TestBeamNBest: n-best lists are sorted, distinct, and the best beam
// hypothesis scores at least as well as greedy's.
func TestBeamNBest(t *testing.T) {
	m := randomModel(t, "additive")
	srcs := randomSources(6, 4)
	greedy, err := m.Greedy(context.Background(), srcs, seq2seq.GreedyConfig{MaxLen: 20})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Beam(context.Background(), srcs, seq2seq.BeamConfig{Width: 4, NBest: 3, MaxLen: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i, hs := range res {
		if len(hs) == 0 || len(hs) > 3 {
			t.Fatalf("source %d: %d hypotheses", i, len(hs))
		}
		seen := map[string]bool{}
		for j, h := range hs {
			if j > 0 && h.Norm > hs[j-1].Norm {
				t.Errorf("source %d: n-best not sorted", i)
			}
			if seen[fmt.Sprint(h.Tokens)] {
				t.Errorf("source %d: duplicate hypothesis %v", i, h.Tokens)
			}
			seen[fmt.Sprint(h.Tokens)] = true
			for _, row := range h.Attention {
				var sum float32
				for _, a := range row {
					sum += a
				}
				if sum < 0.999 || sum > 1.001 {
					t.Errorf("source %d: attention row sums to %v", i, sum)
				}
			}
		}
		if greedy[i].Finished && hs[0].Finished && hs[0].Score < greedy[i].Score-1e-4 {
			t.Errorf("source %d: beam best %.4f worse than greedy %.4f", i, hs[0].Score, greedy[i].Score)
		}
	}
}

// TestConcurrentDecoding decodes from several goroutines over one model's
// shared weights; run with -race. Results must equal serial decoding.
func TestConcurrentDecoding(t *testing.T) {
	m := randomModel(t, "location")
	srcs := randomSources(8, 5)
	want, err := m.Beam(context.Background(), srcs, seq2seq.BeamConfig{Width: 2, MaxLen: 15})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 3; rep++ {
				got, err := m.Beam(context.Background(), srcs, seq2seq.BeamConfig{Width: 2, MaxLen: 15})
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if !slices.Equal(got[i][0].Tokens, want[i][0].Tokens) {
						errs <- fmt.Errorf("source %d: concurrent %v != serial %v", i, got[i][0].Tokens, want[i][0].Tokens)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDecodeErrors(t *testing.T) {
	m := randomModel(t, "additive")
	ctx := context.Background()
	if _, err := m.Greedy(ctx, []seq2seq.Source{{Tokens: nil}}, seq2seq.GreedyConfig{MaxLen: 5}); err == nil {
		t.Error("empty source: want error")
	}
	if _, err := m.Greedy(ctx, []seq2seq.Source{{Tokens: []int{99}}}, seq2seq.GreedyConfig{MaxLen: 5}); err == nil {
		t.Error("token outside vocabulary: want error")
	}
	if _, err := m.Beam(ctx, []seq2seq.Source{{Tokens: []int{3}}}, seq2seq.BeamConfig{Width: 2, NBest: 3}); err == nil {
		t.Error("n-best > width: want error")
	}
	if _, err := m.Beam(ctx, []seq2seq.Source{{Tokens: []int{3}}}, seq2seq.BeamConfig{MinLen: 6, MaxLen: 5}); err == nil {
		t.Error("MinLen > MaxLen: want error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Greedy(cctx, []seq2seq.Source{{Tokens: []int{3}}}, seq2seq.GreedyConfig{MaxLen: 5}); err == nil {
		t.Error("cancelled context: want error")
	}
}

// TestAttentionRowsDiffer guards against decode results aliasing buffers
// that later steps overwrite: the attention rows of a hypothesis must be
// those of their own step (they differ between steps).
func TestAttentionRowsDiffer(t *testing.T) {
	m := randomModel(t, "additive")
	srcs := randomSources(4, 9)
	for _, beam := range []int{1, 3} {
		res, err := m.Beam(context.Background(), srcs, seq2seq.BeamConfig{Width: beam, MaxLen: 12})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			att := r[0].Attention
			if len(att) < 2 || len(srcs[i].Tokens) < 2 {
				continue
			}
			same := true
			for s := range att[0] {
				if att[0][s] != att[len(att)-1][s] {
					same = false
				}
			}
			if same {
				t.Errorf("beam %d source %d: first and last attention rows are identical: aliasing?", beam, i)
			}
		}
	}
}

// TestMinLen: no output ends before MinLen tokens, greedy or beam.
func TestMinLen(t *testing.T) {
	m := randomModel(t, "additive")
	srcs := randomSources(8, 12)
	g, err := m.Greedy(context.Background(), srcs, seq2seq.GreedyConfig{MinLen: 7, MaxLen: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Beam(context.Background(), srcs, seq2seq.BeamConfig{Width: 3, MinLen: 7, MaxLen: 9})
	if err != nil {
		t.Fatal(err)
	}
	for i := range srcs {
		if len(g[i].Tokens) < 7 || len(b[i][0].Tokens) < 7 {
			t.Errorf("source %d: greedy %d tokens, beam %d tokens: want >= 7", i, len(g[i].Tokens), len(b[i][0].Tokens))
		}
	}
}

// TestSourceBOS: a per-source decoder start token equal to Config.BOS
// decodes exactly as the default, and one outside the vocabulary is an
// error, not a panic.
func TestSourceBOS(t *testing.T) {
	m, err := seq2seq.New(tinyConfig("general"), nnlib.Float32, 5)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src := []int{3, 4, 5, 6}
	a, err := m.Beam(ctx, []seq2seq.Source{{Tokens: src}}, seq2seq.BeamConfig{Width: 2, MaxLen: 6})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Beam(ctx, []seq2seq.Source{{Tokens: src, BOS: m.Cfg.BOS}}, seq2seq.BeamConfig{Width: 2, MaxLen: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a[0][0].Tokens, b[0][0].Tokens) || a[0][0].Score != b[0][0].Score {
		t.Errorf("explicit BOS decodes %v (%v), default %v (%v)", b[0][0].Tokens, b[0][0].Score, a[0][0].Tokens, a[0][0].Score)
	}
	c, err := m.Beam(ctx, []seq2seq.Source{{Tokens: src, BOS: 7}}, seq2seq.BeamConfig{Width: 1, MaxLen: 6})
	if err != nil {
		t.Fatal(err)
	}
	if c[0][0].Score == a[0][0].Score {
		t.Error("another start token gave the same score")
	}
	for _, bos := range []int{-1, m.Cfg.TgtVocab} {
		if _, err := m.Greedy(ctx, []seq2seq.Source{{Tokens: src, BOS: bos}}, seq2seq.GreedyConfig{MaxLen: 4}); err == nil {
			t.Errorf("BOS %d: no error", bos)
		}
	}
}
