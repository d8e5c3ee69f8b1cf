package nlu

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// validBIO reports whether every I-x follows B-x or I-x.
func validBIO(tags []string) bool {
	prev := "O"
	for _, t := range tags {
		if name, ok := strings.CutPrefix(t, "I-"); ok && prev != "B-"+name && prev != t {
			return false
		}
		prev = t
	}
	return true
}

func TestViterbiAlwaysValidBIO(t *testing.T) {
	tagset := []string{"O", "B-a", "B-b", "B-long_name", "I-a", "I-b", "I-long_name"}
	tr := bioTransitions(tagset)
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := range 3000 {
		T := 1 + rng.IntN(12)
		lp := make([][]float64, T)
		for i := range lp {
			lp[i] = make([]float64, len(tagset))
			for j := range lp[i] {
				lp[i][j] = rng.NormFloat64() * 5
				if rng.IntN(4) == 0 && strings.HasPrefix(tagset[j], "I-") {
					lp[i][j] = 50 // tempt the decoder with strong I- scores
				}
			}
		}
		path := viterbi(lp, tr)
		got := make([]string, len(path))
		for i, id := range path {
			got[i] = tagset[id]
		}
		if len(got) != T || !validBIO(got) {
			t.Fatalf("iteration %d: invalid path %v", iter, got)
		}
		// The path is optimal among valid paths: compare with brute force
		// on short inputs.
		if T <= 4 {
			best := math.Inf(-1)
			var rec func(t int, prev string, s float64)
			rec = func(i int, prev string, s float64) {
				if i == T {
					best = math.Max(best, s)
					return
				}
				for j, tag := range tagset {
					if name, ok := strings.CutPrefix(tag, "I-"); ok && prev != "B-"+name && prev != tag {
						continue
					}
					rec(i+1, tag, s+lp[i][j])
				}
			}
			rec(0, "O", 0)
			var s float64
			for i, id := range path {
				s += lp[i][id]
			}
			if math.Abs(s-best) > 1e-9 {
				t.Fatalf("iteration %d: path score %v, best valid %v", iter, s, best)
			}
		}
	}
}

func TestViterbiUnconstrainedAgrees(t *testing.T) {
	// When the argmax path is valid, Viterbi returns it.
	tagset := []string{"O", "B-x", "I-x"}
	lp := [][]float64{{-3, -0.1, -3}, {-3, -3, -0.1}, {-0.1, -3, -3}}
	p := viterbi(lp, bioTransitions(tagset))
	if p[0] != 1 || p[1] != 2 || p[2] != 0 {
		t.Errorf("path %v", p)
	}
	// O → I-x is repaired.
	lp = [][]float64{{-0.1, -3, -3}, {-3, -2, -0.1}}
	p = viterbi(lp, bioTransitions(tagset))
	if tagset[p[0]] == "O" && tagset[p[1]] == "I-x" {
		t.Errorf("invalid path %v", p)
	}
}

func TestTokenizeOffsets(t *testing.T) {
	text := "  play   Mötley\tCrüe  on 日本 radio\u00a0now "
	toks := tokenize(text)
	want := []string{"play", "Mötley", "Crüe", "on", "日本", "radio", "now"}
	if len(toks) != len(want) {
		t.Fatalf("tokens %v", toks)
	}
	for i, tk := range toks {
		if tk.text != want[i] || text[tk.start:tk.end] != want[i] {
			t.Errorf("token %d: %+v, want %q", i, tk, want[i])
		}
	}
	if got := tokenize(" \t\n"); len(got) != 0 {
		t.Errorf("white space only: %v", got)
	}
	// Invalid UTF-8 stays inside tokens.
	junk := "a\xff\xfe b"
	toks = tokenize(junk)
	if len(toks) != 2 || toks[0].text != "a\xff\xfe" || toks[1].start != 4 {
		t.Errorf("junk: %+v", toks)
	}
}

// TestTokenizeMatchesTrainingData: parse-time tokens split punctuation
// like the YAML and grammar readers do, with offsets into the text.
func TestTokenizeMatchesTrainingData(t *testing.T) {
	text := "wake me up, at 7.30 please?! thanks."
	var got []string
	for _, tk := range tokenize(text) {
		if text[tk.start:tk.end] != tk.text {
			t.Errorf("token %+v does not match its span", tk)
		}
		got = append(got, tk.text)
	}
	want := []string{"wake", "me", "up", ",", "at", "7.30", "please", "?", "!", "thanks", "."}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tokens %q, want %q", got, want)
	}
	exs, err := ReadYAML(strings.NewReader("intents:\n  - intent: x\n    examples:\n      - \"wake me up, at 7.30 please?! thanks.\"\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(exs[0].Tokens, " ") != strings.Join(want, " ") {
		t.Errorf("YAML reader tokens %q differ from parse-time tokens %q", exs[0].Tokens, want)
	}
}

// TestSlotsExcludePunctuation: a slot never ends in split-off
// punctuation, whatever tag the model gave it.
func TestSlotsExcludePunctuation(t *testing.T) {
	m := &Model{Vocab: &Vocab{Intents: []string{"x"}, Tags: []string{"O", "B-when", "I-when"}}, Cfg: Config{Threshold: 0.5}}
	text := "rain tomorrow?"
	ts := tokenize(text) // rain, tomorrow, ?
	r := m.result(text, ts, prediction{intentProbs: []float64{1}, tags: []int{0, 1, 2}})
	if len(r.Slots) != 1 || r.Slots[0].Raw != "tomorrow" || r.Slots[0].End != 13 {
		t.Errorf("slots %+v, want one slot %q ending at 13", r.Slots, "tomorrow")
	}
}
