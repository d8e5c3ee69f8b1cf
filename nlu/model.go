package nlu

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/layers"
)

// Reserved ids of the word and character vocabularies.
const (
	padID = 0
	unkID = 1
)

const (
	padToken = "<pad>"
	unkToken = "<unk>"
)

// maxWordChars bounds the characters of a word the char encoder reads
// (longer words keep their first maxWordChars-1 runes and their last).
const maxWordChars = 24

// Config describes the joint model's architecture and inference settings.
// It is saved with the weights.
type Config struct {
	// WordEmb is the word embedding size.
	WordEmb int `json:"word_emb"`
	// CharEmb and CharHidden size the character BiLSTM (per direction);
	// CharHidden 0 turns character features off.
	CharEmb    int `json:"char_emb"`
	CharHidden int `json:"char_hidden"`
	// Hidden is the word BiLSTM's size per direction; Layers its depth.
	Hidden int `json:"hidden"`
	Layers int `json:"layers"`
	// AttDim is the intent attention's hidden size (default Hidden).
	AttDim int `json:"att_dim"`
	// SlotLSTM adds a second BiLSTM (same size) for the slot head whose
	// input is each token's encoder state joined with the sentence's
	// intent attention context, so slot types can depend on the intent.
	SlotLSTM bool `json:"slot_lstm"`
	// CRF puts a linear-chain CRF on the slot head: training maximises
	// the likelihood of whole tag sequences (learned tag-to-tag scores)
	// instead of each token's tag, and decoding is Viterbi over those
	// scores within the BIO constraints.
	CRF bool `json:"crf,omitempty"`
	// Dropout applies to the encoder input, between layers and before
	// both heads (training only).
	Dropout float64 `json:"dropout"`
	// LabelSmoothing is the ε of both training losses.
	LabelSmoothing float64 `json:"label_smoothing"`
	// Threshold is the out-of-scope threshold: a parse whose best intent
	// confidence is below it has Fallback set.
	Threshold float64 `json:"threshold"`
}

// DefaultConfig returns the configuration used for SNIPS and ATIS.
func DefaultConfig() Config {
	return Config{WordEmb: 100, CharEmb: 30, CharHidden: 50, Hidden: 128, Layers: 1, AttDim: 128, SlotLSTM: true,
		Dropout: 0.3, LabelSmoothing: 0.05, Threshold: 0.5}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.WordEmb <= 0 || c.Hidden <= 0 || c.Layers <= 0:
		return fmt.Errorf("nlu: WordEmb, Hidden and Layers must be positive, got %d, %d, %d", c.WordEmb, c.Hidden, c.Layers)
	case c.CharHidden < 0 || (c.CharHidden > 0 && c.CharEmb <= 0):
		return fmt.Errorf("nlu: CharHidden %d needs a positive CharEmb (got %d)", c.CharHidden, c.CharEmb)
	case c.AttDim < 0:
		return fmt.Errorf("nlu: AttDim %d negative", c.AttDim)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("nlu: Dropout %v outside [0,1)", c.Dropout)
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1):
		return fmt.Errorf("nlu: LabelSmoothing %v outside [0,1)", c.LabelSmoothing)
	case !(c.Threshold >= 0 && c.Threshold <= 1):
		return fmt.Errorf("nlu: Threshold %v outside [0,1]", c.Threshold)
	}
	return nil
}

// Vocab is the model's vocabularies: words (lower-cased; Words[0] is
// <pad>, Words[1] <unk>), characters (same reserved ids), intents and BIO
// tags (Tags[0] is "O").
type Vocab struct {
	Words   []string `json:"words"`
	Chars   []string `json:"chars"`
	Intents []string `json:"intents"`
	Tags    []string `json:"tags"`

	wordID, charID, intentID, tagID map[string]int
}

// BuildVocab collects the vocabularies of examples: words seen at least
// minCount times (lower-cased), every character, intent and tag. Intents
// and tags are sorted; every tag must be "O", "B-x" or "I-x", and for
// every I-x the tag B-x is added (so constrained decoding can reach it).
func BuildVocab(examples []Example, minCount int) (*Vocab, error) {
	if len(examples) == 0 {
		return nil, errors.New("nlu: no training examples")
	}
	words := map[string]int{}
	chars := map[string]bool{}
	intents := map[string]bool{}
	tags := map[string]bool{"O": true}
	for i, e := range examples {
		if err := checkExample(e); err != nil {
			return nil, fmt.Errorf("nlu: example %d: %w", i, err)
		}
		intents[e.Intent] = true
		for j, t := range e.Tokens {
			w := strings.ToLower(t)
			words[w]++
			for _, r := range w {
				chars[string(r)] = true
			}
			tag := e.Tags[j]
			tags[tag] = true
			if name, ok := strings.CutPrefix(tag, "I-"); ok {
				tags["B-"+name] = true
			}
		}
	}
	v := &Vocab{Words: []string{padToken, unkToken}, Chars: []string{padToken, unkToken}, Tags: []string{"O"}}
	var ws []string
	for w, n := range words {
		if n >= minCount {
			ws = append(ws, w)
		}
	}
	sort.Strings(ws)
	v.Words = append(v.Words, ws...)
	v.Chars = append(v.Chars, sortedKeys(chars)...)
	v.Intents = sortedKeys(intents)
	delete(tags, "O")
	v.Tags = append(v.Tags, sortedKeys(tags)...)
	v.index()
	return v, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkExample(e Example) error {
	if e.Intent == "" {
		return errors.New("empty intent")
	}
	if len(e.Tokens) != len(e.Tags) {
		return fmt.Errorf("%d tokens but %d tags", len(e.Tokens), len(e.Tags))
	}
	for _, t := range e.Tags {
		if t != "O" && !strings.HasPrefix(t, "B-") && !strings.HasPrefix(t, "I-") {
			return fmt.Errorf("tag %q is not O, B-x or I-x", t)
		}
		if t != "O" && len(t) == 2 {
			return fmt.Errorf("tag %q has no slot name", t)
		}
	}
	return nil
}

func (v *Vocab) index() {
	mk := func(xs []string) map[string]int {
		m := make(map[string]int, len(xs))
		for i, x := range xs {
			m[x] = i
		}
		return m
	}
	v.wordID, v.charID, v.intentID, v.tagID = mk(v.Words), mk(v.Chars), mk(v.Intents), mk(v.Tags)
}

func (v *Vocab) validate() error {
	if len(v.Words) < 2 || v.Words[padID] != padToken || v.Words[unkID] != unkToken {
		return errors.New("nlu: vocabulary: words must start with <pad>, <unk>")
	}
	if len(v.Chars) < 2 || v.Chars[padID] != padToken || v.Chars[unkID] != unkToken {
		return errors.New("nlu: vocabulary: chars must start with <pad>, <unk>")
	}
	if len(v.Intents) == 0 {
		return errors.New("nlu: vocabulary: no intents")
	}
	if len(v.Tags) == 0 || v.Tags[0] != "O" {
		return errors.New(`nlu: vocabulary: tags must start with "O"`)
	}
	v.index()
	if len(v.wordID) != len(v.Words) || len(v.charID) != len(v.Chars) || len(v.intentID) != len(v.Intents) || len(v.tagID) != len(v.Tags) {
		return errors.New("nlu: vocabulary: duplicate entries")
	}
	return nil
}

func (v *Vocab) word(tok string) int {
	if id, ok := v.wordID[strings.ToLower(tok)]; ok {
		return id
	}
	return unkID
}

// chars returns the char ids of a token (lower-cased, at most
// maxWordChars: the first runes and the last one).
func (v *Vocab) chars(tok string) []int {
	w := strings.ToLower(tok)
	ids := make([]int, 0, min(len(w), maxWordChars))
	n := utf8.RuneCountInString(w)
	i := 0
	for _, r := range w {
		if n > maxWordChars && i >= maxWordChars-1 && i < n-1 {
			i++
			continue
		}
		id, ok := v.charID[string(r)]
		if !ok {
			id = unkID
		}
		ids = append(ids, id)
		i++
	}
	return ids
}

// Model is the joint intent classifier and slot tagger. It is safe for
// concurrent use by several goroutines (each call takes inference graphs
// of its own from a pool; the weights are shared read-only). Training
// mutates the weights and must not overlap with parsing.
type Model struct {
	Cfg    Config
	Vocab  *Vocab
	Params *nnlib.ParamSet
	// Temperature divides the intent logits before the softmax (fitted on
	// the dev set by Train; 1 means uncalibrated).
	Temperature float64

	wordEmb  *layers.Embedding
	charEmb  *layers.Embedding
	charLSTM *layers.LSTM
	enc      *layers.LSTM
	query    *layers.Embedding // one learned attention query
	att      *layers.Attention
	slotLSTM *layers.LSTM
	intent   *layers.Linear
	slot     *layers.Linear
	crf      *layers.CRF // nil without Config.CRF

	sessions sync.Pool // *session

	transOnce sync.Once   // computes trans from Vocab.Tags on first use
	trans     transitions // the BIO constraints of the slot decoder
}

// New creates a model with fresh weights for the vocabularies v.
func New(cfg Config, v *Vocab, dtype nnlib.Dtype, seed uint64) (*Model, error) {
	if cfg.AttDim == 0 {
		cfg.AttDim = cfg.Hidden
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("nlu: nil vocabulary")
	}
	if err := v.validate(); err != nil {
		return nil, err
	}
	ps := nnlib.NewParamSet(dtype, seed)
	m := &Model{Cfg: cfg, Vocab: v, Params: ps, Temperature: 1}
	var err error
	if m.wordEmb, err = layers.NewEmbedding(ps, "word_emb", len(v.Words), cfg.WordEmb, padID); err != nil {
		return nil, err
	}
	in := cfg.WordEmb
	if cfg.CharHidden > 0 {
		if m.charEmb, err = layers.NewEmbedding(ps, "char_emb", len(v.Chars), cfg.CharEmb, padID); err != nil {
			return nil, err
		}
		if m.charLSTM, err = layers.NewLSTM(ps, "char_lstm", layers.LSTMConfig{Input: cfg.CharEmb, Hidden: cfg.CharHidden, Layers: 1, Bidirectional: true}); err != nil {
			return nil, err
		}
		in += m.charLSTM.OutDim()
	}
	if m.enc, err = layers.NewLSTM(ps, "enc", layers.LSTMConfig{Input: in, Hidden: cfg.Hidden, Layers: cfg.Layers, Bidirectional: true, Dropout: cfg.Dropout}); err != nil {
		return nil, err
	}
	D := m.enc.OutDim()
	if m.query, err = layers.NewEmbedding(ps, "intent_query", 1, cfg.AttDim, -1); err != nil {
		return nil, err
	}
	if m.att, err = layers.NewAttention(ps, "intent_att", layers.AttentionConfig{Kind: layers.Additive, Query: cfg.AttDim, Value: D, Dim: cfg.AttDim}); err != nil {
		return nil, err
	}
	if m.intent, err = layers.NewLinear(ps, "intent_out", 2*D, len(v.Intents), true); err != nil {
		return nil, err
	}
	slotIn := D
	if cfg.SlotLSTM {
		if m.slotLSTM, err = layers.NewLSTM(ps, "slot_lstm", layers.LSTMConfig{Input: 2 * D, Hidden: cfg.Hidden, Layers: 1, Bidirectional: true}); err != nil {
			return nil, err
		}
		slotIn = m.slotLSTM.OutDim()
	}
	if m.slot, err = layers.NewLinear(ps, "slot_out", slotIn, len(v.Tags), true); err != nil {
		return nil, err
	}
	if cfg.CRF {
		if m.crf, err = layers.NewCRF(ps, "slot_crf", len(v.Tags)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// inputs are the padded inputs of one batch: B sentences of at most S
// words of at most L characters.
type inputs struct {
	B, S, L int
	words   []float32 // (S, B)
	lens    []float32 // (B)
	chars   []float32 // (L, S·B), word n = t·B+b
	clens   []float32 // (S·B)
	zeros   []float32 // (B) query ids
}

// dims returns the padded sizes for sentences of up to n words whose
// longest word has l characters.
func dims(n, l int) (S, L int) {
	if n <= 64 {
		S = nnlib.PadLen(n, 8)
	} else {
		S = nnlib.PadLen(n, 32)
	}
	return S, nnlib.PadLen(l, 4)
}

// encodedTokens is a token sequence as word and char ids.
type encodedTokens struct {
	words []int
	chars [][]int
}

func (m *Model) encodeTokens(toks []string) encodedTokens {
	e := encodedTokens{words: make([]int, len(toks)), chars: make([][]int, len(toks))}
	for i, t := range toks {
		e.words[i] = m.Vocab.word(t)
		e.chars[i] = m.Vocab.chars(t)
	}
	return e
}

// padDims returns the padded sizes S, L for encoded sequences.
func padDims(es []encodedTokens) (S, L int) {
	n, l := 1, 1
	for _, e := range es {
		n = max(n, len(e.words))
		for _, c := range e.chars {
			l = max(l, len(c))
		}
	}
	return dims(n, l)
}

// encodeInputs lays out encoded sequences for a graph of B rows (B >=
// len(es)) and padded lengths S, L.
func (m *Model) encodeInputs(es []encodedTokens, B, S, L int) inputs {
	in := inputs{B: B, S: S, L: L, words: make([]float32, S*B), lens: make([]float32, B), zeros: make([]float32, B)}
	if m.charLSTM != nil {
		in.chars = make([]float32, L*S*B)
		in.clens = make([]float32, S*B)
	}
	N := S * B
	for b, e := range es {
		in.lens[b] = float32(len(e.words))
		for t, id := range e.words {
			in.words[t*B+b] = float32(id)
			if m.charLSTM == nil {
				continue
			}
			n := t*B + b
			cs := e.chars[t]
			in.clens[n] = float32(len(cs))
			for c, id := range cs {
				in.chars[c*N+n] = float32(id)
			}
		}
	}
	return in
}

// graphNodes are the inputs and outputs of a model graph.
type graphNodes struct {
	words, lens, chars, clens, zeros *nnlib.Node
	intentLogits                     *nnlib.Node // (B, intents)
	slotLogits                       *nnlib.Node // (S·B, tags), row t·B+b
}

// forward adds the model to g for padded sizes B, S, L.
func (m *Model) forward(g *nnlib.Graph, B, S, L int) graphNodes {
	var n graphNodes
	n.words = g.Input("words", S, B)
	n.lens = g.Input("lens", B)
	n.zeros = g.Input("zeros", B)
	x := m.wordEmb.Fwd(g, n.words) // (S,B,E)
	if m.charLSTM != nil {
		N := S * B
		n.chars = g.Input("chars", L, N)
		n.clens = g.Input("clens", N)
		ce := m.charEmb.Fwd(g, n.chars) // (L,N,CE)
		co := m.charLSTM.Apply(g, ce, n.clens)
		cf := g.Reshape(co.H, S, B, m.charLSTM.OutDim())
		x = g.Concat(2, x, cf)
	}
	x = g.Dropout(x, m.Cfg.Dropout)
	o := m.enc.Apply(g, x, n.lens)
	D := m.enc.OutDim()
	q := m.query.Fwd(g, n.zeros)
	ctx, _ := m.att.Step(g, q, m.att.Keys(g, o.Seq), o.Seq, n.lens, nil)
	feat := g.Dropout(g.Concat(1, ctx, o.H), m.Cfg.Dropout)
	n.intentLogits = m.intent.Fwd(g, feat)
	seq := o.Seq
	if m.slotLSTM != nil && !g.Train() {
		// The slot BiLSTM reads [o.Seq_t ; ctx] at every step; ApplyWith
		// projects ctx once per sentence instead of once per step.
		seq = m.slotLSTM.ApplyWith(g, o.Seq, ctx, n.lens).Seq
		D = m.slotLSTM.OutDim()
	} else if m.slotLSTM != nil {
		// In training, dropout draws a mask for every step, the repeated
		// context included (as the shipped models were trained). Repeat
		// the context over time: S copies of (B,D) stacked along axis 0
		// give (S·B, D) with row t·B+b = ctx[b].
		reps := make([]*nnlib.Node, S)
		for t := range reps {
			reps[t] = ctx
		}
		rep := g.Reshape(g.Concat(0, reps...), S, B, D)
		x2 := g.Dropout(g.Concat(2, o.Seq, rep), m.Cfg.Dropout)
		seq = m.slotLSTM.Apply(g, x2, n.lens).Seq
		D = m.slotLSTM.OutDim()
	}
	seq = g.Dropout(seq, m.Cfg.Dropout)
	n.slotLogits = m.slot.Fwd(g, g.Reshape(seq, S*B, D))
	return n
}

func (m *Model) feed(mc *nnlib.Machine, n graphNodes, in inputs) error {
	lets := []struct {
		n *nnlib.Node
		v []float32
	}{{n.words, in.words}, {n.lens, in.lens}, {n.zeros, in.zeros}}
	if n.chars != nil {
		lets = append(lets, struct {
			n *nnlib.Node
			v []float32
		}{n.chars, in.chars}, struct {
			n *nnlib.Node
			v []float32
		}{n.clens, in.clens})
	}
	for _, l := range lets {
		if err := mc.Let(l.n, l.v); err != nil {
			return err
		}
	}
	return nil
}

// NumParams returns the number of weights.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params.Params() {
		n += p.Size()
	}
	return n
}
