package models_test

import (
	"testing"

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
