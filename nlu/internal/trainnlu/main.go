// Command trainnlu trains the joint intent and slot model on a
// seq.in / seq.out / label directory (ATIS, SNIPS) and saves it.
//
//	go run -tags openblas ./nlu/internal/trainnlu -data ../shared/data/snips/train -dev ../shared/data/snips/valid -out /tmp/nlu_snips.safetensors
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/parley-ai/parley/nlu"
	"github.com/parley-ai/parley/nnlib"
)

func main() {
	data := flag.String("data", "", "training directory (seq.in, seq.out, label)")
	dev := flag.String("dev", "", "dev directory")
	out := flag.String("out", "", "model file to write")
	epochs := flag.Int("epochs", 0, "epochs (0: default)")
	batch := flag.Int("batch", 0, "batch size (0: default)")
	lr := flag.Float64("lr", 0, "learning rate (0: default)")
	decay := flag.Float64("lr-decay", 0, "learning rate decay per epoch (0: default)")
	hidden := flag.Int("hidden", 0, "encoder hidden size (0: default)")
	layers := flag.Int("layers", 0, "encoder BiLSTM layers (0: default)")
	wordDrop := flag.Float64("word-dropout", -1, "probability of replacing a training word by <unk> (-1: default)")
	dropout := flag.Float64("dropout", -1, "dropout (-1: default)")
	patience := flag.Int("patience", -1, "early stopping patience (-1: default)")
	maxTime := flag.Duration("max-time", 0, "training time limit")
	f16 := flag.Bool("f16", true, "save float16 weights")
	seed := flag.Uint64("seed", 1, "seed")
	crf := flag.String("crf", "", "CRF slot head: true or false (empty: default)")
	swap := flag.Float64("slot-swap", -1, "slot substitution probability (-1: default)")
	flag.Parse()
	if *data == "" || *out == "" {
		log.Fatal("usage: trainnlu -data DIR [-dev DIR] -out FILE")
	}
	train, err := nlu.ReadDir(*data)
	if err != nil {
		log.Fatal(err)
	}
	var devEx []nlu.Example
	if *dev != "" {
		if devEx, err = nlu.ReadDir(*dev); err != nil {
			log.Fatal(err)
		}
	}
	cfg := nlu.DefaultTrainConfig()
	cfg.Seed = *seed
	cfg.MaxTime = *maxTime
	if *epochs > 0 {
		cfg.Epochs = *epochs
	}
	if *batch > 0 {
		cfg.BatchSize = *batch
	}
	if *lr > 0 {
		cfg.LR = *lr
	}
	if *decay > 0 {
		cfg.LRDecay = *decay
	}
	if *wordDrop >= 0 {
		cfg.WordDropout = *wordDrop
	}
	if *layers > 0 {
		cfg.Model.Layers = *layers
	}
	if *hidden > 0 {
		cfg.Model.Hidden = *hidden
	}
	if *dropout >= 0 {
		cfg.Model.Dropout = *dropout
	}
	if *crf != "" {
		cfg.Model.CRF = *crf == "true"
	}
	if *swap >= 0 {
		cfg.SlotSwap = *swap
	}
	if *patience >= 0 {
		cfg.Patience = *patience
	}
	log.Printf("backend %s; %d train, %d dev examples; config %+v", nnlib.Backend(), len(train), len(devEx), cfg)
	start := time.Now()
	m, err := nlu.Train(context.Background(), train, devEx, cfg, func(p nlu.Progress) {
		if p.Final {
			log.Printf("final (best epoch, T=%.3f): dev %v; ECE %.4f -> %.4f; NLL %.4f; %s", p.Temperature, p.Dev, p.ECEBefore, p.Dev.ECE, p.Dev.NLL, p.Elapsed.Round(time.Second))
			return
		}
		mark := ""
		if p.Best {
			mark = " *"
		}
		log.Printf("epoch %2d  steps %5d  loss %.4f  dev %v  %s%s", p.Epoch, p.Steps, p.Loss, p.Dev, p.Elapsed.Round(time.Second), mark)
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("training time %s; %d weights", time.Since(start).Round(time.Second), m.NumParams())
	prov := map[string]string{"data": *data, "dev": *dev, "date": time.Now().UTC().Format(time.RFC3339),
		"command": strings.Join(os.Args, " ")}
	if err := m.SaveFile(*out, nlu.SaveOptions{Float16: *f16, Provenance: prov}); err != nil {
		log.Fatal(err)
	}
	// Check the saved model reproduces the dev figures.
	m2, err := nlu.LoadFile(*out)
	if err != nil {
		log.Fatal(err)
	}
	if len(devEx) > 0 {
		r, err := nlu.Evaluate(m2, devEx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("saved model %s: dev %v ECE %.4f\n", *out, r, r.ECE)
	}
	if st, err := os.Stat(*out); err == nil {
		fmt.Printf("model size %.2f MB\n", float64(st.Size())/1e6)
	}
}
