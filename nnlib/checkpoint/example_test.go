package checkpoint_test

import (
	"bytes"
	"fmt"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
)

// exampleConfig is the model config of Example.
type exampleConfig struct {
	Vocab  int `json:"vocab"`
	Hidden int `json:"hidden"`
}

// buildExample builds the parameters of Example's toy model.
func buildExample(cfg exampleConfig, seed uint64) (*nnlib.ParamSet, error) {
	ps := nnlib.NewParamSet(nnlib.Float32, seed)
	if _, err := ps.Add("emb", []int{cfg.Vocab, cfg.Hidden}, nnlib.Normal(0.1)); err != nil {
		return nil, err
	}
	if _, err := ps.Add("out.b", []int{cfg.Vocab}, nnlib.Zeros); err != nil {
		return nil, err
	}
	return ps, nil
}

// Example saves a model with its config and vocabulary, reads the config
// back to build a model of the right shape, and loads the weights into it.
// With files, use SaveFile (atomic) and ReadMetaFile / LoadFile.
func Example() {
	if err := saveAndLoad(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// config {Vocab:3 Hidden:4}, vocab ["<pad>" "yes" "no"], data "toy"
	// same weights: true
}

func saveAndLoad() error {
	// Save.
	cfg := exampleConfig{Vocab: 3, Hidden: 4}
	trained, err := buildExample(cfg, 1)
	if err != nil {
		return err
	}
	var meta checkpoint.Meta
	if err := meta.SetConfig(cfg); err != nil {
		return err
	}
	if err := meta.SetVocab([]string{"<pad>", "yes", "no"}); err != nil {
		return err
	}
	meta.Provenance = map[string]string{"data": "toy", "command": "example"}
	var file bytes.Buffer
	if err := checkpoint.Save(&file, trained, meta, checkpoint.SaveOptions{}); err != nil {
		return err
	}

	// Load: the config first, then the weights into a model built from it.
	got, err := checkpoint.ReadMeta(bytes.NewReader(file.Bytes()))
	if err != nil {
		return err
	}
	var cfg2 exampleConfig
	if err := got.DecodeConfig(&cfg2); err != nil {
		return err
	}
	model, err := buildExample(cfg2, 2) // a different random init
	if err != nil {
		return err
	}
	if _, err := checkpoint.Load(bytes.NewReader(file.Bytes()), model); err != nil {
		return err
	}
	var vocab []string
	if err := got.DecodeVocab(&vocab); err != nil {
		return err
	}
	fmt.Printf("config %+v, vocab %q, data %q\n", cfg2, vocab, got.Provenance["data"])
	fmt.Println("same weights:", model.Get("emb").F32()[5] == trained.Get("emb").F32()[5])
	return nil
}
