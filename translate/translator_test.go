package translate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// A toy language pair: "en" sentences of 3-7 words from a small lexicon,
// "xx" the same sentences word by word through a fixed dictionary, with
// adjective–noun order swapped (so attention must reorder) and a final
// "!" turned into a leading "¡".
var toyLex = map[string]string{
	"the": "el", "a": "un", "cat": "gato", "dog": "perro", "sees": "ve", "eats": "come",
	"big": "grande", "small": "chico", "red": "rojo", "house": "casa", "man": "hombre",
	"near": "cerca", "and": "y", "fish": "pez", "bird": "pajaro", "old": "viejo",
}

var (
	toyAdj  = []string{"big", "small", "red", "old"}
	toyNoun = []string{"cat", "dog", "house", "man", "fish", "bird"}
	toyVerb = []string{"sees", "eats"}
	toyDet  = []string{"the", "a"}
)

func toyPhrase(rng *rand.Rand) (en, xx []string) {
	det, noun := toyDet[rng.IntN(2)], toyNoun[rng.IntN(len(toyNoun))]
	if rng.IntN(2) == 0 {
		adj := toyAdj[rng.IntN(len(toyAdj))]
		return []string{det, adj, noun}, []string{toyLex[det], toyLex[noun], toyLex[adj]}
	}
	return []string{det, noun}, []string{toyLex[det], toyLex[noun]}
}

func toyPair(rng *rand.Rand) Pair {
	s1, t1 := toyPhrase(rng)
	s2, t2 := toyPhrase(rng)
	v := toyVerb[rng.IntN(2)]
	en := append(append(s1, v), s2...)
	xx := append(append(t1, toyLex[v]), t2...)
	if rng.IntN(3) == 0 {
		return Pair{strings.Join(en, " ") + "!", "¡" + strings.Join(xx, " ") + "!"}
	}
	return Pair{strings.Join(en, " ") + ".", strings.Join(xx, " ") + "."}
}

var (
	toyOnce  sync.Once
	toyModel *Translator
	toyErr   error
	toyTest  []Pair
)

// trainToy trains (once per test binary) a small model on the toy pair in
// both directions and keeps held-out pairs for testing.
func trainToy(t *testing.T) (*Translator, []Pair) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains a small model (about 20 s)")
	}
	toyOnce.Do(func() {
		rng := rand.New(rand.NewPCG(3, 4))
		seen := map[string]bool{}
		var train, dev []Pair
		for len(train) < 3000 || len(dev) < 100 || len(toyTest) < 200 {
			p := toyPair(rng)
			if seen[p.Src] {
				continue
			}
			seen[p.Src] = true
			switch {
			case len(toyTest) < 200:
				toyTest = append(toyTest, p)
			case len(dev) < 100:
				dev = append(dev, p)
			default:
				train = append(train, p)
			}
		}
		cfg := DefaultTrainConfig()
		cfg.Langs = [2]string{"en", "xx"}
		cfg.Merges, cfg.Emb, cfg.Hidden, cfg.OutDim = 60, 32, 64, 64
		cfg.Dropout, cfg.BatchSize, cfg.LR, cfg.Warmup, cfg.Epochs = 0, 32, 5e-3, 50, 5
		cfg.DevSentences = 50
		cfg.Out = filepath.Join(toyDir, "toy.safetensors")
		toyModel, toyErr = Train(context.Background(), train, dev, cfg, nil)
	})
	if toyErr != nil {
		t.Fatal(toyErr)
	}
	return toyModel, toyTest
}

var toyDir = func() string {
	d, err := mkdirTemp()
	if err != nil {
		panic(err)
	}
	return d
}()

func TestLearnsToyTranslation(t *testing.T) {
	m, test := trainToy(t)
	for _, dir := range []struct{ from, to string }{{"en", "xx"}, {"xx", "en"}} {
		var src, ref []string
		for _, p := range test {
			if dir.from == "en" {
				src, ref = append(src, p.Src), append(ref, p.Tgt)
			} else {
				src, ref = append(src, p.Tgt), append(ref, p.Src)
			}
		}
		res, err := m.Translate(context.Background(), src, Options{From: dir.from, To: dir.to})
		if err != nil {
			t.Fatal(err)
		}
		hyps := make([]string, len(res))
		exact := 0
		for i, r := range res {
			hyps[i] = r.Text()
			if hyps[i] == ref[i] {
				exact++
			}
		}
		b, err := CorpusBLEU(hyps, [][]string{ref}, BLEUOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s→%s: held-out BLEU %.1f, exact %d/%d; e.g. %q → %q", dir.from, dir.to, b.Score, exact, len(src), src[0], hyps[0])
		if b.Score < 90 {
			t.Errorf("%s→%s BLEU %.1f < 90", dir.from, dir.to, b.Score)
			for i, n := 0, 0; i < len(hyps) && n < 5; i++ {
				if hyps[i] != ref[i] {
					t.Logf("%q → %q, want %q", src[i], hyps[i], ref[i])
					n++
				}
			}
		}
	}
}

func TestTranslateOptions(t *testing.T) {
	m, test := trainToy(t)
	ctx := context.Background()
	lines := []string{test[0].Src, "", "   ", test[1].Src}
	res, err := m.Translate(ctx, lines, Options{From: "en", To: "xx", Beam: 4, NBest: 3, Align: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(lines) {
		t.Fatalf("%d results for %d lines", len(res), len(lines))
	}
	if res[1].Text() != "" || res[2].Text() != "" || len(res[1].Hyps) != 0 {
		t.Errorf("empty lines gave %+v %+v", res[1], res[2])
	}
	for _, i := range []int{0, 3} {
		r := res[i]
		if len(r.Hyps) != 3 {
			t.Fatalf("line %d: %d hypotheses, want 3", i, len(r.Hyps))
		}
		for k := 1; k < len(r.Hyps); k++ {
			if r.Hyps[k].Norm > r.Hyps[k-1].Norm {
				t.Errorf("line %d: n-best not sorted: %v", i, r.Hyps)
			}
		}
		// The toy language is word-for-word except the adjective–noun
		// swap, so alignments are mostly on the diagonal and every
		// target word is aligned.
		nsrc, ntgt := len(strings.Fields(r.Source)), len(strings.Fields(r.Text()))
		aligned := map[int]bool{}
		for _, a := range r.Hyps[0].Align {
			if a[0] < 0 || a[0] >= nsrc || a[1] < 0 || a[1] >= ntgt {
				t.Errorf("line %d: alignment %v outside %d×%d", i, a, nsrc, ntgt)
			}
			aligned[a[1]] = true
		}
		if len(aligned) != ntgt {
			t.Errorf("line %d: %d of %d target words aligned: %v", i, len(aligned), ntgt, r.Hyps[0].Align)
		}
		if r.Hyps[0].Align[0] != [2]int{0, 0} {
			t.Errorf("line %d: first word aligned %v, want 0-0 (%q → %q)", i, r.Hyps[0].Align, r.Source, r.Text())
		}
	}
	if _, err := m.Translate(ctx, lines, Options{From: "en", To: "de"}); err == nil || !strings.Contains(err.Error(), "en, xx") {
		t.Errorf("unsupported pair: %v", err)
	}
}

func TestTranslateLongLineAndJunk(t *testing.T) {
	m, test := trainToy(t)
	var parts []string
	for _, p := range test[:30] {
		parts = append(parts, p.Src)
	}
	long := strings.Join(parts, " ")
	lines := []string{long, "😀 \xff\xfe 東京", strings.Repeat("the", 2000)}
	res, err := m.Translate(context.Background(), lines, Options{From: "en", To: "xx", Beam: 2, MaxPieces: 40, Align: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Warnings) != 1 || !strings.Contains(res[0].Warnings[0], "in 30 parts") {
		t.Errorf("long line warnings %q", res[0].Warnings)
	}
	if w := strings.Join(res[1].Warnings, ";"); !strings.Contains(w, "unknown to the model") || !strings.Contains(w, "😀") {
		t.Errorf("junk line warnings %q", res[1].Warnings)
	}
	if w := res[2].Warnings; len(w) != 1 || !strings.Contains(w[0], "in 150 parts") {
		t.Errorf("6000-letter word: warnings %q", w)
	}
	// Each sentence of the long line translates into its own part: the
	// result has about as many words as the references.
	nref := 0
	for _, p := range test[:30] {
		nref += len(strings.Fields(p.Tgt))
	}
	if n := len(strings.Fields(res[0].Text())); n < nref*8/10 || n > nref*12/10 {
		t.Errorf("long line: %d words, references have %d", n, nref)
	}
	nsrc := len(strings.Fields(long))
	for _, a := range res[0].Hyps[0].Align {
		if a[0] >= nsrc {
			t.Errorf("alignment %v beyond the %d source words", a, nsrc)
		}
	}
	t.Logf("junk → %q", res[1].Text())
}

func TestTranslateConcurrent(t *testing.T) {
	m, test := trainToy(t)
	want, err := m.Translate(context.Background(), []string{test[5].Src, test[6].Src}, Options{From: "en", To: "xx"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got, err := m.Translate(context.Background(), []string{test[5].Src, test[6].Src}, Options{From: "en", To: "xx"})
			if err != nil {
				errs <- err
				return
			}
			for i := range got {
				if got[i].Text() != want[i].Text() {
					errs <- fmt.Errorf("concurrent result %q != %q", got[i].Text(), want[i].Text())
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSaveLoad(t *testing.T) {
	m, test := trainToy(t)
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.SaveFile(p, SaveOptions{Float16: true, Provenance: map[string]string{"data": "toy"}}); err != nil {
		t.Fatal(err)
	}
	m2, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Provenance()["data"] != "toy" || !m2.Supports("xx", "en") {
		t.Errorf("loaded model: provenance %v, languages %v", m2.Provenance(), m2.Languages())
	}
	a, _ := m.Translate(context.Background(), []string{test[0].Src}, Options{From: "en", To: "xx"})
	b, _ := m2.Translate(context.Background(), []string{test[0].Src}, Options{From: "en", To: "xx"})
	if a[0].Text() != b[0].Text() {
		t.Errorf("float16 copy translates %q, original %q", b[0].Text(), a[0].Text())
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none.safetensors")); err == nil {
		t.Error("missing file: no error")
	}
}
