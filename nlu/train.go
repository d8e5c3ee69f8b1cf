package nlu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
)

// TrainConfig configures Train.
type TrainConfig struct {
	Model Config
	// Epochs bounds the passes over the training data.
	Epochs int
	// BatchSize is the number of sentences per step.
	BatchSize int
	// LR is Adam's learning rate; it decays by LRDecay after every epoch
	// (1 keeps it constant). ClipNorm clips the global gradient norm.
	LR       float64
	LRDecay  float64
	ClipNorm float64
	// Patience stops training after this many epochs without a better
	// dev score (0: never stop early). The dev score is the sentence
	// accuracy (intent and every tag right), ties broken by intent
	// accuracy + slot F1; the weights of the best epoch are kept.
	Patience int
	// MinCount is the least number of times a word must occur in the
	// training data to get its own embedding (rarer words are <unk>, and
	// are represented by their characters).
	MinCount int
	// WordDropout replaces training words by <unk> with this probability,
	// so the model learns to rely on characters for unknown words.
	WordDropout float64
	// SlotSwap replaces each slot value of a training sentence, with this
	// probability (drawn anew every epoch), by another value of the same
	// slot type from the training data, so the model learns slots from
	// their context more than from the values it has seen.
	SlotSwap float64
	// Seed seeds initialisation, shuffling and dropout.
	Seed uint64
	// MaxTime bounds the training time (0: none); training stops after
	// the epoch that passes it.
	MaxTime time.Duration
}

// DefaultTrainConfig returns the settings used for SNIPS and ATIS.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Model: DefaultConfig(), Epochs: 20, BatchSize: 32, LR: 2e-3, LRDecay: 0.9, ClipNorm: 5,
		Patience: 4, MinCount: 1, WordDropout: 0.05, Seed: 1}
}

// Validate checks the configuration.
func (c TrainConfig) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return err
	}
	switch {
	case c.Epochs <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("nlu: Epochs %d and BatchSize %d must be positive", c.Epochs, c.BatchSize)
	case !(c.LR > 0) || !(c.LRDecay > 0 && c.LRDecay <= 1) || c.ClipNorm < 0:
		return fmt.Errorf("nlu: LR %v must be positive, LRDecay %v in (0,1], ClipNorm %v >= 0", c.LR, c.LRDecay, c.ClipNorm)
	case c.Patience < 0 || c.MinCount < 0:
		return fmt.Errorf("nlu: Patience %d and MinCount %d must not be negative", c.Patience, c.MinCount)
	case !(c.WordDropout >= 0 && c.WordDropout < 1):
		return fmt.Errorf("nlu: WordDropout %v outside [0,1)", c.WordDropout)
	case !(c.SlotSwap >= 0 && c.SlotSwap <= 1):
		return fmt.Errorf("nlu: SlotSwap %v outside [0,1]", c.SlotSwap)
	}
	return nil
}

// Progress reports one finished epoch (or, with Final, the end of
// training). Dev figures are zero without dev data.
type Progress struct {
	Epoch   int
	Steps   int
	Loss    float64 // mean training loss of the epoch
	Dev     Report
	Best    bool // this epoch's dev score is the best so far
	Elapsed time.Duration
	// Final is set on the last call, after the best weights are restored
	// and the temperature is fitted: Dev is then the final model's report,
	// ECEBefore is the dev ECE at T = 1 and Temperature the fitted T.
	Final       bool
	ECEBefore   float64
	Temperature float64
}

// trainItem is one encoded training example.
type trainItem struct {
	ex     Example // the source, for slot substitution
	enc    encodedTokens
	intent int
	tags   []int
}

func (m *Model) trainItem(e Example) trainItem {
	it := trainItem{ex: e, enc: m.encodeTokens(e.Tokens), intent: m.Vocab.intentID[e.Intent], tags: make([]int, len(e.Tags))}
	for i, t := range e.Tags {
		it.tags[i] = m.Vocab.tagID[t]
	}
	return it
}

type trainBatch struct {
	items   []trainItem
	B, S, L int
}

type builder struct{ m *Model }

func (b builder) Key(t trainBatch) string { return fmt.Sprintf("B%d.S%d.L%d", t.B, t.S, t.L) }

func (b builder) Build(g *nnlib.Graph, t trainBatch) (nnlib.Feed[trainBatch], error) {
	m := b.m
	n := m.forward(g, t.B, t.S, t.L)
	intentT := g.Input("intent_targets", t.B)
	ls := m.Cfg.LabelSmoothing
	var slotT, slotLoss *nnlib.Node
	if m.crf != nil {
		slotT = g.Input("slot_targets", t.S, t.B)
		slotLoss = m.crf.Loss(g, g.Reshape(n.slotLogits, t.S, t.B, len(m.Vocab.Tags)), slotT, n.lens)
	} else {
		slotT = g.Input("slot_targets", t.S*t.B)
		slotLoss = g.CrossEntropy(n.slotLogits, slotT, ls)
	}
	g.SetLoss(g.Add(g.CrossEntropy(n.intentLogits, intentT, ls), slotLoss))
	if err := g.Err(); err != nil {
		return nil, err
	}
	return func(mc *nnlib.Machine, t trainBatch) error {
		es := make([]encodedTokens, len(t.items))
		it := make([]float32, t.B)
		st := make([]float32, t.S*t.B)
		for i := range it {
			it[i] = -1
		}
		for i := range st {
			st[i] = -1
		}
		for bi, x := range t.items {
			es[bi] = x.enc
			it[bi] = float32(x.intent)
			for ti, tag := range x.tags {
				st[ti*t.B+bi] = float32(tag)
			}
		}
		if err := m.feed(mc, n, m.encodeInputs(es, t.B, t.S, t.L)); err != nil {
			return err
		}
		if err := mc.Let(intentT, it); err != nil {
			return err
		}
		return mc.Let(slotT, st)
	}, nil
}

// Train builds the vocabulary from train, trains a model and returns the
// one with the best dev score (see TrainConfig.Patience), its intent
// temperature fitted on dev. progress (may be nil) is called after every
// epoch and once at the end.
func Train(ctx context.Context, train, dev []Example, cfg TrainConfig, progress func(Progress)) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	vocab, err := BuildVocab(train, max(cfg.MinCount, 1))
	if err != nil {
		return nil, err
	}
	m, err := New(cfg.Model, vocab, nnlib.Float32, cfg.Seed)
	if err != nil {
		return nil, err
	}
	items := make([]trainItem, 0, len(train))
	lengths := make([]int, 0, len(train))
	for _, e := range train {
		if len(e.Tokens) == 0 {
			continue
		}
		items = append(items, m.trainItem(e))
		lengths = append(lengths, len(e.Tokens))
	}
	if len(items) == 0 {
		return nil, errors.New("nlu: no non-empty training examples")
	}
	var devEx []Example
	for i, e := range dev {
		if err := checkExample(e); err != nil {
			return nil, fmt.Errorf("nlu: dev example %d: %w", i, err)
		}
		if len(e.Tokens) > 0 {
			devEx = append(devEx, e)
		}
	}
	sched := &epochSchedule{lr: cfg.LR}
	opt, err := optim.NewAdam(optim.AdamConfig{LR: cfg.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipNorm: cfg.ClipNorm}, sched)
	if err != nil {
		return nil, err
	}
	tr, err := nnlib.NewTrainer(m.Params, opt, nnlib.Builder[trainBatch](builder{m}), nnlib.TrainerConfig{MaxGraphs: 48, Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	var values slotValues
	if cfg.SlotSwap > 0 {
		values = collectSlotValues(train)
	}
	var best []float32
	bestScore := math.Inf(-1)
	bad := 0
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		batches, err := nnlib.Buckets(lengths, nnlib.BucketConfig{BatchSize: cfg.BatchSize, Shuffle: true}, rng)
		if err != nil {
			return nil, err
		}
		var sum float64
		for _, idx := range batches {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b := trainBatch{items: make([]trainItem, len(idx)), B: cfg.BatchSize}
			es := make([]encodedTokens, len(idx))
			for i, k := range idx {
				it := items[k]
				if values != nil {
					if e, changed := values.substitute(it.ex, cfg.SlotSwap, rng); changed {
						it = m.trainItem(e)
					}
				}
				if cfg.WordDropout > 0 {
					w := append([]int(nil), it.enc.words...)
					for j := range w {
						if rng.Float64() < cfg.WordDropout {
							w[j] = unkID
						}
					}
					it.enc.words = w
				}
				b.items[i] = it
				es[i] = it.enc
			}
			b.S, b.L = padDims(es)
			loss, err := tr.Step(ctx, b)
			if err != nil {
				return nil, fmt.Errorf("nlu: epoch %d: %w", epoch, err)
			}
			sum += loss
		}
		sched.lr *= cfg.LRDecay
		p := Progress{Epoch: epoch, Steps: tr.Steps(), Loss: sum / float64(len(batches))}
		score := float64(epoch) // without dev data the last epoch is best
		if len(devEx) > 0 {
			if p.Dev, err = EvaluateContext(ctx, m, devEx); err != nil {
				return nil, err
			}
			score = p.Dev.SentenceAccuracy + 1e-3*(p.Dev.IntentAccuracy+p.Dev.Slot.F1)
		}
		if score > bestScore {
			bestScore, bad, p.Best = score, 0, true
			best = snapshot(m.Params, best)
		} else {
			bad++
		}
		p.Elapsed = time.Since(start)
		if progress != nil {
			progress(p)
		}
		if cfg.Patience > 0 && bad >= cfg.Patience {
			break
		}
		if cfg.MaxTime > 0 && time.Since(start) > cfg.MaxTime {
			break
		}
	}
	restore(m.Params, best)
	final := Progress{Final: true, Steps: tr.Steps(), Temperature: 1}
	if len(devEx) > 0 {
		toks := make([][]string, len(devEx))
		for i, e := range devEx {
			toks[i] = e.Tokens
		}
		preds, err := m.predict(ctx, toks)
		if err != nil {
			return nil, err
		}
		final.ECEBefore = m.report(devEx, preds).ECE
		var logits [][]float64
		var gold []int
		for i, e := range devEx {
			if id, ok := vocab.intentID[e.Intent]; ok {
				logits = append(logits, preds[i].rawLogits)
				gold = append(gold, id)
			}
		}
		m.Temperature = fitTemperature(logits, gold)
		final.Temperature = m.Temperature
		for i := range preds {
			preds[i].intentProbs = softmaxT(preds[i].rawLogits, m.Temperature)
		}
		final.Dev = m.report(devEx, preds)
	}
	final.Elapsed = time.Since(start)
	if progress != nil {
		progress(final)
	}
	return m, nil
}

// epochSchedule is a learning rate Train lowers after every epoch.
type epochSchedule struct{ lr float64 }

func (s *epochSchedule) LR(int) float64 { return s.lr }

func snapshot(ps *nnlib.ParamSet, dst []float32) []float32 {
	dst = dst[:0]
	for _, p := range ps.Params() {
		dst = append(dst, p.F32()...)
	}
	return dst
}

func restore(ps *nnlib.ParamSet, src []float32) {
	if src == nil {
		return
	}
	off := 0
	for _, p := range ps.Params() {
		off += copy(p.F32(), src[off:])
	}
}
