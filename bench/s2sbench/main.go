// Command s2sbench times nnlib on the configuration of the PyTorch
// reference ../shared/peers/torch_seq2seq_bench.py: embedding 256, 2-layer
// BiLSTM encoder 256 per direction, additive-attention LSTM decoder 256,
// vocab 1000/1000, batch 32, source length U[25,50], target U[10,20],
// masked cross-entropy, Adam 1e-3. It prints one JSON line with the median
// ms per training step and per greedy decode of a batch (20 steps).
//
// Build with -tags openblas for the fast CPU build; bench/nnlib_vs_torch.sh
// runs it beside the PyTorch reference.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s2sbench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		batch   = flag.Int("batch", 32, "batch size")
		srcLen  = flag.Int("src-len", 50, "maximum source length")
		tgtLen  = flag.Int("tgt-len", 20, "maximum target length")
		vocab   = flag.Int("vocab", 1000, "source and target vocabulary")
		dim     = flag.Int("hidden", 256, "embedding, hidden and attention size")
		layers  = flag.Int("enc-layers", 2, "encoder layers")
		steps   = flag.Int("steps", 20, "timed training steps")
		warmup  = flag.Int("warmup", 3, "untimed warm-up steps")
		decodes = flag.Int("decode-reps", 10, "timed decodes")
		prof    = flag.String("cpuprofile", "", "write a CPU profile of the timed part to this file")
	)
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg := seq2seq.Config{SrcVocab: *vocab, TgtVocab: *vocab, Emb: *dim, Hidden: *dim, EncLayers: *layers,
		Attention: "additive", AttDim: *dim, Pad: 0, BOS: 1, EOS: 2}
	m, err := seq2seq.New(cfg, nnlib.Float32, 0)
	if err != nil {
		return err
	}
	opt, err := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	if err != nil {
		return err
	}
	tr, err := nnlib.NewTrainer(m.Params, opt, m.Trainer(), nnlib.TrainerConfig{})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(0, 0))
	randomBatch := func() seq2seq.Batch {
		exs := make([]seq2seq.Example, *batch)
		for i := range exs {
			sl := *srcLen/2 + rng.IntN(*srcLen-*srcLen/2+1)
			if i == 0 {
				sl = *srcLen // padded width is always srcLen, as in the reference
			}
			tl := *tgtLen/2 + rng.IntN(*tgtLen-*tgtLen/2+1)
			exs[i].Src = make([]int, sl)
			for j := range exs[i].Src {
				exs[i].Src[j] = 2 + rng.IntN(*vocab-2)
			}
			// The reference's targets hold tgt_len tokens including EOS.
			exs[i].Tgt = make([]int, tl-1)
			for j := range exs[i].Tgt {
				exs[i].Tgt[j] = 3 + rng.IntN(*vocab-3)
			}
		}
		return seq2seq.Batch{Examples: exs, Width: 4}
	}
	ctx := context.Background()
	wall0, busy0, own0 := time.Now(), busyTicks(), ownCPU()
	var trainMS []float64
	var firstLoss, lastLoss float64
	for i := 0; i < *warmup+*steps; i++ {
		b := randomBatch()
		t0 := time.Now()
		loss, err := tr.Step(ctx, b)
		if err != nil {
			return err
		}
		if i >= *warmup {
			trainMS = append(trainMS, ms(time.Since(t0)))
		}
		if i == 0 {
			firstLoss = loss
		}
		lastLoss = loss
	}
	srcs := make([]seq2seq.Source, *batch)
	for i, e := range randomBatch().Examples {
		srcs[i] = seq2seq.Source{Tokens: e.Src}
	}
	var decodeMS []float64
	for i := 0; i < 3+*decodes; i++ {
		t0 := time.Now()
		if _, err := m.Greedy(ctx, srcs, seq2seq.GreedyConfig{MaxLen: *tgtLen - 1, MinLen: *tgtLen - 1}); err != nil {
			return err
		}
		if i >= 3 {
			decodeMS = append(decodeMS, ms(time.Since(t0)))
		}
	}
	foreign := -1.0
	if busy0 >= 0 {
		busy := float64(busyTicks()-busy0) / 100 // USER_HZ
		foreign = math.Max(0, busy-(ownCPU()-own0).Seconds()) / (time.Since(wall0).Seconds() * float64(runtime.NumCPU())) * 100
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"bench": "nnlib_seq2seq", "backend": nnlib.Backend(), "params": m.Params.Count(),
		"train_step_ms_median": median(trainMS), "train_step_ms": trainMS, "train_step_ms_min": slices.Min(trainMS),
		"greedy_decode_batch_ms_median": median(decodeMS),
		"foreign_cpu_pct":               math.Round(foreign*10) / 10, "loss_first": firstLoss, "loss_last": lastLoss, "heap_sys_mb": mem.HeapSys >> 20,
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// busyTicks is the machine's busy CPU time in clock ticks (/proc/stat),
// or -1 where it cannot be read.
func busyTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	var sum int64
	for i, x := range f[1:] {
		v, _ := strconv.ParseInt(x, 10, 64)
		if i != 3 && i != 4 { // idle, iowait
			sum += v
		}
	}
	return sum
}

// ownCPU is this process's user+system CPU time.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
