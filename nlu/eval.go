package nlu

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Span is a labelled chunk of a tag sequence: tokens [Start, End).
type Span struct {
	Type       string
	Start, End int
}

// splitTag returns a tag's prefix ('B', 'I' or 'O') and type. A tag
// without a B-/I- prefix (other than "O") is read as B-tag.
func splitTag(tag string) (byte, string) {
	if tag == "O" || tag == "" {
		return 'O', ""
	}
	if len(tag) > 2 && tag[1] == '-' && (tag[0] == 'B' || tag[0] == 'I') {
		return tag[0], tag[2:]
	}
	return 'B', tag
}

// Spans returns the chunks of a BIO tag sequence with conlleval's rules:
// a chunk starts at B-x, or at I-x whose previous tag is O or of another
// type (an I- without B- starts a chunk, as in conlleval); it ends where
// the next tag is O, B-, or of another type.
func Spans(tags []string) []Span {
	var out []Span
	cur := -1 // index in out of the open chunk
	prevType := ""
	for i, tag := range tags {
		p, typ := splitTag(tag)
		switch {
		case p == 'O':
			cur = -1
		case p == 'B' || cur < 0 || typ != prevType:
			out = append(out, Span{Type: typ, Start: i, End: i + 1})
			cur = len(out) - 1
		default: // I- continuing the open chunk of the same type
			out[cur].End = i + 1
		}
		prevType = typ
	}
	return out
}

// PRF is precision, recall and F1 (in [0,1]) with their counts.
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Gold is the number of gold items, Predicted of predicted ones and
	// Correct of those that match.
	Gold      int `json:"gold"`
	Predicted int `json:"predicted"`
	Correct   int `json:"correct"`
}

func (p *PRF) finish() {
	if p.Predicted > 0 {
		p.Precision = float64(p.Correct) / float64(p.Predicted)
	}
	if p.Gold > 0 {
		p.Recall = float64(p.Correct) / float64(p.Gold)
	}
	if p.Precision+p.Recall > 0 {
		p.F1 = 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
	}
}

// SlotScores computes conlleval chunk scores of predicted tag sequences
// against gold ones: overall, and per slot type. A predicted chunk is
// correct only if a gold chunk has the same type, start and end.
func SlotScores(gold, pred [][]string) (PRF, map[string]*PRF) {
	var all PRF
	per := map[string]*PRF{}
	get := func(t string) *PRF {
		if per[t] == nil {
			per[t] = &PRF{}
		}
		return per[t]
	}
	for i := range gold {
		g := Spans(gold[i])
		var p []Span
		if i < len(pred) {
			p = Spans(pred[i])
		}
		gs := map[Span]bool{}
		for _, s := range g {
			gs[s] = true
			all.Gold++
			get(s.Type).Gold++
		}
		for _, s := range p {
			all.Predicted++
			get(s.Type).Predicted++
			if gs[s] {
				all.Correct++
				get(s.Type).Correct++
			}
		}
	}
	all.finish()
	for _, p := range per {
		p.finish()
	}
	return all, per
}

// Mistake is an evaluation example the model got wrong.
type Mistake struct {
	Tokens     []string `json:"tokens"`
	Intent     string   `json:"intent"`
	PredIntent string   `json:"pred_intent"`
	Confidence float64  `json:"confidence"`
	Tags       []string `json:"tags"`
	PredTags   []string `json:"pred_tags"`
}

// Report is the result of Evaluate. Rates are in [0,1].
type Report struct {
	N                int     `json:"n"`
	IntentAccuracy   float64 `json:"intent_accuracy"`
	Slot             PRF     `json:"slot"`
	SentenceAccuracy float64 `json:"sentence_accuracy"`
	// Intents and Slots are per-intent and per-slot-type scores.
	Intents map[string]*PRF `json:"intents"`
	Slots   map[string]*PRF `json:"slots"`
	// Confusion[gold][predicted] counts intents.
	Confusion map[string]map[string]int `json:"confusion"`
	// ECE is the expected calibration error of the intent confidences
	// (15 equal-width bins); NLL the mean negative log-likelihood of the
	// gold intents (examples whose intent the model does not know count
	// with probability 1e-12).
	ECE float64 `json:"ece"`
	NLL float64 `json:"nll"`
	// Mistakes lists the examples with a wrong intent or any wrong tag.
	Mistakes []Mistake `json:"mistakes"`
}

// Evaluate parses data with m and scores it. Examples with no tokens
// are skipped (and not counted).
func Evaluate(m *Model, data []Example) (Report, error) {
	return EvaluateContext(context.Background(), m, data)
}

// EvaluateContext is Evaluate with a context.
func EvaluateContext(ctx context.Context, m *Model, data []Example) (Report, error) {
	var exs []Example
	var toks [][]string
	for _, e := range data {
		if len(e.Tokens) == 0 {
			continue
		}
		exs = append(exs, e)
		toks = append(toks, e.Tokens)
	}
	preds, err := m.predict(ctx, toks)
	if err != nil {
		return Report{}, err
	}
	return m.report(exs, preds), nil
}

func (m *Model) report(exs []Example, preds []prediction) Report {
	r := Report{N: len(exs), Intents: map[string]*PRF{}, Confusion: map[string]map[string]int{}}
	intent := func(s string) *PRF {
		if r.Intents[s] == nil {
			r.Intents[s] = &PRF{}
		}
		return r.Intents[s]
	}
	gold := make([][]string, len(exs))
	pred := make([][]string, len(exs))
	var intentOK, sentOK int
	confs := make([]float64, len(exs))
	hits := make([]bool, len(exs))
	for i, e := range exs {
		p := preds[i]
		best := argmax(p.intentProbs)
		pi := m.Vocab.Intents[best]
		confs[i] = p.intentProbs[best]
		hits[i] = pi == e.Intent
		if id, ok := m.Vocab.intentID[e.Intent]; ok {
			r.NLL -= math.Log(math.Max(p.intentProbs[id], 1e-12))
		} else {
			r.NLL -= math.Log(1e-12)
		}
		intent(e.Intent).Gold++
		intent(pi).Predicted++
		if r.Confusion[e.Intent] == nil {
			r.Confusion[e.Intent] = map[string]int{}
		}
		r.Confusion[e.Intent][pi]++
		gold[i] = e.Tags
		pred[i] = make([]string, len(p.tags))
		tagsOK := len(e.Tags) == len(p.tags)
		for t, id := range p.tags {
			pred[i][t] = m.Vocab.Tags[id]
			if tagsOK && pred[i][t] != e.Tags[t] {
				tagsOK = false
			}
		}
		if hits[i] {
			intentOK++
			intent(pi).Correct++
		}
		if hits[i] && tagsOK {
			sentOK++
		} else {
			r.Mistakes = append(r.Mistakes, Mistake{Tokens: e.Tokens, Intent: e.Intent, PredIntent: pi,
				Confidence: confs[i], Tags: e.Tags, PredTags: pred[i]})
		}
	}
	for _, p := range r.Intents {
		p.finish()
	}
	r.Slot, r.Slots = SlotScores(gold, pred)
	if n := float64(len(exs)); n > 0 {
		r.IntentAccuracy = float64(intentOK) / n
		r.SentenceAccuracy = float64(sentOK) / n
		r.NLL /= n
	}
	r.ECE = ECE(confs, hits, 15)
	return r
}

func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// ECE is the expected calibration error of confidences against hits with
// equal-width bins: Σ_bins (n_bin/N)·|accuracy_bin − mean confidence_bin|.
func ECE(conf []float64, hit []bool, bins int) float64 {
	if len(conf) == 0 || bins <= 0 {
		return 0
	}
	n := make([]int, bins)
	sc := make([]float64, bins)
	sa := make([]float64, bins)
	for i, c := range conf {
		b := min(int(c*float64(bins)), bins-1)
		b = max(b, 0)
		n[b]++
		sc[b] += c
		if hit[i] {
			sa[b]++
		}
	}
	var e float64
	for b := range bins {
		if n[b] > 0 {
			e += math.Abs(sa[b]-sc[b]) / float64(len(conf))
		}
	}
	return e
}

// fitTemperature returns the T > 0 minimising the mean NLL of the gold
// intents under softmax(logits/T), by golden-section search over log T
// in [log 0.05, log 20].
func fitTemperature(logits [][]float64, gold []int) float64 {
	if len(logits) == 0 {
		return 1
	}
	nll := func(logT float64) float64 {
		T := math.Exp(logT)
		var s float64
		for i, l := range logits {
			p := softmaxT(l, T)
			s -= math.Log(math.Max(p[gold[i]], 1e-300))
		}
		return s / float64(len(logits))
	}
	a, b := math.Log(0.05), math.Log(20.0)
	phi := (math.Sqrt(5) - 1) / 2
	c, d := b-phi*(b-a), a+phi*(b-a)
	fc, fd := nll(c), nll(d)
	for range 60 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - phi*(b-a)
			fc = nll(c)
		} else {
			a, c, fc = c, d, fd
			d = a + phi*(b-a)
			fd = nll(d)
		}
	}
	return math.Exp((a + b) / 2)
}

// String formats the report's main figures.
func (r Report) String() string {
	return fmt.Sprintf("intent %.2f%%  slot F1 %.2f%%  sentence %.2f%%  (n=%d)",
		100*r.IntentAccuracy, 100*r.Slot.F1, 100*r.SentenceAccuracy, r.N)
}

// SortedMistakes returns r.Mistakes ordered by descending confidence (the
// confidently wrong first).
func (r Report) SortedMistakes() []Mistake {
	out := append([]Mistake(nil), r.Mistakes...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Confidence > out[b].Confidence })
	return out
}
