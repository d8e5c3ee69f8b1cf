// Command mtbench measures batch translation speed and quality: it
// translates sentences at beam 1 and at beam 5, and prints one JSON line
// per setting with sentences/s, target tokens/s (subword pieces, and
// words) and BLEU against the references. Used by bench/mt_vs_apertium.sh.
//
//	go run -tags openblas ./bench/mtbench -data DEV.tsv [-every 6] [-model FILE] [-from en -to es] [-hyps DIR]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/parley-ai/parley/translate"
	"github.com/parley-ai/parley/translate/models"
)

func main() {
	data := flag.String("data", "", "TSV pairs (column 1 English, column 2 Spanish)")
	every := flag.Int("every", 6, "take every N-th line (the dev file is sorted by length)")
	modelPath := flag.String("model", "", "model file (default: the embedded model for the direction)")
	from := flag.String("from", "en", "source language")
	to := flag.String("to", "es", "target language")
	beams := flag.String("beams", "1,5", "beam widths to measure")
	hypDir := flag.String("hyps", "", "write sources, references and hypotheses here")
	flag.Parse()
	if *data == "" {
		log.Fatal("usage: mtbench -data TSV")
	}
	pairs, err := translate.ReadPairsFile(*data)
	if err != nil {
		log.Fatal(err)
	}
	var tr *translate.Translator
	if *modelPath != "" {
		tr, err = translate.LoadFile(*modelPath)
	} else if name, ok := models.For(*from, *to); ok {
		tr, err = models.Load(name)
	} else {
		err = fmt.Errorf("no embedded model for %s→%s", *from, *to)
	}
	if err != nil {
		log.Fatal(err)
	}
	var src, ref []string
	for i := 0; i < len(pairs); i += max(*every, 1) {
		s, r := pairs[i].Src, pairs[i].Tgt
		if *from != tr.Languages()[0] {
			s, r = r, s
		}
		src, ref = append(src, s), append(ref, r)
	}
	if *hypDir != "" {
		write(filepath.Join(*hypDir, "src.txt"), src)
		write(filepath.Join(*hypDir, "ref.txt"), ref)
	}
	for _, b := range strings.Split(*beams, ",") {
		var beam int
		fmt.Sscan(b, &beam)
		ctx := context.Background()
		start := time.Now()
		res, err := tr.Translate(ctx, src, translate.Options{From: *from, To: *to, Beam: beam})
		if err != nil {
			log.Fatal(err)
		}
		sec := time.Since(start).Seconds()
		hyps := make([]string, len(res))
		pieces, words := 0, 0
		for i, r := range res {
			hyps[i] = r.Text()
			pieces += len(tr.Vocab().Encode(hyps[i]).IDs) + 1 // + EOS
			words += len(strings.Fields(hyps[i]))
		}
		bleu, err := translate.CorpusBLEU(hyps, [][]string{ref}, translate.BLEUOptions{})
		if err != nil {
			log.Fatal(err)
		}
		chrf, err := translate.CorpusChrF(hyps, [][]string{ref})
		if err != nil {
			log.Fatal(err)
		}
		if *hypDir != "" {
			write(filepath.Join(*hypDir, fmt.Sprintf("hyp.beam%d.txt", beam)), hyps)
		}
		out, _ := json.Marshal(map[string]any{
			"system": "parley", "from": *from, "to": *to, "beam": beam, "sentences": len(src),
			"seconds": round(sec), "sentences_per_s": round(float64(len(src)) / sec),
			"target_tokens_per_s": round(float64(pieces) / sec), "target_words_per_s": round(float64(words) / sec),
			"bleu": round(bleu.Score), "chrf": round(chrf.Score), "cpus": runtime.GOMAXPROCS(0),
		})
		fmt.Println(string(out))
		log.Printf("beam %d: %s", beam, bleu)
	}
}

func round(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

func write(path string, lines []string) {
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
}
