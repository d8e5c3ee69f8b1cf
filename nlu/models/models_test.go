package models_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-ai/parley/nlu"
	"github.com/parley-ai/parley/nlu/models"
)

// TestSNIPS loads the embedded model and parses a request of each kind it
// knows; a model this far off would be a broken embed, not a weak model.
func TestSNIPS(t *testing.T) {
	m, err := models.SNIPS()
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"play some jazz by miles davis on spotify":       "PlayMusic",
		"will it rain in paris tomorrow":                 "GetWeather",
		"book a table for two at an italian place":       "BookRestaurant",
		"rate this book five stars":                      "RateBook",
		"add this song to my workout playlist":           "AddToPlaylist",
		"find the movie schedule for the cinema near me": "SearchScreeningEvent",
	} {
		r, err := m.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if r.Intent != want {
			t.Errorf("%q: intent %s (%.2f), want %s", text, r.Intent, r.Confidence, want)
		}
	}
}

func TestATIS(t *testing.T) {
	m, err := models.ATIS()
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Parse("show me flights from boston to denver on monday")
	if err != nil {
		t.Fatal(err)
	}
	if r.Intent != "atis_flight" {
		t.Errorf("intent %s, want atis_flight", r.Intent)
	}
	slots := map[string]string{}
	for _, s := range r.Slots {
		slots[s.Name] = s.Value
	}
	if slots["fromloc.city_name"] != "boston" || slots["toloc.city_name"] != "denver" {
		t.Errorf("slots %v", r.Slots)
	}
}

// TestDevScores guards the embedded models' quality on the dev splits
// (skipped without ../shared/data or $PARLEY_DATA); the floors sit a
// little under the README's figures.
func TestDevScores(t *testing.T) {
	dir := os.Getenv("PARLEY_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	for _, c := range []struct {
		name                   string
		load                   func() (*nlu.Model, error)
		intent, slot, sentence float64
	}{
		{"snips", models.SNIPS, 0.98, 0.92, 0.82},
		{"atis", models.ATIS, 0.965, 0.96, 0.87},
	} {
		dev, err := nlu.ReadDir(filepath.Join(dir, c.name, "valid"))
		if err != nil {
			t.Logf("%s dev split not available (set PARLEY_DATA): %v", c.name, err)
			continue
		}
		m, err := c.load()
		if err != nil {
			t.Fatal(err)
		}
		r, err := nlu.Evaluate(m, dev)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s dev: %v", c.name, r)
		if r.IntentAccuracy < c.intent || r.Slot.F1 < c.slot || r.SentenceAccuracy < c.sentence {
			t.Errorf("%s dev: %v; floors %.3f / %.3f / %.3f", c.name, r, c.intent, c.slot, c.sentence)
		}
	}
}
