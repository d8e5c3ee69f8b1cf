// Package seq2seq is the sequence-to-sequence-with-attention model shared
// by speech recognition (asr/) and translation (translate/): a stacked
// bidirectional LSTM encoder over token embeddings or feature frames, and
// an LSTM decoder that attends over the encoder states (additive,
// location-aware, general or dot attention), trained with teacher forcing
// and label-smoothed cross-entropy, decoded greedily or with beam search.
//
// Data conventions: token ids are ints; Pad, BOS and EOS are reserved ids
// of the target vocabulary (and Pad of the source vocabulary). Batches hold
// unpadded sequences; padding and length bucketing are internal.
//
// A Model is safe for concurrent decoding from several goroutines (each
// call takes its own graphs; the weights are shared read-only). Training
// mutates the weights and must not overlap with decoding.
package seq2seq

import (
	"fmt"
	"sync"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/layers"
)

// Config describes a model. It is saved with the weights.
type Config struct {
	// SrcVocab is the source vocabulary size for token input; SrcFeatures
	// the frame size for feature input (speech). Exactly one is non-zero.
	SrcVocab    int `json:"src_vocab,omitempty"`
	SrcFeatures int `json:"src_features,omitempty"`
	TgtVocab    int `json:"tgt_vocab"`
	// Emb is the embedding size (source tokens and target tokens).
	Emb int `json:"emb"`
	// Hidden is the encoder's size per direction and the decoder's size.
	Hidden    int `json:"hidden"`
	EncLayers int `json:"enc_layers"`
	// Attention is "additive", "location", "general" or "dot"; AttDim the
	// additive attention's hidden size (default Hidden).
	Attention string `json:"attention"`
	AttDim    int    `json:"att_dim,omitempty"`
	// OutDim, when positive, adds Luong's attentional layer: the output
	// features are tanh(W·[h; ctx]) of this size instead of [h; ctx], which
	// makes the output layer (the cost of large vocabularies) smaller.
	OutDim int `json:"out_dim,omitempty"`
	// Dropout applies to embeddings, between encoder layers and before the
	// output layer, in training only.
	Dropout float64 `json:"dropout"`
	// LabelSmoothing is the ε of the training loss.
	LabelSmoothing float64 `json:"label_smoothing"`
	// Pad, BOS and EOS are reserved target ids (Pad also for source tokens).
	Pad int `json:"pad"`
	BOS int `json:"bos"`
	EOS int `json:"eos"`
}

// DefaultConfig returns a small token-to-token model.
func DefaultConfig() Config {
	return Config{SrcVocab: 1000, TgtVocab: 1000, Emb: 256, Hidden: 256, EncLayers: 2,
		Attention: "additive", Pad: 0, BOS: 1, EOS: 2}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case (c.SrcVocab > 0) == (c.SrcFeatures > 0):
		return fmt.Errorf("seq2seq: exactly one of SrcVocab (%d) and SrcFeatures (%d) must be positive", c.SrcVocab, c.SrcFeatures)
	case c.TgtVocab < 3:
		return fmt.Errorf("seq2seq: TgtVocab %d too small", c.TgtVocab)
	case c.Emb <= 0 || c.Hidden <= 0 || c.EncLayers <= 0:
		return fmt.Errorf("seq2seq: Emb, Hidden and EncLayers must be positive")
	case c.OutDim < 0:
		return fmt.Errorf("seq2seq: OutDim %d is negative", c.OutDim)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("seq2seq: Dropout %v outside [0,1)", c.Dropout)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("seq2seq: LabelSmoothing %v outside [0,1)", c.LabelSmoothing)
	}
	for _, id := range []int{c.Pad, c.BOS, c.EOS} {
		if id < 0 || id >= c.TgtVocab {
			return fmt.Errorf("seq2seq: reserved id %d outside target vocabulary of %d", id, c.TgtVocab)
		}
	}
	if c.BOS == c.EOS || c.Pad == c.BOS || c.Pad == c.EOS {
		return fmt.Errorf("seq2seq: Pad, BOS and EOS must differ")
	}
	if _, err := layers.ParseAttentionKind(c.Attention); err != nil {
		return err
	}
	return nil
}

// Model is a sequence-to-sequence model with attention.
type Model struct {
	Cfg    Config
	Params *nnlib.ParamSet

	srcEmb  *layers.Embedding
	tgtEmb  *layers.Embedding
	enc     *layers.LSTM
	bridgeH *layers.Linear
	bridgeC *layers.Linear
	att     *layers.Attention
	cell    *layers.LSTMCell
	proj    *layers.Linear // nil unless Cfg.OutDim > 0
	out     *layers.Linear

	sessions sync.Pool // *session: inference graphs of one goroutine
}

// New creates a model with freshly initialised weights (seeded).
func New(cfg Config, dtype nnlib.Dtype, seed uint64) (*Model, error) {
	if cfg.AttDim == 0 {
		cfg.AttDim = cfg.Hidden
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ps := nnlib.NewParamSet(dtype, seed)
	m := &Model{Cfg: cfg, Params: ps}
	var err error
	in := cfg.SrcFeatures
	if cfg.SrcVocab > 0 {
		if m.srcEmb, err = layers.NewEmbedding(ps, "enc.emb", cfg.SrcVocab, cfg.Emb, cfg.Pad); err != nil {
			return nil, err
		}
		in = cfg.Emb
	}
	if m.enc, err = layers.NewLSTM(ps, "enc.lstm", layers.LSTMConfig{Input: in, Hidden: cfg.Hidden, Layers: cfg.EncLayers, Bidirectional: true, Dropout: cfg.Dropout}); err != nil {
		return nil, err
	}
	D := m.enc.OutDim()
	if m.bridgeH, err = layers.NewLinear(ps, "bridge.h", D, cfg.Hidden, true); err != nil {
		return nil, err
	}
	if m.bridgeC, err = layers.NewLinear(ps, "bridge.c", D, cfg.Hidden, true); err != nil {
		return nil, err
	}
	if m.tgtEmb, err = layers.NewEmbedding(ps, "dec.emb", cfg.TgtVocab, cfg.Emb, cfg.Pad); err != nil {
		return nil, err
	}
	kind, _ := layers.ParseAttentionKind(cfg.Attention)
	if m.att, err = layers.NewAttention(ps, "dec.att", layers.AttentionConfig{Kind: kind, Query: cfg.Hidden, Value: D, Dim: cfg.AttDim}); err != nil {
		return nil, err
	}
	if m.cell, err = layers.NewLSTMCell(ps, "dec.cell", cfg.Emb+D, cfg.Hidden); err != nil {
		return nil, err
	}
	feat := cfg.Hidden + D
	if cfg.OutDim > 0 {
		if m.proj, err = layers.NewLinear(ps, "dec.proj", feat, cfg.OutDim, false); err != nil {
			return nil, err
		}
		feat = cfg.OutDim
	}
	if m.out, err = layers.NewLinear(ps, "dec.out", feat, cfg.TgtVocab, true); err != nil {
		return nil, err
	}
	return m, nil
}

// encDim is the size of an encoder state.
func (m *Model) encDim() int { return m.enc.OutDim() }

// encoded is the encoder's part of a graph.
type encoded struct {
	seq, keys, h0, c0 *nnlib.Node
}

// encode adds the encoder to g. src is (S,B) ids or (S,B,F) frames.
func (m *Model) encode(g *nnlib.Graph, src, lens *nnlib.Node) encoded {
	x := src
	if m.srcEmb != nil {
		x = m.srcEmb.Fwd(g, src)
	}
	x = g.Dropout(x, m.Cfg.Dropout)
	o := m.enc.Apply(g, x, lens)
	return encoded{
		seq:  o.Seq,
		keys: m.att.Keys(g, o.Seq),
		h0:   g.Tanh(m.bridgeH.Fwd(g, o.H)),
		c0:   g.Tanh(m.bridgeC.Fwd(g, o.C)),
	}
}

// decodeStep adds one decoder step: previous token embedding yEmb (B,E),
// state h, c, previous context ctx and weights prev. It returns the new
// state, context, weights and the output features [h; ctx] (B, H+D), or
// tanh(proj([h; ctx])) (B, OutDim) with an attentional layer.
func (m *Model) decodeStep(g *nnlib.Graph, e encoded, lens, yEmb, h, c, ctx, prev *nnlib.Node) (hN, cN, ctxN, alpha, feat *nnlib.Node) {
	x := g.Concat(1, yEmb, ctx)
	hN, cN = m.cell.Fwd(g, x, h, c)
	ctxN, alpha = m.att.Step(g, hN, e.keys, e.seq, lens, prev)
	feat = g.Concat(1, hN, ctxN)
	if m.proj != nil {
		feat = g.Tanh(m.proj.Fwd(g, feat))
	}
	return hN, cN, ctxN, alpha, feat
}
