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

func TestEmbeddedModels(t *testing.T) {
	list := models.List()
	if len(list) != 2 || list[0].Name != models.EnglishSpanish || list[1].Name != models.SpanishEnglish {
		t.Fatalf("List() = %+v", list)
	}
	inputs := map[string][]string{
		"en": {"Where is the station?", "", "I have two dogs."},
		"es": {"¿Dónde está la estación?", "", "Tengo dos perros."},
	}
	for _, info := range list {
		m, err := models.Load(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Supports(info.From, info.To) || info.Bytes != int64(len(models.Bytes(info.Name))) || info.Bytes == 0 {
			t.Errorf("%s: languages %v, info %+v", info.Name, m.Languages(), info)
		}
		if name, ok := models.For(info.From, info.To); !ok || name != info.Name {
			t.Errorf("For(%s, %s) = %q, %v; want %s", info.From, info.To, name, ok, info.Name)
		}
		if p := m.Provenance(); p["data"] == "" || p["command"] == "" {
			t.Errorf("%s: provenance incomplete: %v", info.Name, p)
		}
		res, err := m.Translate(context.Background(), inputs[info.From], translate.Options{From: info.From, To: info.To, Beam: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Text() == "" || res[1].Text() != "" || res[2].Text() == "" {
			t.Errorf("%s: translations %q %q %q", info.Name, res[0].Text(), res[1].Text(), res[2].Text())
		}
	}
	if name, ok := models.For("en", "fr"); ok {
		t.Errorf("For(en, fr) = %q, want none", name)
	}
	if _, err := models.Load("en-fr"); err == nil || !strings.Contains(err.Error(), `"en-fr"`) {
		t.Errorf("Load(en-fr): error %v", err)
	}
	if models.Bytes("en-fr") != nil || models.IsEmbedded("en-fr") || !models.IsEmbedded("es-en") {
		t.Error("Bytes / IsEmbedded of unknown names")
	}
}

// TestEmbeddedModelDevBLEU guards the embedded models' quality on a
// sample of the Tatoeba dev split (skipped without the data), in each
// direction with the model For picks. The README reports greedy BLEU on
// the whole split; the floors sit a few points below this sample's
// figures.
func TestEmbeddedModelDevBLEU(t *testing.T) {
	if testing.Short() {
		t.Skip("translates 2 × 300 sentences")
	}
	dir := os.Getenv("PARLEY_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	pairs, err := translate.ReadPairsFile(filepath.Join(dir, "tatoeba_parallel", "eng-spa.dev.tsv"))
	if err != nil {
		t.Skipf("Tatoeba dev split not available (set PARLEY_DATA): %v", err)
	}
	for _, c := range []struct {
		from, to string
		floor    float64
	}{{"en", "es", 36}, {"es", "en", 38}} {
		name, ok := models.For(c.from, c.to)
		if !ok {
			t.Fatalf("no model for %s→%s", c.from, c.to)
		}
		m, err := models.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		var src, ref []string
		for i := 0; i < len(pairs); i += len(pairs) / 300 {
			s, r := pairs[i].Src, pairs[i].Tgt
			if c.from == "es" {
				s, r = r, s
			}
			src, ref = append(src, s), append(ref, r)
		}
		res, err := m.Translate(context.Background(), src, translate.Options{From: c.from, To: c.to, Beam: 1})
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
		t.Logf("%s, %s→%s, %d dev sentences, greedy: %s", name, c.from, c.to, len(src), b)
		if b.Score < c.floor {
			t.Errorf("%s→%s: BLEU %.2f < %.0f: %q → %q", c.from, c.to, b.Score, c.floor, src[0], strings.TrimSpace(hyps[0]))
		}
	}
}
