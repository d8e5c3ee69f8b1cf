package translate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// Translator is a trained translation model: a seq2seq model, its subword
// vocabulary and the languages it translates between. One model serves
// every direction between its languages; the source is prefixed with the
// target language's tag. A Translator is safe for concurrent use.
type Translator struct {
	model  *seq2seq.Model
	vocab  *Vocab
	langs  []string
	oneWay bool
	// tagDecoder puts the target-language tag on the decoder side
	// instead of in front of the source.
	tagDecoder bool
	meta       checkpoint.Meta
}

// modelVocab is what a model file stores as its vocabulary.
type modelVocab struct {
	VocabData
	Langs []string `json:"langs"`
	// OneWay models translate Langs[0] → Langs[1] only.
	OneWay bool `json:"one_way,omitempty"`
	// Tag says where the target-language tag goes: "decoder" (the
	// decoder's first input, as in mBART) or "" / "source" (the first
	// source token, as in Google's multilingual NMT).
	Tag string `json:"tag,omitempty"`
}

func tagOf(lang string) string { return "<2" + lang + ">" }

func newTranslator(m *seq2seq.Model, v *Vocab, langs []string) (*Translator, error) {
	if m.Cfg.SrcVocab != v.Size() || m.Cfg.TgtVocab != v.Size() {
		return nil, fmt.Errorf("translate: model vocabulary %d/%d does not match the subword vocabulary of %d", m.Cfg.SrcVocab, m.Cfg.TgtVocab, v.Size())
	}
	if len(langs) < 2 {
		return nil, fmt.Errorf("translate: a model needs at least two languages, has %q", langs)
	}
	for _, l := range langs {
		if _, ok := v.ID(tagOf(l)); !ok {
			return nil, fmt.Errorf("translate: vocabulary lacks the tag of language %q", l)
		}
	}
	return &Translator{model: m, vocab: v, langs: slices.Clone(langs)}, nil
}

// Load reads a translation model file.
func Load(r io.ReadSeeker) (*Translator, error) {
	m, meta, err := seq2seq.Load(r, nnlib.Float32)
	if err != nil {
		return nil, fmt.Errorf("translate: %w", err)
	}
	return fromMeta(m, meta)
}

// LoadFile reads a translation model file from path.
func LoadFile(path string) (*Translator, error) {
	m, meta, err := seq2seq.LoadFile(path, nnlib.Float32)
	if err != nil {
		return nil, fmt.Errorf("translate: %w", err)
	}
	t, err := fromMeta(m, meta)
	if err != nil {
		return nil, fmt.Errorf("translate: %s: %w", path, err)
	}
	return t, nil
}

// LoadBytes reads a translation model from memory (embedded models).
func LoadBytes(b []byte) (*Translator, error) { return Load(bytes.NewReader(b)) }

func fromMeta(m *seq2seq.Model, meta checkpoint.Meta) (*Translator, error) {
	var mv modelVocab
	if err := meta.DecodeVocab(&mv); err != nil {
		return nil, fmt.Errorf("translate: vocabulary: %w", err)
	}
	v, err := NewVocab(mv.VocabData)
	if err != nil {
		return nil, err
	}
	t, err := newTranslator(m, v, mv.Langs)
	if err != nil {
		return nil, err
	}
	t.meta, t.oneWay = meta, mv.OneWay
	switch mv.Tag {
	case "", "source":
	case "decoder":
		t.tagDecoder = true
	default:
		return nil, fmt.Errorf("translate: unknown tag position %q", mv.Tag)
	}
	return t, nil
}

// SaveOptions configures SaveFile.
type SaveOptions struct {
	// Float16 halves the file; Int8 quarters it (weight matrices as int8
	// with a scale per row, the rest float16). Neither: float32.
	Float16, Int8 bool
	// Provenance records how the model was made (data, command, date).
	Provenance map[string]string
}

// SaveFile writes the model (weights, vocabulary, languages) atomically.
func (t *Translator) SaveFile(path string, opts SaveOptions) error {
	return t.model.SaveFile(path, seq2seq.SaveOptions{Float16: opts.Float16, Int8: opts.Int8,
		Vocab: modelVocab{t.vocab.Data(), t.langs, t.oneWay, t.tagPosition()}, Provenance: opts.Provenance})
}

// Languages lists the model's languages (ISO 639-1 codes).
func (t *Translator) Languages() []string { return slices.Clone(t.langs) }

// Vocab is the model's subword vocabulary.
func (t *Translator) Vocab() *Vocab { return t.vocab }

// Model is the underlying seq2seq model.
func (t *Translator) Model() *seq2seq.Model { return t.model }

// Provenance is how the model was made (from its file).
func (t *Translator) Provenance() map[string]string { return t.meta.Provenance }

// Supports reports whether the model translates from → to.
func (t *Translator) Supports(from, to string) bool {
	if t.oneWay {
		return from == t.langs[0] && to == t.langs[1]
	}
	return from != to && slices.Contains(t.langs, from) && slices.Contains(t.langs, to)
}

func (t *Translator) tagPosition() string {
	if t.tagDecoder {
		return "decoder"
	}
	return "source"
}

// srcOffset is the number of tokens in front of a source's pieces.
func (t *Translator) srcOffset() int {
	if t.tagDecoder {
		return 0
	}
	return 1
}

// source encodes a sentence for translation into lang: the pieces, with
// the language tag in front or as the decoder's first input.
func (t *Translator) source(text, to string) (seq2seq.Source, Encoded) {
	e := t.vocab.Encode(text)
	tag, _ := t.vocab.ID(tagOf(to))
	if t.tagDecoder {
		return seq2seq.Source{Tokens: slices.Clone(e.IDs), BOS: tag}, e
	}
	return seq2seq.Source{Tokens: append([]int{tag}, e.IDs...)}, e
}

// example makes a training example translating p.Src into language to.
func (t *Translator) example(src, tgt, to string) seq2seq.Example {
	s, _ := t.source(src, to)
	return seq2seq.Example{Src: s.Tokens, BOS: s.BOS, Tgt: t.vocab.Encode(tgt).IDs}
}

// Options configures Translate.
type Options struct {
	// From and To are the source and target languages.
	From, To string
	// Beam is the beam width (default 5; 1 is greedy).
	Beam int
	// NBest is how many translations to return per input (default 1).
	NBest int
	// LengthPenalty is GNMT's α (default 0.6; negative: none).
	LengthPenalty float64
	// Align asks for word alignments from the attention weights.
	Align bool
	// MaxPieces bounds a sentence's length in subword pieces (default
	// 200); longer inputs are split at sentence ends or, failing that, at
	// word boundaries, and each part is translated on its own.
	MaxPieces int
	// BatchSize is how many sentences are decoded together (default 32).
	BatchSize int
	// Workers is how many batches are decoded at once (default: the
	// number of CPUs).
	Workers int
	// Progress, when set, is called after each batch with the number of
	// sentences (parts, for lines split because too long) done so far and
	// their total. Calls are serialised.
	Progress func(done, total int)
}

func (o *Options) defaults() {
	if o.Beam <= 0 {
		o.Beam = 5
	}
	if o.NBest <= 0 {
		o.NBest = 1
	}
	o.NBest = min(o.NBest, o.Beam)
	if o.LengthPenalty == 0 {
		o.LengthPenalty = 0.6
	}
	if o.LengthPenalty < 0 {
		o.LengthPenalty = 0
	}
	if o.MaxPieces <= 0 {
		o.MaxPieces = 200
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
}

// Hypothesis is one translation with its scores.
type Hypothesis struct {
	Text string `json:"text"`
	// Score is the log-probability; Norm the length-normalised score beam
	// search ranks by.
	Score float64 `json:"score"`
	Norm  float64 `json:"norm"`
	// Align holds Pharaoh word alignments "i-j": source word i (0-based,
	// whitespace-separated) is aligned with target word j.
	Align [][2]int `json:"align,omitempty"`
}

// Result is the translation of one input line.
type Result struct {
	Source string `json:"source"`
	// Hyps holds the n-best translations, best first (empty for an empty
	// line).
	Hyps []Hypothesis `json:"hyps"`
	// Warnings reports what happened to the line (split because too long).
	Warnings []string `json:"warnings,omitempty"`
}

// Text is the best translation ("" for an empty input).
func (r Result) Text() string {
	if len(r.Hyps) == 0 {
		return ""
	}
	return r.Hyps[0].Text
}

// part is one piece of an input line decoded on its own.
type part struct {
	line    int
	text    string
	wordOff int // index of the part's first word in the line
}

// Translate translates each line. Empty lines give empty results; one
// result comes back per line, in order.
func (t *Translator) Translate(ctx context.Context, lines []string, opt Options) ([]Result, error) {
	opt.defaults()
	if !t.Supports(opt.From, opt.To) {
		if t.oneWay {
			return nil, fmt.Errorf("translate: this model translates %s→%s only, not %s→%s", t.langs[0], t.langs[1], opt.From, opt.To)
		}
		return nil, fmt.Errorf("translate: this model translates between %s, not %s→%s", strings.Join(t.langs, ", "), opt.From, opt.To)
	}
	res := make([]Result, len(lines))
	var parts []part
	for i, l := range lines {
		res[i].Source = l
		e := t.vocab.Encode(l)
		ps, warn := t.split(l, len(e.IDs), opt.MaxPieces)
		if warn != "" {
			res[i].Warnings = append(res[i].Warnings, warn)
		}
		if unk := e.Unknown; len(unk) > 0 {
			res[i].Warnings = append(res[i].Warnings, fmt.Sprintf("characters unknown to the model (copied where the model places them): %q", clip(strings.Join(unk, " "), 40)))
		}
		for _, p := range ps {
			p.line = i
			parts = append(parts, p)
		}
	}
	// Decode in batches of similar length (less padding), then reassemble.
	order := make([]int, len(parts))
	encs := make([]Encoded, len(parts))
	srcs := make([]seq2seq.Source, len(parts))
	for i, p := range parts {
		order[i] = i
		srcs[i], encs[i] = t.source(p.text, opt.To)
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(srcs[a].Tokens) - len(srcs[b].Tokens) })
	hyps := make([][]Hypothesis, len(parts))
	var batches [][]int
	for lo := 0; lo < len(order); lo += opt.BatchSize {
		batches = append(batches, order[lo:min(lo+opt.BatchSize, len(order))])
	}
	// Batches are decoded by Workers goroutines (the model is safe for
	// concurrent use; each BLAS call is single-threaded).
	var (
		mu    sync.Mutex
		done  int
		first error
		next  = make(chan []int)
		wg    sync.WaitGroup
	)
	for range min(opt.Workers, len(batches)) {
		wg.Go(func() {
			for idx := range next {
				batch := make([]seq2seq.Source, len(idx))
				for k, i := range idx {
					batch[k] = srcs[i]
				}
				out, err := t.model.Beam(ctx, batch, seq2seq.BeamConfig{Width: opt.Beam, NBest: opt.NBest, LengthPenalty: opt.LengthPenalty})
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("translate: %w", err)
				}
				mu.Unlock()
				if err != nil {
					continue
				}
				for k, i := range idx {
					for _, h := range out[k] {
						hy := Hypothesis{Text: t.vocab.Decode(h.Tokens, encs[i].Unknown), Score: h.Score, Norm: h.Norm}
						if opt.Align {
							hy.Align = t.align(encs[i], h)
						}
						hyps[i] = append(hyps[i], hy)
					}
				}
				mu.Lock()
				done += len(idx)
				if opt.Progress != nil {
					opt.Progress(done, len(parts))
				}
				mu.Unlock()
			}
		})
	}
	for _, b := range batches {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- b
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Join the parts of each line: n-best lists combine rank by rank.
	for pi, p := range parts {
		r := &res[p.line]
		if len(r.Hyps) == 0 {
			r.Hyps = hyps[pi]
			continue
		}
		tgtOff := make([]int, len(r.Hyps))
		for k := range r.Hyps {
			tgtOff[k] = len(strings.Fields(r.Hyps[k].Text))
		}
		for k := range r.Hyps {
			h := hyps[pi][min(k, len(hyps[pi])-1)]
			r.Hyps[k].Text = strings.TrimSpace(r.Hyps[k].Text + " " + h.Text)
			r.Hyps[k].Score += h.Score
			r.Hyps[k].Norm += h.Norm
			for _, a := range h.Align {
				r.Hyps[k].Align = append(r.Hyps[k].Align, [2]int{a[0] + p.wordOff, a[1] + tgtOff[k]})
			}
		}
	}
	return res, nil
}

// align turns attention weights into word alignments: each target word
// aligns with the source word of its pieces' most attended source piece.
func (t *Translator) align(e Encoded, h seq2seq.Hypothesis) [][2]int {
	seen := map[[2]int]bool{}
	var out [][2]int
	for j, word := range t.vocab.Words(h.Tokens) {
		for _, pos := range word {
			if pos >= len(h.Attention) {
				continue
			}
			row := h.Attention[pos]
			best, bw := -1, float32(-1)
			off := t.srcOffset() // a source-side tag is at position 0
			for s := off; s < len(row) && s-off < len(e.Word); s++ {
				if row[s] > bw {
					best, bw = s-off, row[s]
				}
			}
			if best < 0 {
				continue
			}
			a := [2]int{e.Word[best], j}
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return out
}

// split cuts a line whose encoding (n pieces) is longer than maxPieces into parts:
// one per sentence (ending in ". ! ? ;"), and sentences still too long at
// word boundaries. It returns a warning when it did. Empty lines give no
// parts.
func (t *Translator) split(line string, n, maxPieces int) ([]part, string) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return nil, ""
	}
	if n <= maxPieces {
		return []part{{text: strings.Join(words, " ")}}, ""
	}
	var parts []part
	var cur []string
	curN, start := 0, 0
	flush := func(next int) {
		if len(cur) > 0 {
			parts = append(parts, part{text: strings.Join(cur, " "), wordOff: start})
		}
		cur, curN, start = nil, 0, next
	}
	for i, w := range words {
		n := len(t.vocab.Encode(w).IDs)
		if curN+n > maxPieces && len(cur) > 0 {
			flush(i)
		}
		if n > maxPieces { // one huge "word": cut it into runs of runes
			r := []rune(w)
			for len(r) > maxPieces {
				parts = append(parts, part{text: string(r[:maxPieces]), wordOff: i})
				r = r[maxPieces:]
			}
			w, n = string(r), len(t.vocab.Encode(string(r)).IDs)
		}
		cur = append(cur, w)
		curN += n
		if strings.ContainsAny(w[len(w)-1:], ".!?;") {
			flush(i + 1)
		}
	}
	flush(len(words))
	return parts, fmt.Sprintf("line of %d words is longer than %d subword pieces: translated in %d parts", len(words), maxPieces, len(parts))
}

// clip shortens s to at most n runes for messages.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
