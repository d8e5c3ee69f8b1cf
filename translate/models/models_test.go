package models_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-ai/parley/translate"
	"github.com/parley-ai/parley/translate/models"
)

func TestEmbeddedModel(t *testing.T) {
	m, err := models.EnglishSpanish()
	if err != nil {
		t.Fatal(err)
	}
	if !m.Supports("en", "es") || !m.Supports("es", "en") {
		t.Fatalf("languages %v", m.Languages())
	}
	if p := m.Provenance(); p["data"] == "" || p["command"] == "" {
		t.Errorf("provenance incomplete: %v", p)
	}
	res, err := m.Translate(context.Background(), []string{"Where is the station?", "", "I have two dogs."}, translate.Options{From: "en", To: "es", Beam: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Text() == "" || res[1].Text() != "" || res[2].Text() == "" {
		t.Errorf("translations %q %q %q", res[0].Text(), res[1].Text(), res[2].Text())
	}
}

// TestEmbeddedModelDevBLEU guards the embedded model's quality on a sample
// of the Tatoeba dev split (skipped without the data): the README reports
// 39.0 greedy BLEU (en→es) on the whole split.
func TestEmbeddedModelDevBLEU(t *testing.T) {
	if testing.Short() {
		t.Skip("translates 300 sentences")
	}
	dir := os.Getenv("PARLEY_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	pairs, err := translate.ReadPairsFile(filepath.Join(dir, "tatoeba_parallel", "eng-spa.dev.tsv"))
	if err != nil {
		t.Skipf("Tatoeba dev split not available (set PARLEY_DATA): %v", err)
	}
	m, err := models.EnglishSpanish()
	if err != nil {
		t.Fatal(err)
	}
	var src, ref []string
	for i := 0; i < len(pairs); i += len(pairs) / 300 {
		src, ref = append(src, pairs[i].Src), append(ref, pairs[i].Tgt)
	}
	res, err := m.Translate(context.Background(), src, translate.Options{From: "en", To: "es", Beam: 1})
	if err != nil {
		t.Fatal(err)
	}
	hyps := make([]string, len(res))
	for i, r := range res {
		hyps[i] = r.Text()
	}
	b, err := translate.CorpusBLEU(hyps, [][]string{ref}, translate.BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d dev sentences, greedy: %s", len(src), b)
	if b.Score < 30 {
		t.Errorf("BLEU %.2f < 30: %q → %q", b.Score, src[0], strings.TrimSpace(hyps[0]))
	}
}
