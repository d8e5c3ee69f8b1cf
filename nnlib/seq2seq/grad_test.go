package seq2seq_test

import (
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// TestGradModel checks the whole training graph (encoder, bridge,
// attention decoder, loss) against finite differences, for every
// attention kind.
func TestGradModel(t *testing.T) {
	for _, att := range []string{"additive", "location", "general", "dot", "general+proj"} {
		t.Run(att, func(t *testing.T) {
			cfg := seq2seq.Config{SrcVocab: 7, TgtVocab: 6, Emb: 3, Hidden: 4, EncLayers: 2,
				Attention: att, AttDim: 5, LabelSmoothing: 0.1, Pad: 0, BOS: 1, EOS: 2}
			if att == "general+proj" { // Luong's attentional layer before the output
				cfg.Attention, cfg.OutDim = "general", 3
			}
			if att == "dot" {
				cfg.Hidden = 4 // query 4 vs value 8: dot needs equal sizes
			}
			m, err := seq2seq.New(cfg, nnlib.Float64, 3)
			if att == "dot" {
				if err == nil {
					t.Fatal("dot attention with query != value size: want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			batch := seq2seq.Batch{Examples: []seq2seq.Example{
				{Src: []int{3, 4, 5, 6}, Tgt: []int{3, 5}},
				{Src: []int{6, 5}, Tgt: []int{4, 4, 3}},
				{Src: []int{3}, Tgt: []int{5}},
			}, Width: 1}
			var feed nnlib.Feed[seq2seq.Batch]
			nntest.GradCheck(t, m.Params, func(g *nnlib.Graph) (err error) {
				feed, err = m.Trainer().Build(g, batch)
				return err
			}, func(mc *nnlib.Machine) error { return feed(mc, batch) }, nntest.CheckConfig{MaxPerParam: 8})
		})
	}
}
