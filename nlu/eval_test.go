package nlu

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func tags(s string) []string { return strings.Fields(s) }

func TestSpansConlleval(t *testing.T) {
	cases := []struct {
		in   string
		want []Span
	}{
		{"O O", nil},
		{"B-a I-a O B-b", []Span{{"a", 0, 2}, {"b", 3, 4}}},
		// I- without B- starts a chunk (conlleval).
		{"I-a I-a O", []Span{{"a", 0, 2}}},
		{"O I-a", []Span{{"a", 1, 2}}},
		// A type change inside I- tags starts a new chunk.
		{"B-a I-b I-b", []Span{{"a", 0, 1}, {"b", 1, 3}}},
		// B- after B- of the same type is a new chunk.
		{"B-a B-a I-a", []Span{{"a", 0, 1}, {"a", 1, 3}}},
	}
	for _, c := range cases {
		if got := Spans(tags(c.in)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Spans(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSlotScoresHandComputed(t *testing.T) {
	gold := [][]string{
		tags("B-a I-a O B-b"), // chunks a[0,2) b[3,4)
		tags("O B-c I-c I-c"), // chunk c[1,4)
		tags("B-a O O O"),     // chunk a[0,1)
	}
	pred := [][]string{
		tags("B-a I-a O B-a"), // a[0,2) correct; a[3,4) wrong type
		tags("O B-c I-c O"),   // c[1,3) wrong boundary
		tags("I-a O O O"),     // I- starts a chunk: a[0,1) correct
	}
	// Gold chunks 4, predicted chunks 4, correct 2:
	// P = 2/4 = 0.5, R = 2/4 = 0.5, F1 = 0.5.
	all, per := SlotScores(gold, pred)
	if all.Gold != 4 || all.Predicted != 4 || all.Correct != 2 || !near(all.F1, 0.5) {
		t.Fatalf("overall %+v, want 4/4/2 F1 0.5", all)
	}
	// Type a: gold 2 (a[0,2), a[0,1)), predicted 3, correct 2:
	// P = 2/3, R = 1, F1 = 2·(2/3)/(5/3) = 0.8.
	a := per["a"]
	if a.Gold != 2 || a.Predicted != 3 || a.Correct != 2 || !near(a.Precision, 2.0/3) || !near(a.Recall, 1) || !near(a.F1, 0.8) {
		t.Errorf("type a %+v", a)
	}
	// Type b: gold 1, predicted 0: P 0, R 0, F1 0. Type c: 1/1/0.
	if b := per["b"]; b.Gold != 1 || b.Predicted != 0 || b.F1 != 0 {
		t.Errorf("type b %+v", b)
	}
	if c := per["c"]; c.Gold != 1 || c.Predicted != 1 || c.Correct != 0 || c.F1 != 0 {
		t.Errorf("type c %+v", c)
	}
}

func TestSlotScoresPerfectAndEmpty(t *testing.T) {
	g := [][]string{tags("B-x I-x O"), tags("O O")}
	all, _ := SlotScores(g, g)
	if !near(all.F1, 1) || all.Correct != 1 {
		t.Errorf("perfect: %+v", all)
	}
	all, _ = SlotScores([][]string{tags("O")}, [][]string{tags("O")})
	if all.F1 != 0 || all.Gold != 0 {
		t.Errorf("no chunks: %+v", all)
	}
}

func TestECE(t *testing.T) {
	// Two bins used: conf 0.95 (2 items, 1 hit): |0.5-0.95| = 0.45;
	// conf 0.25 (2 items, 0 hits): |0-0.25| = 0.25. ECE = (2·0.45+2·0.25)/4 = 0.35.
	got := ECE([]float64{0.95, 0.95, 0.25, 0.25}, []bool{true, false, false, false}, 10)
	if !near(got, 0.35) {
		t.Errorf("ECE = %v, want 0.35", got)
	}
}

func TestFitTemperature(t *testing.T) {
	// Over-confident logits: the gold class wins 3 of 4 times with a
	// margin of 10; the fitted T must soften them (T > 1) and lower NLL.
	logits := [][]float64{{10, 0}, {10, 0}, {10, 0}, {10, 0}}
	gold := []int{0, 0, 0, 1}
	T := fitTemperature(logits, gold)
	// Optimum: p(gold=0) = 3/4, so 10/T = ln 3.
	if want := 10 / math.Log(3); math.Abs(T-want) > 1e-3*want {
		t.Errorf("T = %v, want %v", T, want)
	}
}
