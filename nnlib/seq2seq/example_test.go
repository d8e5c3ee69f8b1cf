package seq2seq_test

import (
	"context"
	"fmt"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/optim"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// Example builds a small token-to-token model, runs one training step and
// decodes with beam search. Real training loops over bucketed batches
// (nnlib.Buckets) for many steps; see TestLearnsReversal.
func Example() {
	cfg := seq2seq.Config{SrcVocab: 20, TgtVocab: 20, Emb: 16, Hidden: 32, EncLayers: 1,
		Attention: "additive", Pad: 0, BOS: 1, EOS: 2}
	m, err := seq2seq.New(cfg, nnlib.Float32, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("parameters:", m.Params.Count())

	opt, _ := optim.NewAdam(optim.DefaultAdamConfig(), nil)
	tr, _ := nnlib.NewTrainer(m.Params, opt, m.Trainer(), nnlib.TrainerConfig{})
	defer tr.Close()
	batch := seq2seq.Batch{Examples: []seq2seq.Example{
		{Src: []int{5, 6, 7}, Tgt: []int{7, 6, 5}},
		{Src: []int{8, 9}, Tgt: []int{9, 8}},
	}}
	if _, err := tr.Step(context.Background(), batch); err != nil {
		fmt.Println(err)
		return
	}

	res, err := m.Beam(context.Background(), []seq2seq.Source{{Tokens: []int{5, 6, 7}}},
		seq2seq.BeamConfig{Width: 4, NBest: 2, MaxLen: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("hypotheses:", len(res[0]), "attention rows match tokens:", len(res[0][0].Attention) >= len(res[0][0].Tokens))
	// Output:
	// parameters: 36884
	// hypotheses: 2 attention rows match tokens: true
}
