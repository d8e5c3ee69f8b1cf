// Package models embeds Parley's default translation models, so that a
// fresh build translates with no download.
//
//   - en-es (en-es.safetensors) translates English → Spanish: a one-way
//     model, trained on that direction alone.
//   - es-en (es-en.safetensors) translates Spanish → English; it is one
//     model for both directions (target-language tags), so it translates
//     English → Spanish too, a little less well than en-es.
//
// For picks the model for a direction. How each model was trained and
// what it scores is in the README ("Translation").
package models

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/parley-ai/parley/translate"
)

//go:embed en-es.safetensors
var enES []byte

//go:embed es-en.safetensors
var esEN []byte

// The embedded models' names, for `parley models` and --model.
const (
	EnglishSpanish = "en-es"
	SpanishEnglish = "es-en"
)

// Info describes an embedded model.
type Info struct {
	// Name is what --model takes.
	Name string
	// From and To are the direction the model is the default for.
	From, To string
	// Bytes is the size of the model file.
	Bytes int64
}

type embedded struct {
	info Info
	data []byte
	load func() (*translate.Translator, error)
}

func newEmbedded(name, from, to string, data []byte) embedded {
	return embedded{info: Info{Name: name, From: from, To: to, Bytes: int64(len(data))}, data: data,
		load: sync.OnceValues(func() (*translate.Translator, error) { return translate.LoadBytes(data) })}
}

// all lists the embedded models, loaded once each on first use.
var all = []embedded{
	newEmbedded(EnglishSpanish, "en", "es", enES),
	newEmbedded(SpanishEnglish, "es", "en", esEN),
}

// List describes the embedded models, the default for en→es first.
func List() []Info {
	out := make([]Info, len(all))
	for i, e := range all {
		out[i] = e.info
	}
	return out
}

func find(name string) (embedded, bool) {
	for _, e := range all {
		if e.info.Name == name {
			return e, true
		}
	}
	return embedded{}, false
}

// IsEmbedded reports whether name is an embedded model's name.
func IsEmbedded(name string) bool { _, ok := find(name); return ok }

// Bytes returns the file of the embedded model name (nil if there is no
// such model).
func Bytes(name string) []byte {
	e, _ := find(name)
	return e.data
}

// Load returns the embedded model name, loaded once (a Translator is safe
// for concurrent use).
func Load(name string) (*translate.Translator, error) {
	e, ok := find(name)
	if !ok {
		return nil, fmt.Errorf("models: no embedded translation model %q", name)
	}
	t, err := e.load()
	if err != nil {
		return nil, fmt.Errorf("models: embedded model %s: %w", name, err)
	}
	return t, nil
}

// For returns the name of the embedded model that translates from → to
// best: the one made for that direction, else any that can translate it.
// ok is false if none can.
func For(from, to string) (name string, ok bool) {
	for _, e := range all {
		if e.info.From == from && e.info.To == to {
			return e.info.Name, true
		}
	}
	for _, e := range all {
		if t, err := e.load(); err == nil && t.Supports(from, to) {
			return e.info.Name, true
		}
	}
	return "", false
}

// Languages returns the languages the embedded models translate between.
func Languages() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range all {
		for _, l := range []string{e.info.From, e.info.To} {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}
