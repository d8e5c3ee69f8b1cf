// Package models embeds Parley's default translation model, so that a
// fresh build translates with no download.
//
// en-es.safetensors translates English → Spanish and Spanish → English
// (one model, target-language tags). How it was trained and what it scores
// is in the README ("Translation").
package models

import (
	_ "embed"
	"sync"

	"github.com/parley-ai/parley/translate"
)

//go:embed en-es.safetensors
var enES []byte

// Name is the embedded model's name in `parley models` and --model.
const Name = "en-es"

// EnglishSpanishBytes is the embedded model file.
func EnglishSpanishBytes() []byte { return enES }

var load = sync.OnceValues(func() (*translate.Translator, error) { return translate.LoadBytes(enES) })

// EnglishSpanish returns the embedded English ↔ Spanish model, loaded once
// (it is safe for concurrent use).
func EnglishSpanish() (*translate.Translator, error) { return load() }
