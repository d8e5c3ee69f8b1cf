package translate

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var bpeCorpus = []string{
	"Where is the station?", "¿Dónde está la estación?",
	"I've got 3.5 kg of apples, 1,000 of them.", "Tengo 3,5 kg de manzanas, 1.000 de ellas.",
	"The station is near the station's café.", "La estación está cerca del café de la estación.",
	"Tom isn't here.", "Tom no está aquí.",
	"Señor Núñez, ¡qué rápido!", "Mr. Núñez, how fast!",
}

func learnTest(t *testing.T, merges int) *Vocab {
	t.Helper()
	v, err := Learn(bpeCorpus, LearnConfig{Merges: merges, MinCharCount: 1, Tags: []string{"<2en>", "<2es>"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPretokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \t ", nil},
		{"Hello, world!", []string{"▁Hello", ",", "▁world", "!"}},
		{"¿Dónde?", []string{"▁¿", "Dónde", "?"}},
		{"3.5kg", []string{"▁3", ".", "5", "kg"}},
		{"I've", []string{"▁I", "'", "ve"}},
		{"a\u0301b", []string{"▁a\u0301b"}}, // combining accent stays with its letter
		{"😀x", []string{"▁😀", "x"}},
		{"bad\xffbyte", []string{"▁bad", "\uFFFD", "byte"}},
	} {
		if got := pretokenize(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("pretokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRoundTrip: Decode(Encode(s)) restores s (whitespace normalised) for
// every vocabulary size, including unseen words, characters and scripts.
func TestRoundTrip(t *testing.T) {
	extra := []string{
		"", "Tom", "  spaced   out  ", "naïve façade — “quoted” 100%", "東京は大きい", "emoji 😀🎉 here",
		"ALL CAPS AND MiXeD", "tab\tseparated", "1,234,567.89", "e-mail: tom@example.com",
	}
	for _, merges := range []int{0, 10, 100, 1000} {
		v := learnTest(t, max(merges, 1))
		for _, s := range append(slices.Clone(bpeCorpus), extra...) {
			e := v.Encode(s)
			want := strings.Join(strings.Fields(s), " ")
			if got := v.Decode(e.IDs, e.Unknown); got != want {
				t.Errorf("merges %d: %q → %v → %q", merges, s, e.IDs, got)
			}
			if len(e.Word) != len(e.IDs) {
				t.Errorf("Word has %d entries for %d ids", len(e.Word), len(e.IDs))
			}
		}
	}
}

func TestMergesShorten(t *testing.T) {
	few, many := learnTest(t, 1), learnTest(t, 200)
	s := "the station"
	if a, b := len(few.Encode(s).IDs), len(many.Encode(s).IDs); b >= a {
		t.Errorf("200 merges give %d pieces, 1 merge %d", b, a)
	}
	if many.Size() <= few.Size() {
		t.Errorf("vocabulary did not grow: %d vs %d", many.Size(), few.Size())
	}
	// A frequent word becomes one piece.
	if e := many.Encode("station"); len(e.IDs) != 1 {
		t.Errorf("station → %d pieces", len(e.IDs))
	}
}

func TestUnknownRuns(t *testing.T) {
	v := learnTest(t, 50)
	e := v.Encode("hi 😀🎉 there 東京")
	if n := strings.Count(v.Decode(e.IDs, nil), "😀"); n != 0 {
		t.Errorf("unknown characters decoded without their text")
	}
	if !slices.Equal(e.Unknown, []string{"😀🎉", "東京"}) {
		t.Errorf("unknown runs %q", e.Unknown)
	}
	unk := 0
	for _, id := range e.IDs {
		if id == UnkID {
			unk++
		}
	}
	if unk != 2 {
		t.Errorf("%d UnkIDs, want 2 (one per run)", unk)
	}
}

func TestVocabDataRoundTrip(t *testing.T) {
	v := learnTest(t, 100)
	w, err := NewVocab(v.Data())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bpeCorpus {
		if a, b := v.Encode(s), w.Encode(s); !slices.Equal(a.IDs, b.IDs) {
			t.Errorf("%q: %v vs %v", s, a.IDs, b.IDs)
		}
	}
}

func TestNewVocabErrors(t *testing.T) {
	good := learnTest(t, 10).Data()
	for name, mutate := range map[string]func(d *VocabData){
		"too short":        func(d *VocabData) { d.Pieces = d.Pieces[:2] },
		"reserved changed": func(d *VocabData) { d.Pieces[0] = "x" },
		"duplicate":        func(d *VocabData) { d.Pieces = append(d.Pieces, d.Pieces[5]) },
		"empty piece":      func(d *VocabData) { d.Pieces = append(d.Pieces, "") },
		"bad utf8":         func(d *VocabData) { d.Pieces = append(d.Pieces, "\xff") },
		"unknown merge":    func(d *VocabData) { d.Merges = append(d.Merges, [2]string{"zzz", "q"}) },
		"merge result":     func(d *VocabData) { d.Merges = append(d.Merges, [2]string{d.Pieces[6], d.Pieces[7]}) },
	} {
		d := VocabData{Pieces: slices.Clone(good.Pieces), Merges: slices.Clone(good.Merges)}
		mutate(&d)
		if _, err := NewVocab(d); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLearnDeterministic(t *testing.T) {
	a, b := learnTest(t, 100).Data(), learnTest(t, 100).Data()
	if !slices.Equal(a.Pieces, b.Pieces) || !slices.Equal(a.Merges, b.Merges) {
		t.Error("two runs learned different vocabularies")
	}
}

func TestWords(t *testing.T) {
	v := learnTest(t, 100)
	s := "Where is the station?"
	e := v.Encode(s)
	words := v.Words(e.IDs)
	if len(words) != 4 {
		t.Fatalf("%d words, want 4", len(words))
	}
	for i, w := range words {
		for _, pos := range w {
			if e.Word[pos] != i {
				t.Errorf("piece %d: Words says word %d, Encode says %d", pos, i, e.Word[pos])
			}
		}
	}
}

func FuzzEncode(f *testing.F) {
	v, err := Learn(bpeCorpus, LearnConfig{Merges: 100, MinCharCount: 1})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range bpeCorpus {
		f.Add(s)
	}
	f.Add("\xff\xfe 😀 a\u0301")
	f.Fuzz(func(t *testing.T, s string) {
		e := v.Encode(s)
		want := strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
		// Fields splits on Unicode spaces; pretokenize does the same.
		if got := v.Decode(e.IDs, e.Unknown); got != want {
			t.Errorf("%q → %q, want %q", s, got, want)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	v, err := Learn(bpeCorpus, LearnConfig{Merges: 200, MinCharCount: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		v.Encode(bpeCorpus[rng.IntN(len(bpeCorpus))])
	}
}
