package translate

import (
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sacreBLEU's own BLEU test corpus (test/test_bleu.py, the README example).
var (
	sbHyps = []string{
		"The dog bit the man.",
		"It wasn't surprising.",
		"The man had just bitten him.",
	}
	sbRefs = [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
)

// TestCorpusBLEUSacreBLEU checks the values sacreBLEU's test_bleu.py asserts
// (to 1e-8 there).
func TestCorpusBLEUSacreBLEU(t *testing.T) {
	for _, tc := range []struct {
		name string
		hyps []string
		opt  BLEUOptions
		want float64
	}{
		{"default", sbHyps, BLEUOptions{}, 48.530827},
		{"13a", sbHyps, BLEUOptions{Tokenize: "13a"}, 48.530827},
		{"none", sbHyps, BLEUOptions{Tokenize: "none"}, 49.1919566},
		{"empty hypotheses", []string{"", "", ""}, BLEUOptions{}, 0},
	} {
		b, err := CorpusBLEU(tc.hyps, sbRefs, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(b.Score-tc.want) > 1e-6 {
			t.Errorf("%s: BLEU = %.9f, sacreBLEU %.9f", tc.name, b.Score, tc.want)
		}
	}
}

// TestCorpusBLEUPeer checks CorpusBLEU against /work/shared/peers/bleu.py
// (`bleu.py HYP REF... [--lowercase] [--tokenize none]`, one file per
// reference set): its score, and its sacreBLEU-style line to the digit.
func TestCorpusBLEUPeer(t *testing.T) {
	for _, tc := range []struct {
		name string
		hyps []string
		refs [][]string
		opt  BLEUOptions
		want float64
		line string
	}{
		{"sacrebleu 13a", sbHyps, sbRefs, BLEUOptions{}, 48.53082700992989,
			"BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"},
		{"sacrebleu none", sbHyps, sbRefs, BLEUOptions{Tokenize: "none"}, 49.19195660047278,
			"BLEU = 49.19 71.4/54.5/50.0/40.0 (BP = 0.931 ratio = 0.933 hyp_len = 14 ref_len = 15)"},
		{"sacrebleu empty hypotheses", []string{"", "", ""}, sbRefs, BLEUOptions{}, 0,
			"BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 17)"},
		{"single reference",
			[]string{
				"It is a guide to action which ensures that the military always obeys the commands of the party.",
				"he read the book because he was interested in world history",
			},
			[][]string{{
				"It is a guide to action that ensures that the military will forever heed Party commands.",
				"he was interested in world history because he read the book",
			}}, BLEUOptions{}, 51.73042288331885,
			"BLEU = 51.73 76.7/60.7/46.2/33.3 (BP = 1.000 ratio = 1.071 hyp_len = 30 ref_len = 28)"},
		{"three references",
			[]string{
				"It is a guide to action which ensures that the military always obeys the commands of the party.",
				"he read the book because he was interested in world history",
			},
			[][]string{
				{
					"It is a guide to action that ensures that the military will forever heed Party commands.",
					"he was interested in world history because he read the book",
				},
				{
					"It is the guiding principle which guarantees the military forces always being under the command of the Party.",
					"he read a book since he was interested in the history of the world",
				},
				{
					"It is the practical guide for the army always to heed the directions of the party.",
					"because he was interested in world history, he read the book",
				},
			}, BLEUOptions{}, 63.8283832753588,
			"BLEU = 63.83 96.7/71.4/57.7/41.7 (BP = 1.000 ratio = 1.000 hyp_len = 30 ref_len = 30)"},
		{"cased",
			[]string{"The Cat sat on THE mat.", "A Dog barked at the Moon."},
			[][]string{{"the cat sat on the mat.", "a dog barked at the moon!"}},
			BLEUOptions{}, 17.965205598154217,
			"BLEU = 17.97 50.0/33.3/10.0/6.2 (BP = 1.000 ratio = 1.000 hyp_len = 14 ref_len = 14)"},
		{"lowercase",
			[]string{"The Cat sat on THE mat.", "A Dog barked at the Moon."},
			[][]string{{"the cat sat on the mat.", "a dog barked at the moon!"}},
			BLEUOptions{Lowercase: true}, 90.4834871504542,
			"BLEU = 90.48 92.9/91.7/90.0/87.5 (BP = 1.000 ratio = 1.000 hyp_len = 14 ref_len = 14)"},
		{"spanish accents and inverted marks",
			[]string{"¿Dónde está la estación?", "El tren sale en 3.5 horas, ¡qué rápido!", "Cuesta 1,000 euros (IVA incluido).", "Mañana vamos a Málaga."},
			[][]string{{"¿Dónde está la estación de tren?", "El tren sale en 3.5 horas, ¡qué rápido!", "Cuesta 1.000 euros (IVA incluido).", "Mañana iremos a Málaga."}},
			BLEUOptions{}, 73.05532481262998,
			"BLEU = 73.06 92.9/79.2/75.0/68.8 (BP = 0.931 ratio = 0.933 hyp_len = 28 ref_len = 30)"},
		{"numbers",
			[]string{"The price rose 3.5% to $1,000,000 in 2020-2021.", "A 5-year plan costs 12.50 dollars, or 1,5 euros.", "Call 555-1234 at 10:30."},
			[][]string{{"The price rose by 3.5 % to $1,000,000 in 2020 - 2021.", "A 5-year plan costs 12.50 dollars or 1,5 euros.", "Call 555-1234 at 10:30 today."}},
			BLEUOptions{}, 80.3255238407648,
			"BLEU = 80.33 97.1/87.5/79.3/69.2 (BP = 0.972 ratio = 0.972 hyp_len = 35 ref_len = 36)"},
		{"numbers tokenize none",
			[]string{"The price rose 3.5% to $1,000,000 in 2020-2021.", "A 5-year plan costs 12.50 dollars, or 1,5 euros.", "Call 555-1234 at 10:30."},
			[][]string{{"The price rose by 3.5 % to $1,000,000 in 2020 - 2021.", "A 5-year plan costs 12.50 dollars or 1,5 euros.", "Call 555-1234 at 10:30 today."}},
			BLEUOptions{Tokenize: "none"}, 35.67344295463084,
			"BLEU = 35.67 81.0/66.7/46.7/16.7 (BP = 0.788 ratio = 0.808 hyp_len = 21 ref_len = 26)"},
		{"empty hypothesis lines",
			[]string{"", "the cat is on the mat", "", ""},
			[][]string{{"there is a cat", "the cat is on the mat", "a dog", "x"}},
			BLEUOptions{}, 31.140322391459772,
			"BLEU = 31.14 100.0/100.0/100.0/100.0 (BP = 0.311 ratio = 0.462 hyp_len = 6 ref_len = 13)"},
		{"entities and skipped",
			[]string{"Tom &amp; Jerry said &quot;hi&quot; &lt;3 <skipped>", "x &amp;amp; y"},
			[][]string{{"Tom & Jerry said \"hi\" <3", "x &amp; y"}},
			BLEUOptions{}, 76.21991222319221,
			"BLEU = 76.22 85.7/75.0/70.0/75.0 (BP = 1.000 ratio = 1.167 hyp_len = 14 ref_len = 12)"},
		{"exp smoothing of unmatched orders",
			[]string{"the cat the dog"}, [][]string{{"the dog the cat"}},
			BLEUOptions{}, 45.180100180492246,
			"BLEU = 45.18 100.0/66.7/25.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)"},
		{"no 4-grams in the corpus",
			[]string{"the cat sat"}, [][]string{{"the cat sat down"}},
			BLEUOptions{}, 0,
			"BLEU = 0.00 100.0/100.0/100.0/0.0 (BP = 0.717 ratio = 0.750 hyp_len = 3 ref_len = 4)"},
		{"hypothesis longer than reference",
			[]string{"the quick brown fox jumps over the lazy dog again and again"},
			[][]string{{"the quick brown fox jumps over the lazy dog"}},
			BLEUOptions{}, 71.02992180127423,
			"BLEU = 71.03 75.0/72.7/70.0/66.7 (BP = 1.000 ratio = 1.333 hyp_len = 12 ref_len = 9)"},
		{"closest reference length, shorter on ties",
			[]string{"a b c d e f"}, [][]string{{"a b c d e f g h"}, {"a b c d"}},
			BLEUOptions{}, 100,
			"BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.500 hyp_len = 6 ref_len = 4)"},
		{"greek final sigma when lowercasing",
			[]string{"ΟΔΟΣ ΑΘΗΝΑΣ 5, ΑΘΗΝΑ", "Η ΟΔΟΣ ΕΙΝΑΙ ΚΛΕΙΣΤΗ"},
			[][]string{{"οδος αθηνας 5, αθηνα", "η οδος ειναι κλειστη"}},
			BLEUOptions{Lowercase: true}, 100,
			"BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 9 ref_len = 9)"},
		{"dotted capital I when lowercasing",
			[]string{"İSTANBUL çok güzel bir şehir"}, [][]string{{"i\u0307stanbul çok güzel bir şehir"}},
			BLEUOptions{Lowercase: true}, 100,
			"BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 5 ref_len = 5)"},
		// sacreBLEU skips an empty reference; bleu.py does not, so its value
		// comes from the same files with the empty line replaced by a copy
		// of the other reference (a duplicate reference changes nothing).
		{"empty reference skipped",
			[]string{"the cat is on the mat", "there is a dog here"},
			[][]string{{"the cat is on the mat", "there is a dog"}, {"a cat is on the mat", ""}},
			BLEUOptions{}, 86.27788640890415,
			"BLEU = 86.28 90.9/88.9/85.7/80.0 (BP = 1.000 ratio = 1.100 hyp_len = 11 ref_len = 10)"},
	} {
		b, err := CorpusBLEU(tc.hyps, tc.refs, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(b.Score-tc.want) > 1e-9 {
			t.Errorf("%s: BLEU = %.15g, bleu.py %.15g", tc.name, b.Score, tc.want)
		}
		if got := b.String(); got != tc.line {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.line)
		}
	}
}

// TestCorpusBLEUNoMatch: sacreBLEU 2.x stops early when no n-gram matches
// at all (its issue #141) and reports 0 with zero precisions. (bleu.py
// smooths all four orders instead and reports 7.99 here.)
func TestCorpusBLEUNoMatch(t *testing.T) {
	b, err := CorpusBLEU([]string{"a b c d"}, [][]string{{"e f g h"}}, BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)"
	if b.Score != 0 || b.String() != want {
		t.Errorf("got %s (%g), want %s", b, b.Score, want)
	}
}

// TestCorpusBLEUTrailingWhitespace: sacreBLEU strips trailing whitespace
// before tokenising, so a trailing newline does not join "5-" with nothing.
func TestCorpusBLEUTrailingWhitespace(t *testing.T) {
	a, err := CorpusBLEU([]string{"in 5-\n "}, [][]string{{"in 5-"}}, BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Score != 0 || a.HypLen != 3 || a.RefLen != 3 {
		// "in 5 -": 3 tokens on both sides, but only 3 tokens means no 4-gram.
		t.Errorf("got %s", a)
	}
	if got := Tokenize13a("in 5-\n"); !slices.Equal(got, []string{"in", "5"}) {
		t.Errorf("Tokenize13a alone joins the line: got %q", got)
	}
}

func TestCorpusErrors(t *testing.T) {
	hyps := []string{"a", "b"}
	for _, tc := range []struct {
		name string
		hyps []string
		refs [][]string
		opt  BLEUOptions
	}{
		{"no hypotheses", nil, [][]string{{}}, BLEUOptions{}},
		{"no references", hyps, nil, BLEUOptions{}},
		{"short reference set", hyps, [][]string{{"a", "b"}, {"a"}}, BLEUOptions{}},
		{"long reference set", hyps, [][]string{{"a", "b", "c"}}, BLEUOptions{}},
		{"all references empty", hyps, [][]string{{"a", ""}, {"a", ""}}, BLEUOptions{}},
		{"unknown tokenizer", hyps, [][]string{{"a", "b"}}, BLEUOptions{Tokenize: "intl"}},
	} {
		if _, err := CorpusBLEU(tc.hyps, tc.refs, tc.opt); err == nil || !strings.HasPrefix(err.Error(), "translate: ") {
			t.Errorf("CorpusBLEU %s: err = %v", tc.name, err)
		}
		if tc.opt.Tokenize != "" {
			continue
		}
		if _, err := CorpusChrF(tc.hyps, tc.refs); err == nil || !strings.HasPrefix(err.Error(), "translate: ") {
			t.Errorf("CorpusChrF %s: err = %v", tc.name, err)
		}
	}
}

// TestTokenize13a: token lists from bleu.py's tok_13a.
func TestTokenize13a(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Hello, world!", []string{"Hello", ",", "world", "!"}},
		{"It costs $3.50 (or 1,000 yen).", []string{"It", "costs", "$", "3.50", "(", "or", "1,000", "yen", ")", "."}},
		{"¿Dónde está la estación?", []string{"¿Dónde", "está", "la", "estación", "?"}},
		{"The 5-year plan, 2020-2021.", []string{"The", "5", "-", "year", "plan", ",", "2020", "-", "2021", "."}},
		{"e.g. U.S.A. ...", []string{"e", ".", "g", ".", "U", ".", "S", ".", "A", ".", ".", ".", "."}},
		{"Tom &amp; Jerry &quot;hi&quot; &amp;lt; <skipped> x", []string{"Tom", "&", "Jerry", `"`, "hi", `"`, "<", "x"}},
		{"line-\nbreak\nhere", []string{"linebreak", "here"}},
		{"don't stop--now", []string{"don't", "stop--now"}},
		{"a.b,c 1.b a.1 .5 5. ,,", []string{"a", ".", "b", ",", "c", "1", ".", "b", "a", ".", "1", ".", "5", "5", ".", ",", ","}},
		{"tab\there\u00a0nbsp\u2003em\x1cfs", []string{"tab", "here", "nbsp", "em", "fs"}},
		{"", nil},
		{"   ", nil},
		{"x<y>z{w}|~^_`[a]\\b", []string{"x", "<", "y", ">", "z", "{", "w", "}", "|", "~", "^", "_", "`", "[", "a", "]", `\`, "b"}},
		{"9-9-9 a-b -5", []string{"9", "-", "9", "-", "9", "a-b", "-5"}},
	} {
		if got := Tokenize13a(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize13a(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// tokenize13aRegexp is sacreBLEU's Tokenizer13a written with its regular
// expressions, as an oracle for the hand-written scanner.
func tokenize13aRegexp(line string) []string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	line = strings.ReplaceAll(line, "&quot;", `"`)
	line = strings.ReplaceAll(line, "&amp;", "&")
	line = strings.ReplaceAll(line, "&lt;", "<")
	line = strings.ReplaceAll(line, "&gt;", ">")
	line = " " + line + " "
	for _, r := range []struct{ re, repl string }{
		{"([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])", " ${1} "},
		{`([^0-9])([\.,])`, "${1} ${2} "},
		{`([\.,])([^0-9])`, " ${1} ${2}"},
		{`([0-9])(-)`, "${1} ${2} "},
	} {
		line = regexp.MustCompile(r.re).ReplaceAllString(line, r.repl)
	}
	return pyFields(line)
}

func TestTokenize13aMatchesRegexps(t *testing.T) {
	pieces := []string{"a", "Z", "0", "7", ".", ",", "-", " ", "\n", "&", "&amp;", "&quot;", "&lt;",
		"<skipped>", "'", "$", "%", ";", "é", "¿", "€", "\t", "\u00a0", "\x1c", "-\n", "ab", "12"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(16) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := Tokenize13a(s), tokenize13aRegexp(s); !slices.Equal(got, want) {
			t.Fatalf("Tokenize13a(%q) = %q, regexps give %q", s, got, want)
		}
	}
}

func TestPyLower(t *testing.T) {
	for in, want := range map[string]string{
		"Hello ÀÉÎ":      "hello àéî",
		"ΟΔΟΣ ΑΘΗΝΑΣ.":   "οδος αθηνας.",
		"ΣΑΣ":            "σας",
		"Σ":              "σ", // no cased letter before
		"ΑΣ'Β":           "ασ'β",
		"ΑΣ' Β":          "ας' β",
		"İstanbul":       "i\u0307stanbul",
		"ǅ":              "ǆ",
		"already lower.": "already lower.",
	} {
		if got := pyLower(in); got != want {
			t.Errorf("pyLower(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCorpusChrF: values sacreBLEU 2.x gives with its defaults, quoted in
// the Hugging Face chrF metric card, and values from a transcription of
// sacreBLEU's chrf.py (multi-reference, accents, empty lines).
func TestCorpusChrF(t *testing.T) {
	for _, tc := range []struct {
		name string
		hyps []string
		refs [][]string
		want float64
	}{
		{"metric card, one sentence",
			[]string{"The relationship between Obama and Netanyahu is not exactly friendly."},
			[][]string{{"The ties between Obama and Netanyahu are not particularly friendly."}},
			61.576379378113785},
		{"metric card, two sentences",
			[]string{"The relationship between cats and dogs is not exactly friendly.", "a good bookshop is just a genteel black hole that knows how to read."},
			[][]string{{"The relationship between dogs and cats is not exactly friendly.", "A good bookshop is just a genteel Black Hole that knows how to read."}},
			84.64214891738334},
		{"two references",
			[]string{"It is a guide to action which ensures that the military always obeys the commands of the party.", "he read the book because he was interested in world history"},
			[][]string{
				{"It is a guide to action that ensures that the military will forever heed Party commands.", "he was interested in world history because he read the book"},
				{"It is the guiding principle which guarantees the military forces always being under the command of the Party.", "he read a book since he was interested in the history of the world"},
			},
			74.13600886048994},
		{"spanish",
			[]string{"¿Dónde está la estación?", "El tren sale en 3.5 horas, ¡qué rápido!", "Cuesta 1,000 euros."},
			[][]string{{"¿Dónde está la estación de tren?", "El tren sale en 3.5 horas, ¡qué rápido!", "Cuesta 1.000 euros."}},
			86.36085710932515},
		{"empty hypothesis line",
			[]string{"", "the cat is on the mat", "a dog"},
			[][]string{{"there is a cat", "the cat is on the mat", "the dog"}},
			62.07606453362678},
		{"sentences shorter than 6 characters",
			[]string{"ab", "xyz"}, [][]string{{"abc", "xy"}}, 73.33333333333333},
		{"empty reference skipped",
			[]string{"the cat is on the mat", "there is a dog here"},
			[][]string{{"the cat is on the mat", "there is a dog"}, {"a cat is on the mat", ""}},
			96.41985835201753},
		{"identical", []string{"Niemand hat die Absicht."}, [][]string{{"Niemand hat die Absicht."}}, 100},
		{"nothing in common", []string{"abc"}, [][]string{{"xyz"}}, 0},
	} {
		c, err := CorpusChrF(tc.hyps, tc.refs)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(c.Score-tc.want) > 1e-9 {
			t.Errorf("%s: chrF = %.15g, want %.15g", tc.name, c.Score, tc.want)
		}
	}
	c, _ := CorpusChrF([]string{"The relationship between Obama and Netanyahu is not exactly friendly."},
		[][]string{{"The ties between Obama and Netanyahu are not particularly friendly."}})
	if got := c.String(); got != "chrF2 = 61.58" {
		t.Errorf("String() = %q", got)
	}
}

// TestCorpusChrFBestReference: each sentence is scored against its best
// reference, whichever reference set holds it.
func TestCorpusChrFBestReference(t *testing.T) {
	hyps := []string{"the cat sat on the mat", "a dog barked"}
	good := []string{"the cat sat on a mat", "the dog barked"}
	bad := []string{"completely unrelated words", "zzz"}
	want, err := CorpusChrF(hyps, [][]string{good})
	if err != nil {
		t.Fatal(err)
	}
	for _, refs := range [][][]string{{good, bad}, {bad, good}, {{good[0], bad[1]}, {bad[0], good[1]}}} {
		got, err := CorpusChrF(hyps, refs)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("refs %q: %v, want %v", refs, got, want)
		}
	}
}

// TestChrFSacreBLEUCases: sacreBLEU's test_chrf.py cases, which use other
// settings than chrF2's defaults (beta 3, epsilon smoothing, whitespace,
// sentence level), and the chrF++ values of the metric card. sacreBLEU
// asserts them to 1e-4.
func TestChrFSacreBLEUCases(t *testing.T) {
	beta3eps := chrfConfig{charOrder: 6, beta: 3, epsSmoothing: true}
	beta3 := chrfConfig{charOrder: 6, beta: 3}
	beta3ws := chrfConfig{charOrder: 6, beta: 3, whitespace: true}
	sentence := chrfConfig{charOrder: 6, beta: 2, epsSmoothing: true}
	chrfpp := chrfConfig{charOrder: 6, wordOrder: 2, beta: 2}
	chrfppLC := chrfConfig{charOrder: 6, wordOrder: 2, beta: 2, lowercase: true}
	card := []string{"The relationship between cats and dogs is not exactly friendly.", "a good bookshop is just a genteel black hole that knows how to read."}
	cardRefs := [][]string{{"The relationship between dogs and cats is not exactly friendly.", "A good bookshop is just a genteel Black Hole that knows how to read."}}
	for i, tc := range []struct {
		cfg  chrfConfig
		hyps []string
		refs []string
		want float64
	}{
		{beta3eps, []string{"abcdefg"}, []string{"hijklmnop"}, 0},
		{beta3eps, []string{"a"}, []string{"b"}, 0},
		{beta3eps, []string{""}, []string{"b"}, 0},
		{beta3eps, []string{""}, []string{"ref"}, 0},
		{beta3eps, []string{""}, []string{"reference"}, 0},
		{beta3eps, []string{"aa"}, []string{"ab"}, 8.3333},
		{beta3eps, []string{"a", "b"}, []string{"a", "c"}, 8.3333},
		{beta3eps, []string{"a"}, []string{"a"}, 16.6667},
		{beta3eps, []string{"a b c"}, []string{"a b c"}, 50},
		{beta3eps, []string{"a b c"}, []string{"abc"}, 50},
		{beta3eps, []string{" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 63.361730},
		{beta3eps, []string{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 64.1302698},
		{beta3eps, []string{"Niemand hat die Absicht, eine Mauer zu errichten"}, []string{"Niemand hat die Absicht, eine Mauer zu errichten"}, 100},
		{beta3, []string{"a"}, []string{"a"}, 100},
		{beta3, []string{""}, []string{"reference"}, 0},
		{beta3, []string{"a b c"}, []string{"a b c"}, 100},
		{beta3, []string{"a b c"}, []string{"abc"}, 100},
		{beta3, []string{""}, []string{"c"}, 0},
		{beta3, []string{"a", "b"}, []string{"a", "c"}, 50},
		{beta3, []string{"aa"}, []string{"ab"}, 25},
		{beta3ws, []string{"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 67.3481606},
		{beta3ws, []string{"risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 65.2414427},
		{sentence, []string{"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře."},
			[]string{"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."}, 39.14078509},
		{sentence, []string{"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři."},
			[]string{"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři."}, 31.22557079},
		{sentence, []string{"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly."},
			[]string{"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli."}, 57.15704367},
		{chrfpp, card, cardRefs[0], 82.87263732906315},
		{chrfppLC, card, cardRefs[0], 92.12853119829202},
	} {
		got, err := tc.cfg.corpus(tc.hyps, [][]string{tc.refs})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("case %d %q: chrF = %.7f, sacreBLEU %.7f", i, tc.hyps, got, tc.want)
		}
	}
}
