package nlu

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSlotSubstitution(t *testing.T) {
	train := []Example{
		mkExample("play", "play miles/B-artist davis/I-artist on spotify/B-service"),
		mkExample("play", "put on adele/B-artist"),
		mkExample("play", "play the/B-artist rolling/I-artist stones/I-artist"),
		mkExample("play", "play something"),
	}
	sv := collectSlotValues(train)
	if got := len(sv["artist"]); got != 3 {
		t.Fatalf("%d artist values, want 3: %v", got, sv["artist"])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	e := train[0]
	orig := slices.Clone(e.Tokens)
	seen := map[string]bool{}
	for range 50 {
		got, changed := sv.substitute(e, 1, rng)
		if !changed {
			t.Fatal("p = 1 replaced nothing")
		}
		if len(got.Tokens) != len(got.Tags) || got.Intent != "play" {
			t.Fatalf("bad example %+v", got)
		}
		sp := Spans(got.Tags)
		// spotify is the only service value: it stays.
		if len(sp) != 2 || sp[0].Type != "artist" || sp[1].Type != "service" || got.Tokens[sp[1].Start] != "spotify" || got.Tokens[0] != "play" {
			t.Fatalf("substituted %v %v", got.Tokens, got.Tags)
		}
		if got.Tags[sp[0].Start] != "B-artist" {
			t.Fatalf("tags %v", got.Tags)
		}
		seen[joinTokens(got.Tokens[sp[0].Start:sp[0].End])] = true
	}
	if len(seen) != 3 {
		t.Errorf("values drawn %v, want all 3", seen)
	}
	if !slices.Equal(e.Tokens, orig) {
		t.Errorf("substitute changed its input: %v", e.Tokens)
	}
	if got, changed := sv.substitute(e, 0, rng); changed || !slices.Equal(got.Tokens, orig) {
		t.Errorf("p = 0 changed %v", got.Tokens)
	}
	if _, changed := sv.substitute(train[3], 1, rng); changed {
		t.Error("a sentence without slots changed")
	}
}

func TestTrainSlotSwap(t *testing.T) {
	cfg := tinyConfig()
	cfg.SlotSwap = 0.5
	m, err := Train(t.Context(), grammar(240, 1), nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(m, grammar(100, 3))
	if err != nil {
		t.Fatal(err)
	}
	if r.SentenceAccuracy < 0.95 {
		t.Errorf("with slot substitution: %v", r)
	}
	cfg.SlotSwap = 1.5
	if err := cfg.Validate(); err == nil {
		t.Error("SlotSwap 1.5 accepted")
	}
}
