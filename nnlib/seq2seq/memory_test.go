package seq2seq_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// rssKB reads the resident set size from /proc/self/status (Linux).
func rssKB(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no VmRSS line")
	return 0
}

// TestMemoryFlat: with graphs cached per shape bucket, memory does not
// grow with the number of steps: RSS after 2,000 steps is within 10% of
// RSS after 200 (gorgonia leaks when graphs are rebuilt per batch).
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 training steps")
	}
	cfg := tinyConfig("additive")
	cfg.Emb, cfg.Hidden, cfg.AttDim = 16, 32, 32
	m, err := seq2seq.New(cfg, nnlib.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	tr, err := nnlib.NewTrainer(m.Params, opt, m.Trainer(), nnlib.TrainerConfig{MaxGraphs: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	var at200 int
	for step := 1; step <= 2000; step++ {
		exs := make([]seq2seq.Example, 8)
		n := 3 + 4*rng.IntN(3) // three length buckets, so graphs are reused
		for i := range exs {
			s := randomDigits(rng, n, n)
			exs[i] = seq2seq.Example{Src: s, Tgt: reversed(s)}
		}
		if _, err := tr.Step(context.Background(), seq2seq.Batch{Examples: exs, Width: 4}); err != nil {
			t.Fatal(err)
		}
		if step == 200 || step == 2000 {
			debug.FreeOSMemory()
			rss := rssKB(t)
			if step == 200 {
				at200 = rss
				continue
			}
			t.Logf("RSS after 200 steps %d kB, after 2000 %d kB (%d graphs)", at200, rss, tr.Graphs())
			if float64(rss) > 1.1*float64(at200) {
				t.Errorf("RSS grew from %d kB to %d kB (> 10%%)", at200, rss)
			}
		}
	}
}
