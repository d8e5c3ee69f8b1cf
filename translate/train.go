package translate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
	"github.com/parley-ai/parley/nnlib/optim"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// TrainConfig configures Train.
type TrainConfig struct {
	// Langs are the two languages of the corpus: pairs are Langs[0] →
	// Langs[1]. The model learns both directions unless OneWay is set.
	Langs  [2]string
	OneWay bool
	// Merges is the number of BPE merges (vocabulary size ≈ Merges +
	// alphabet).
	Merges int
	// Model sizes (see seq2seq.Config).
	Emb, Hidden, EncLayers int
	// OutDim is the size of the attentional layer before the output
	// (0: none).
	OutDim         int
	Attention      string
	Dropout        float64
	LabelSmoothing float64
	// BatchSize is the number of sentence pairs per step.
	BatchSize int
	// LR is Adam's peak learning rate, reached after Warmup steps and
	// decayed with a cosine to LR/20 over Epochs.
	LR     float64
	Warmup int
	Epochs int
	// MaxTime stops training (after saving) when exceeded; 0: no limit.
	MaxTime time.Duration
	// MaxPieces skips training pairs longer than this (either side).
	MaxPieces int
	// DevSentences is how many dev pairs (spread over the dev set) are
	// translated greedily for the dev BLEU at each evaluation.
	DevSentences int
	// EvalEvery evaluates (and saves) every this many steps; 0: per epoch.
	EvalEvery int
	// Out is where the best model (by dev BLEU) is saved; the latest
	// training state goes to Out+".last" (and its optimiser state beside
	// it), from which Resume continues.
	Out    string
	Resume bool
	Seed   uint64
	// Tag places the target-language tag: "decoder" (the decoder's first
	// input; the default) or "source" (the first source token; the
	// attention of the first en-es model collapsed onto that token).
	Tag string
	// MaxGraphs bounds the compiled training graphs kept (one per batch
	// shape; each holds its activations, up to hundreds of MB for long
	// sentences). Default 12.
	MaxGraphs int
}

// DefaultTrainConfig is the configuration the embedded model was trained with.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Langs: [2]string{"en", "es"}, Merges: 5000, Emb: 256, Hidden: 256, EncLayers: 1,
		Attention: "general", Dropout: 0.15, LabelSmoothing: 0.1, BatchSize: 64, LR: 2e-3, Warmup: 500,
		OutDim: 256, Tag: "decoder", Epochs: 4, MaxPieces: 60, DevSentences: 400, Seed: 1}
}

func (c TrainConfig) validate() error {
	switch {
	case c.Langs[0] == "" || c.Langs[1] == "" || c.Langs[0] == c.Langs[1]:
		return fmt.Errorf("translate: two different languages needed, have %q", c.Langs)
	case c.Merges <= 0 || c.BatchSize <= 0 || c.Epochs <= 0 || c.MaxPieces <= 0:
		return errors.New("translate: Merges, BatchSize, Epochs and MaxPieces must be positive")
	case c.LR <= 0 || c.Warmup < 0:
		return errors.New("translate: LR must be positive and Warmup not negative")
	case c.Tag != "decoder" && c.Tag != "source":
		return fmt.Errorf("translate: Tag %q: want decoder or source", c.Tag)
	case c.Out == "":
		return errors.New("translate: no output path")
	}
	return nil
}

// Progress is one report of Train.
type Progress struct {
	Epoch, Step, Steps int
	Loss               float64 // mean training loss since the last report
	LR                 float64
	DevBLEU            float64 // set at evaluations (else -1)
	Best               bool    // this evaluation is the best so far (saved)
	Elapsed            time.Duration
}

// Train learns a vocabulary and a model from parallel text (train) and
// keeps the version with the best dev BLEU at cfg.Out.
func Train(ctx context.Context, train, dev []Pair, cfg TrainConfig, report func(Progress)) (*Translator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if report == nil {
		report = func(Progress) {}
	}
	start := time.Now()
	langs := cfg.Langs[:]
	var t *Translator
	last := cfg.Out + ".last"
	if cfg.Resume {
		var err error
		if t, err = LoadFile(last); err != nil {
			return nil, fmt.Errorf("translate: resume: %w", err)
		}
	} else {
		var lines []string
		for _, p := range train {
			lines = append(lines, p.Src, p.Tgt)
		}
		tags := []string{tagOf(langs[0]), tagOf(langs[1])}
		v, err := Learn(lines, LearnConfig{Merges: cfg.Merges, Tags: tags})
		if err != nil {
			return nil, err
		}
		mc := seq2seq.Config{SrcVocab: v.Size(), TgtVocab: v.Size(), Emb: cfg.Emb, Hidden: cfg.Hidden,
			EncLayers: cfg.EncLayers, OutDim: cfg.OutDim, Attention: cfg.Attention, Dropout: cfg.Dropout,
			LabelSmoothing: cfg.LabelSmoothing, Pad: PadID, BOS: BOSID, EOS: EOSID}
		m, err := seq2seq.New(mc, nnlib.Float32, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("translate: %w", err)
		}
		if t, err = newTranslator(m, v, langs); err != nil {
			return nil, err
		}
		t.oneWay = cfg.OneWay
		t.tagDecoder = cfg.Tag == "decoder"
	}
	var exs []seq2seq.Example
	for _, p := range train {
		e := t.example(p.Src, p.Tgt, langs[1])
		if len(e.Src) <= cfg.MaxPieces+1 && len(e.Tgt) <= cfg.MaxPieces {
			exs = append(exs, e)
		}
		if !cfg.OneWay {
			e = t.example(p.Tgt, p.Src, langs[0])
			if len(e.Src) <= cfg.MaxPieces+1 && len(e.Tgt) <= cfg.MaxPieces {
				exs = append(exs, e)
			}
		}
	}
	if len(exs) == 0 {
		return nil, errors.New("translate: no training pairs")
	}
	lengths := make([]int, len(exs))
	for i, e := range exs {
		lengths[i] = max(len(e.Src), len(e.Tgt)+1)
	}
	stepsPerEpoch := (len(exs) + cfg.BatchSize - 1) / cfg.BatchSize
	total := stepsPerEpoch * cfg.Epochs
	sched := optim.WarmupCosine{Peak: cfg.LR, Min: cfg.LR / 20, Warmup: min(cfg.Warmup, total/2), Total: total}
	acfg := optim.DefaultAdamConfig()
	acfg.ClipNorm = 5
	opt, err := optim.NewAdam(acfg, sched)
	if err != nil {
		return nil, err
	}
	step0 := 0
	if cfg.Resume {
		st, err := checkpoint.LoadStateFile(checkpoint.StatePath(last))
		if err != nil {
			return nil, fmt.Errorf("translate: resume: %w", err)
		}
		if err := opt.SetState(st); err != nil {
			return nil, fmt.Errorf("translate: resume: %w", err)
		}
		step0 = st.Step
	}
	tr, err := nnlib.NewTrainer(t.model.Params, opt, t.model.Trainer(), nnlib.TrainerConfig{Seed: cfg.Seed + uint64(step0), MaxGraphs: cmp.Or(cfg.MaxGraphs, 12)})
	if err != nil {
		return nil, err
	}
	defer tr.Close()

	devSrc, devRef := devSample(dev, cfg.DevSentences)
	bestBLEU := -1.0
	if cfg.Resume { // the best model so far stays unless beaten
		if best, err := LoadFile(cfg.Out); err == nil {
			fmt.Sscan(best.Provenance()["dev_bleu_greedy"], &bestBLEU)
		}
	}
	evaluate := func(p Progress) error {
		res, err := t.Translate(ctx, devSrc, Options{From: langs[0], To: langs[1], Beam: 1})
		if err != nil {
			return err
		}
		hyps := make([]string, len(res))
		for i, r := range res {
			hyps[i] = r.Text()
		}
		b, err := CorpusBLEU(hyps, [][]string{devRef}, BLEUOptions{})
		if err != nil {
			return err
		}
		p.DevBLEU = b.Score
		prov := map[string]string{"date": time.Now().UTC().Format(time.RFC3339), "steps": fmt.Sprint(p.Step),
			"dev_bleu_greedy": fmt.Sprintf("%.2f", b.Score)}
		if b.Score > bestBLEU {
			bestBLEU, p.Best = b.Score, true
			if err := t.SaveFile(cfg.Out, SaveOptions{Provenance: prov}); err != nil {
				return err
			}
		}
		if err := t.SaveFile(last, SaveOptions{Provenance: prov}); err != nil {
			return err
		}
		if err := checkpoint.SaveStateFile(checkpoint.StatePath(last), opt.State()); err != nil {
			return err
		}
		report(p)
		return nil
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(step0)))
	step := step0
	var lossSum float64
	var lossN int
	for epoch := step0 / stepsPerEpoch; epoch < cfg.Epochs; epoch++ {
		batches, err := nnlib.Buckets(lengths, nnlib.BucketConfig{BatchSize: cfg.BatchSize, Width: 4, Shuffle: true}, rng)
		if err != nil {
			return nil, err
		}
		skip := step - epoch*stepsPerEpoch // resuming mid-epoch
		for bi, idx := range batches {
			if bi < skip {
				continue
			}
			if err := ctx.Err(); err != nil {
				return t, err
			}
			b := seq2seq.Batch{Size: cfg.BatchSize, Width: 4, Examples: make([]seq2seq.Example, len(idx))}
			for k, i := range idx {
				b.Examples[k] = exs[i]
			}
			loss, err := tr.Step(ctx, b)
			if err != nil {
				return nil, fmt.Errorf("translate: step %d: %w", step, err)
			}
			if math.IsNaN(loss) {
				return nil, fmt.Errorf("translate: step %d: loss is NaN", step)
			}
			step++
			lossSum += loss
			lossN++
			timeUp := cfg.MaxTime > 0 && time.Since(start) > cfg.MaxTime
			if step%100 == 0 || timeUp {
				report(Progress{Epoch: epoch, Step: step, Steps: total, Loss: lossSum / float64(lossN), LR: sched.LR(step), DevBLEU: -1, Elapsed: time.Since(start)})
				lossSum, lossN = 0, 0
			}
			if (cfg.EvalEvery > 0 && step%cfg.EvalEvery == 0) || timeUp {
				if err := evaluate(Progress{Epoch: epoch, Step: step, Steps: total, Elapsed: time.Since(start)}); err != nil {
					return nil, err
				}
			}
			if timeUp {
				return LoadFile(cfg.Out)
			}
		}
		if cfg.EvalEvery == 0 || step%cfg.EvalEvery != 0 {
			if err := evaluate(Progress{Epoch: epoch + 1, Step: step, Steps: total, Elapsed: time.Since(start)}); err != nil {
				return nil, err
			}
		}
	}
	return LoadFile(cfg.Out)
}

// devSample picks n pairs spread evenly over dev (which may be sorted by
// length) as sources and single references.
func devSample(dev []Pair, n int) (src, ref []string) {
	if n <= 0 || n > len(dev) {
		n = len(dev)
	}
	for i := range n {
		p := dev[i*len(dev)/n]
		src = append(src, p.Src)
		ref = append(ref, p.Tgt)
	}
	return src, ref
}
