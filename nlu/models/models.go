// Package models embeds Parley's trained NLU models in the binary, so a
// fresh clone parses with no download. README ("Intent parsing") records
// how each model was trained and what it scores.
package models

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/parley-ai/parley/nlu"
)

//go:embed snips.safetensors
var snips []byte

//go:embed atis.safetensors
var atis []byte

// Info describes an embedded model.
type Info struct {
	Name, Description string
	Bytes             int64
}

// SNIPSInfo describes the embedded SNIPS model.
func SNIPSInfo() Info {
	return Info{Name: "nlu-snips", Description: "intents and slots of the SNIPS benchmark (7 intents, 39 slot types), float16",
		Bytes: int64(len(snips))}
}

// SNIPS loads the embedded model trained on the SNIPS training split
// (PlayMusic, GetWeather, BookRestaurant, AddToPlaylist, RateBook,
// SearchCreativeWork, SearchScreeningEvent). Each call returns a new
// Model; a Model is safe for concurrent use.
func SNIPS() (*nlu.Model, error) {
	m, err := nlu.Load(bytes.NewReader(snips))
	if err != nil {
		return nil, fmt.Errorf("models: embedded SNIPS model: %w", err)
	}
	return m, nil
}

// ATISInfo describes the embedded ATIS model.
func ATISInfo() Info {
	return Info{Name: "nlu-atis", Description: "intents and slots of the ATIS flight-information benchmark, CRF slot layer, float16",
		Bytes: int64(len(atis))}
}

// ATIS loads the embedded model trained on the ATIS training split (air
// travel requests: flights, fares, airlines, ground service, ...).
func ATIS() (*nlu.Model, error) {
	m, err := nlu.Load(bytes.NewReader(atis))
	if err != nil {
		return nil, fmt.Errorf("models: embedded ATIS model: %w", err)
	}
	return m, nil
}
