package nlu

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// expandString is ExpandGrammar on src named "s.ini".
func expandString(src string, lists map[string][]string, limit int) ([]Example, error) {
	return ExpandGrammar(strings.NewReader(src), "s.ini", lists, limit)
}

func TestExpandGrammar(t *testing.T) {
	t.Parallel()
	numbers := map[string][]string{"number": {"five", "twenty one"}}
	tests := []struct {
		name  string
		src   string
		lists map[string][]string
		want  []string // "Intent: word/TAG ..." as exString writes them
	}{
		{"plain", "[A]\nwhat time is it\n", nil, []string{"A: what/O time/O is/O it/O"}},
		{"alternatives", "[A]\n(a | b c) d\n", nil, []string{"A: a/O d/O", "A: b/O c/O d/O"}},
		{"nested alternatives", "[A]\n(a | (b | c) x)\n", nil, []string{"A: a/O", "A: b/O x/O", "A: c/O x/O"}},
		{"top-level alternatives", "[A]\na | b\n", nil, []string{"A: a/O", "A: b/O"}},
		{"optional", "[A]\n[a] b\n", nil, []string{"A: a/O b/O", "A: b/O"}},
		{"optional alternatives", "[A]\n[a | b] c\n", nil, []string{"A: a/O c/O", "A: b/O c/O", "A: c/O"}},
		{"empty expansion dropped", "[A]\n[a] [b]\n", nil, []string{"A: a/O b/O", "A: a/O", "A: b/O"}},
		{"duplicates kept once", "[A]\n(a | a) [b]\na\n", nil, []string{"A: a/O b/O", "A: a/O"}},
		{"rule", "[A]\nx <r>\nr = (a | b)\n", nil, []string{"A: x/O a/O", "A: x/O b/O"}},
		{"rule of rules", "[A]\n<r>\nr = <s> <s>\ns = a | b\n", nil, []string{"A: a/O a/O", "A: a/O b/O", "A: b/O a/O", "A: b/O b/O"}},
		{"cross-section rule", "[A]\n<B.r> x\n[B]\nr = b\n", nil, []string{"A: b/O x/O"}},
		{"dotted section", "[my.intent]\nr = z\n[A]\n<my.intent.r>\n", nil, []string{"A: z/O"}},
		{"rules-only section", "[Common]\nr = a\n[A]\n<Common.r>\n", nil, []string{"A: a/O"}},
		{"tag a word", "[A]\nset five{n} timers\n", nil, []string{"A: set/O five/B-n timers/O"}},
		{"tag after white space", "[A]\nset five {n}\n", nil, []string{"A: set/O five/B-n"}},
		{"tag a group", "[A]\n(five minutes | an hour){duration} now\n", nil,
			[]string{"A: five/B-duration minutes/I-duration now/O", "A: an/B-duration hour/I-duration now/O"}},
		{"tag an optional", "[A]\nx [please]{p}\n", nil, []string{"A: x/O please/B-p", "A: x/O"}},
		{"tag a list", "[A]\nfor $number{n}\n", numbers, []string{"A: for/O five/B-n", "A: for/O twenty/B-n one/I-n"}},
		{"tag a rule", "[A]\n<d>{duration}\nd = $number minutes\n", numbers,
			[]string{"A: five/B-duration minutes/I-duration", "A: twenty/B-duration one/I-duration minutes/I-duration"}},
		{"tags inside a rule", "[A]\nin <d>\nd = ($number){amount} (minutes){unit}\n", numbers,
			[]string{"A: in/O five/B-amount minutes/B-unit", "A: in/O twenty/B-amount one/I-amount minutes/B-unit"}},
		{"adjacent tags of one slot", "[A]\n(one){n} (two){n}\n", nil, []string{"A: one/B-n two/B-n"}},
		{"comments", "# head\n[A]  # the intent\n  # indented\na c#  # trailing\n#b\n", nil, []string{"A: a/O c#/O"}},
		{"punctuation", "[A]\nwhat's the time [please]?\nyes, (st. louis){city}.\n", nil,
			[]string{"A: what's/O the/O time/O please/O ?/O", "A: what's/O the/O time/O ?/O", "A: yes/O ,/O st./B-city louis/I-city ./O"}},
		{"CRLF, BOM, tabs", "\ufeff[A]\r\n\ta\t(b|c)\r\n", nil, []string{"A: a/O b/O", "A: a/O c/O"}},
		{"intent names", "[atis_flight#atis_airfare]\na\n[Play-Music.2]\nb\n", nil, []string{"atis_flight#atis_airfare: a/O", "Play-Music.2: b/O"}},
		{"non-ASCII words", "[A]\npon (clásicos | música){playlist}\n", nil, []string{"A: pon/O clásicos/B-playlist", "A: pon/O música/B-playlist"}},
		{"literal Rhasspy extras", "[A]\nat 10:30 1..10\n", nil, []string{"A: at/O 10:30/O 1..10/O"}},
		{"section order", "[B]\nb\n[A]\na\n", nil, []string{"B: b/O", "A: a/O"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exs, err := expandString(tt.src, tt.lists, 1000)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(exs))
			for i, ex := range exs {
				got[i] = exString(ex)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tt.want, "\n "))
			}
		})
	}
}

func TestExpandGrammarErrors(t *testing.T) {
	t.Parallel()
	lists := map[string][]string{"number": {"one"}, "none": {}, "blank": {"a", " "}, "bad": {"a\x00"}}
	tests := []struct {
		name string
		src  string
		line int
		msg  string
	}{
		{"unclosed paren", "[A]\nset (a | b\n", 2, "unbalanced '(' at column 5: not closed by ')'"},
		{"unclosed bracket", "[A]\nx\nset [a\n", 3, "unbalanced '[' at column 5"},
		{"extra paren", "[A]\na b)\n", 2, "unbalanced ')' at column 4"},
		{"mismatched closer", "[A]\n(a]\n", 2, "unbalanced ']' at column 3"},
		{"unclosed angle", "[A]\n<r\nr = a\n", 2, "unbalanced '<' at column 1"},
		{"stray closing angle", "[A]\na > b\n", 2, "unbalanced '>' at column 3"},
		{"unclosed brace", "[A]\na{x\n", 2, "unbalanced '{' at column 2"},
		{"stray closing brace", "[A]\na }\n", 2, "unbalanced '}' at column 3"},
		{"column counts characters", "[A]\nmúsica )\n", 2, "unbalanced ')' at column 8"},
		{"empty group", "[A]\na () b\n", 2, "empty alternative at column 4"},
		{"empty optional", "[A]\na [ ] b\n", 2, "empty alternative at column 4"},
		{"empty last alternative", "[A]\n(a | ) b\n", 2, "empty alternative at column 5"},
		{"empty first alternative", "[A]\n(| a)\n", 2, "empty alternative at column 2"},
		{"double bar", "[A]\na || b\n", 2, "empty alternative at column 4"},
		{"top-level empty alternative", "[A]\na |\n", 2, "empty alternative"},
		{"unknown rule", "[A]\nx <nope>\n", 2, "unknown rule <nope> in [A]"},
		{"rule of another section", "[A]\nr = a\n[B]\n<r>\n", 4, "unknown rule <r> in [B]"},
		{"unknown section", "[A]\n<B.r>\n", 2, "<B.r>: unknown section [B]"},
		{"unknown rule in section", "[A]\n<B.r>\n[B]\ns = a\n", 2, "unknown rule <r> in [B]"},
		{"bad reference", "[A]\n<a b>\n", 2, "rule reference <a b> at column 1"},
		{"empty reference", "[A]\n<>\n", 2, "rule reference <>"},
		{"self-recursive rule", "[A]\nr = a <r>\n", 2, "rule r is recursive"},
		{"mutually recursive rules", "[A]\nx\nr = a <s>\ns = [b] <r>\n", 3, "rule r is recursive"},
		{"recursive across sections", "[A]\nr = <B.s>\n[B]\ns = <A.r>\n", 2, "rule r is recursive"},
		{"unknown list", "[A]\n$nope\n", 2, "unknown list $nope"},
		{"empty list", "[A]\n$none\n", 2, "list $none is empty"},
		{"blank list value", "[A]\n$blank\n", 2, "list $blank, value 2 is empty"},
		{"control character in list", "[A]\n$bad\n", 2, "list $bad, value 1: control character"},
		{"list without name", "[A]\na $ b\n", 2, `list "$" at column 3`},
		{"bad list name", "[A]\n$a.b\n", 2, `list "$a.b"`},
		{"tag on nothing", "[A]\n{x} a\n", 2, "slot tag {x} at column 1 follows no word or group"},
		{"tag after bar", "[A]\n(a | {x} b)\n", 2, "follows no word or group"},
		{"two tags", "[A]\n(a){x}{y}\n", 2, "second slot tag {y} at column 7"},
		{"nested tags", "[A]\n((a){x} b){y}\n", 2, "slot tag {y} around words that have slot tags"},
		{"nested tags through a rule", "[A]\n<r>{y}\nr = (a){x}\n", 2, "slot tag {y} around words"},
		{"bad slot name", "[A]\na{x y}\n", 2, `slot tag {x y} at column 2: slot name "x y"`},
		{"empty slot name", "[A]\na{}\n", 2, "empty slot name"},
		{"Rhasspy substitution", "[A]\n(a){x:1}\n", 2, "substitutions and converters are not supported"},
		{"Rhasspy converter", "[A]\n(1){x!int}\n", 2, "substitutions and converters are not supported"},
		{"section name with a space", "[A]\na\n[Set Timer]\nb\n", 3, "section [Set Timer]: want [Intent]"},
		{"optional group alone", "[A]\n[please | kindly]\n", 2, "section [please | kindly]: want [Intent]"},
		{"empty section name", "[]\n", 1, "section []"},
		{"extra closing bracket", "[A]\n[x]]\n", 2, "unbalanced ']' at column 4"},
		{"sentence outside a section", "# x\nhello\n[A]\na\n", 2, `"hello" outside a section`},
		{"rule outside a section", "r = a\n", 1, "outside a section"},
		{"duplicate section", "[A]\na\n[B]\nb\n[A]\nc\n", 5, "duplicate section [A] (first at line 1)"},
		{"duplicate rule", "[A]\nr = a\nx\nr = b\n", 4, "duplicate rule r in [A] (first at line 2)"},
		{"empty rule", "[A]\nx\nr =   # nothing\n", 3, "rule r is empty"},
		{"empty section", "[A]\n[B]\nb\n", 1, "section [A] has no sentences"},
		{"no sections", "# only a comment\n\n", 0, "no sections"},
		{"invalid UTF-8", "[A]\na\nb\xfe\n", 3, "invalid UTF-8 at byte 2"},
		{"control character", "[A]\na\x07\n", 2, "control character U+0007"},
		{"too long", "[A]\n<r6>\nr0 = a b c d e f g h\nr1 = <r0> <r0>\nr2 = <r1> <r1>\nr3 = <r2> <r2>\nr4 = <r3> <r3>\nr5 = <r4> <r4>\nr6 = <r5> <r5> <r5> <r5>\n", 2, "more than 1000 words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := expandString(tt.src, lists, 100)
			checkDataError(t, err, "s.ini", tt.line, tt.msg)
		})
	}
}

func TestExpandGrammarErrorText(t *testing.T) {
	t.Parallel()
	_, err := expandString("[A]\nset (a | b\n", nil, 10)
	if want := "nlu: s.ini line 2: unbalanced '(' at column 5: not closed by ')'"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestExpandGrammarNesting checks the depth bounds, in either order of
// definition for rules.
func TestExpandGrammarNesting(t *testing.T) {
	t.Parallel()
	group := func(depth int) string {
		return "[A]\n" + strings.Repeat("(", depth) + "a" + strings.Repeat(")", depth) + "\n"
	}
	chain := func(n int, reverse bool) string {
		lines := make([]string, n)
		for i := range n - 1 {
			lines[i] = fmt.Sprintf("r%d = <r%d>", i, i+1)
		}
		lines[n-1] = fmt.Sprintf("r%d = a", n-1)
		if reverse {
			for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
		return "[A]\n<r0>\n" + strings.Join(lines, "\n") + "\n"
	}
	tests := []struct {
		name string
		src  string
		msg  string // "" for no error
	}{
		{"groups at the bound", group(maxGroupDepth), ""},
		{"groups too deep", group(maxGroupDepth + 1), "groups nested deeper than 64"},
		{"rules at the bound", chain(maxRuleDepth, false), ""},
		{"rules at the bound, reversed", chain(maxRuleDepth, true), ""},
		{"rules too deep", chain(maxRuleDepth+2, false), "rule references nested deeper than 64"},
		{"rules too deep, reversed", chain(maxRuleDepth+2, true), "rule references nested deeper than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exs, err := expandString(tt.src, nil, 10)
			if tt.msg == "" {
				if err != nil || len(exs) != 1 {
					t.Errorf("got %d examples, error %v; want 1, nil", len(exs), err)
				}
				return
			}
			var de *DataError
			if !errors.As(err, &de) || !strings.Contains(de.Msg, tt.msg) {
				t.Errorf("error %v, want a *DataError with %q", err, tt.msg)
			}
		})
	}
}

func TestExpandGrammarLimit(t *testing.T) {
	t.Parallel()
	if _, err := expandString("[A]\na\n", nil, 0); err == nil || !strings.Contains(err.Error(), "limit 0") {
		t.Errorf("limit 0: error %v, want one naming the limit", err)
	}

	const src = "[A]\nsmall (a | b)\nbig (1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10) (1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10)\n[B]\nb\n"
	full, err := expandString(src, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 103 {
		t.Fatalf("full expansion: %d examples, want 2 + 100 + 1", len(full))
	}
	inFull := map[string]int{}
	for i, ex := range full {
		inFull[exString(ex)] = i
	}

	for _, limit := range []int{1, 2, 3, 10, 20, 99, 101, 102} {
		got, err := expandString(src, nil, limit)
		if err != nil {
			t.Fatal(err)
		}
		again, err := expandString(src, nil, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Errorf("limit %d: two runs differ", limit)
		}
		// Water filling: "small" keeps what it can, "big" takes the rest.
		small, big, b := 0, 0, 0
		seen := map[string]bool{}
		for _, ex := range got {
			s := exString(ex)
			if _, ok := inFull[s]; !ok {
				t.Errorf("limit %d: %s is not an expansion", limit, s)
			}
			if seen[s] {
				t.Errorf("limit %d: %s twice", limit, s)
			}
			seen[s] = true
			switch {
			case ex.Intent == "B":
				b++
			case ex.Tokens[0] == "small":
				small++
			default:
				big++
			}
		}
		wantSmall := min(2, limit/2)
		if small != wantSmall || big != limit-wantSmall || b != 1 {
			t.Errorf("limit %d: %d small, %d big, %d of B; want %d, %d, 1", limit, small, big, b, wantSmall, limit-wantSmall)
		}
	}

	// Sampling an intent does not depend on the other sections.
	alone, err := expandString("[A]\n(1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10) (1 | 2 | 3)\n", nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	withOther, err := expandString("[Z]\nz\n[A]\n(1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10) (1 | 2 | 3)\n", nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	checkExamples(t, withOther[1:], alone)

	// Enumerate-and-pick keeps expansion order (30 derivations <= 4*10).
	picked, err := expandString("[A]\n(a | b | c | d | e | f) (1 | 2 | 3 | 4 | 5)\n", nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	all, err := expandString("[A]\n(a | b | c | d | e | f) (1 | 2 | 3 | 4 | 5)\n", nil, 30)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, ex := range all {
		pos[exString(ex)] = i
	}
	for i := 1; i < len(picked); i++ {
		if pos[exString(picked[i-1])] >= pos[exString(picked[i])] {
			t.Errorf("picked examples out of order: %s before %s", exString(picked[i-1]), exString(picked[i]))
		}
	}
	if len(picked) != 10 {
		t.Errorf("picked %d examples, want 10", len(picked))
	}
}

// TestExpandGrammarHuge samples a grammar of 10^20 expansions quickly.
func TestExpandGrammarHuge(t *testing.T) {
	t.Parallel()
	src := "[A]\n" + strings.Repeat("(0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9) ", 20) + "\n"
	start := time.Now()
	exs, err := expandString(src, nil, 200)
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 200 {
		t.Errorf("%d examples, want 200", len(exs))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestGrammarDrawUniform checks that draw is uniform over derivations:
// "a | (b | c) | [d]" has five, the empty one included.
func TestGrammarDrawUniform(t *testing.T) {
	t.Parallel()
	g := &gfile{file: "s.ini", listValues: map[string][][]string{}}
	if err := g.parse([]byte("[A]\na | (b | c) | [d]\n")); err != nil {
		t.Fatal(err)
	}
	if err := g.resolve(); err != nil {
		t.Fatal(err)
	}
	n := g.sections[0].sentences[0]
	if n.count != 5 {
		t.Fatalf("count %v, want 5", n.count)
	}
	x := &gexpander{}
	rng := rand.New(rand.NewPCG(5, 6))
	const draws = 50000
	freq := map[string]int{}
	for range draws {
		x.words = x.words[:0]
		x.draw(n, rng)
		var s []string
		for _, w := range x.words {
			s = append(s, w.text)
		}
		freq[strings.Join(s, " ")]++
	}
	for _, d := range []string{"a", "b", "c", "d", ""} {
		// 5 sigma of a binomial(50000, 0.2) is 447.
		if got := freq[d]; got < draws/5-450 || got > draws/5+450 {
			t.Errorf("%q drawn %d times of %d, want about %d", d, got, draws, draws/5)
		}
	}
}

func TestGrammarQuotas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		counts []float64
		limit  int
		want   []int
	}{
		{[]float64{2, 100}, 20, []int{2, 18}},
		{[]float64{100, 2}, 20, []int{18, 2}},
		{[]float64{100, 100, 100}, 10, []int{3, 3, 4}},
		{[]float64{1, 1, 1, 50}, 2, []int{0, 0, 1, 1}},
		{[]float64{5, 1e300}, 3, []int{1, 2}},
	}
	for _, tt := range tests {
		if got := gquotas(tt.counts, tt.limit); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("gquotas(%v, %d) = %v, want %v", tt.counts, tt.limit, got, tt.want)
		}
	}
}

// TestExpandGrammarRoundTrip writes distinct random examples as a grammar
// of literal sentences, tagged groups for slots, and expands it back.
func TestExpandGrammarRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	vocab := []string{"set", "a", "timer", "for", "five", "minutes", "clásicos", "what's", "st.", "10:30", "c#"}
	for trial := range 30 {
		var want []Example
		var src strings.Builder
		for s := range 1 + rng.IntN(3) {
			fmt.Fprintf(&src, "[intent_%d]\n", s)
			seen := map[string]bool{}
			for _, ex := range randomExamples(rng, 1+rng.IntN(8)) {
				ex.Intent = fmt.Sprintf("intent_%d", s)
				for j := range ex.Tokens {
					ex.Tokens[j] = vocab[rng.IntN(len(vocab))]
				}
				if last := len(ex.Tokens) - 1; ex.Tokens[last] == "st." {
					ex.Tokens[last] = "timer"
				}
				if seen[exString(ex)] {
					continue
				}
				seen[exString(ex)] = true
				want = append(want, ex)
				for i := 0; i < len(ex.Tokens); {
					if ex.Tags[i] == "O" {
						src.WriteString(ex.Tokens[i] + " ")
						i++
						continue
					}
					slot := ex.Tags[i][2:]
					j := i + 1
					for j < len(ex.Tokens) && ex.Tags[j] == "I-"+slot {
						j++
					}
					fmt.Fprintf(&src, "(%s){%s} ", strings.Join(ex.Tokens[i:j], " "), slot)
					i = j
				}
				src.WriteString("\n")
			}
		}
		got, err := expandString(src.String(), nil, 100)
		if err != nil {
			t.Fatalf("trial %d: %v\n%s", trial, err, src.String())
		}
		checkExamples(t, got, want)
	}
}

func TestExpandGrammarFile(t *testing.T) {
	t.Parallel()
	lists := map[string][]string{
		"number": {"one", "two", "twenty five"},
		"phrase": {"hello", "good night"},
	}
	exs, err := ExpandGrammarFile(filepath.Join("testdata", "grammar", "assistant.ini"), lists, 1000)
	if err != nil {
		t.Fatal(err)
	}
	perIntent := map[string]int{}
	has := map[string]bool{}
	for _, ex := range exs {
		perIntent[ex.Intent]++
		has[exString(ex)] = true
	}
	// SetTimer: 4 + 2 starts * 2 [a] * 2 [for] * 3 numbers * 2 units;
	// GetTime: 1 + 2; Translate: 3 polite * 2 phrases * 2 languages.
	want := map[string]int{"SetTimer": 4 + 2*2*2*3*2, "GetTime": 3, "Translate": 12}
	if !reflect.DeepEqual(perIntent, want) {
		t.Errorf("examples per intent %v, want %v", perIntent, want)
	}
	for _, s := range []string{
		"SetTimer: set/O a/O timer/O for/O five/B-duration minutes/O",
		"SetTimer: start/O timer/O twenty/B-amount five/I-amount seconds/B-unit",
		"GetTime: what's/O the/O time/O please/O",
		"Translate: kindly/O translate/O good/B-text night/I-text to/O german/B-language",
	} {
		if !has[s] {
			t.Errorf("missing %s", s)
		}
	}

	_, err = ExpandGrammarFile(filepath.Join("testdata", "grammar", "assistant.ini"), nil, 10)
	checkDataError(t, err, filepath.Join("testdata", "grammar", "assistant.ini"), 5, "unknown list $number")
	if _, err := ExpandGrammarFile(filepath.Join(t.TempDir(), "missing.ini"), nil, 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
}

// FuzzExpandGrammar checks that ExpandGrammar never panics or runs away,
// returns only *DataError for bad grammars, at most limit valid examples
// per intent.
func FuzzExpandGrammar(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "grammar", "*.ini"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), uint8(20))
	}
	f.Add("[A]\n((a){x} | [b | c]{y}) <r>\nr = $number{n} | <B.s>\n[B]\ns = d\n", uint8(3))
	f.Add("[A]\n(0|1|2|3|4|5|6|7|8|9) (0|1|2|3|4|5|6|7|8|9) [x] [y]\n", uint8(7))
	lists := map[string][]string{"number": {"one", "twenty one"}, "phrase": {"hello", "good night?"}, "empty": {}}
	f.Fuzz(func(t *testing.T, src string, limit uint8) {
		if len(src) > 1<<11 {
			t.Skip("input too large")
		}
		lim := 1 + int(limit%32)
		exs, err := expandString(src, lists, lim)
		if err != nil {
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *DataError", err, err)
			}
			return
		}
		perIntent := map[string]int{}
		for i, ex := range exs {
			perIntent[ex.Intent]++
			if len(ex.Tokens) == 0 || len(ex.Tokens) != len(ex.Tags) || checkTags(ex.Tags) != nil || checkIntent(ex.Intent) != nil {
				t.Fatalf("example %d invalid: %q", i, exString(ex))
			}
		}
		for intent, n := range perIntent {
			if n > lim {
				t.Fatalf("%s: %d examples, limit %d", intent, n, lim)
			}
		}
	})
}

func TestExpandGrammarReaderError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := ExpandGrammar(iotest.ErrReader(boom), "s.ini", nil, 10)
	var de *DataError
	if !errors.Is(err, boom) || errors.As(err, &de) {
		t.Errorf("error %v, want one wrapping the reader's, not a *DataError", err)
	}
}
