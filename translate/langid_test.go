package translate

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDetectLanguage(t *testing.T) {
	enes := []string{"en", "es"}
	tests := []struct {
		name  string
		texts []string
		langs []string
		want  string
		ok    bool
	}{
		{"english", []string{"Where is the station?"}, enes, "en", true},
		{"spanish", []string{"¿Dónde está la estación?"}, enes, "es", true},
		{"spanish_letters_only", []string{"Mañana"}, enes, "es", true},
		{"many_lines", []string{"Tom", "I think so.", "", "Thank you very much."}, enes, "en", true},
		{"french", []string{"Je ne sais pas où il est."}, []string{"en", "fr"}, "fr", true},
		{"german", []string{"Ich weiß nicht, wo er ist."}, []string{"de", "en"}, "de", true},
		{"apostrophes", []string{"I don’t know, it’s late"}, enes, "en", true},
		{"no_evidence", []string{"Tom", "42", "🙂"}, enes, "", false},
		{"empty", nil, enes, "", false},
		{"unknown_languages", []string{"the cat"}, []string{"xx", "yy"}, "", false},
		{"tie", []string{"la"}, []string{"es", "fr"}, "", false},
		{"only_candidates", []string{"Ich bin hier"}, enes, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := DetectLanguage(tc.texts, tc.langs)
			if got != tc.want || ok != tc.ok {
				t.Errorf("DetectLanguage(%q, %v) = %q, %v; want %q, %v", tc.texts, tc.langs, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestDetectLanguageTatoeba measures single-sentence accuracy on both
// sides of the Tatoeba English–Spanish dev split (skipped without it).
func TestDetectLanguageTatoeba(t *testing.T) {
	dir := os.Getenv("PARLEY_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	pairs, err := ReadPairsFile(filepath.Join(dir, "tatoeba_parallel", "eng-spa.dev.tsv"))
	if err != nil {
		t.Skipf("Tatoeba dev split not available (set PARLEY_DATA): %v", err)
	}
	for _, side := range []string{"en", "es"} {
		right, none := 0, 0
		for _, p := range pairs {
			text := p.Src
			if side == "es" {
				text = p.Tgt
			}
			switch got, ok := DetectLanguage([]string{text}, []string{"en", "es"}); {
			case !ok:
				none++
			case got == side:
				right++
			}
		}
		acc := float64(right) / float64(len(pairs))
		t.Logf("%s sentences: %d of %d right (%.2f%%), %d undecided", side, right, len(pairs), 100*acc, none)
		if acc < 0.9 {
			t.Errorf("%s: accuracy %.4f < 0.9", side, acc)
		}
	}
}
