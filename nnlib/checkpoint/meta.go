package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// FormatVersion is the version of the checkpoint layout written by this
// package: tensor names are nnlib parameter names, metadata as in Meta.
// Load refuses files with a newer version.
const FormatVersion = 1

// Keys of the safetensors __metadata__ map.
const (
	metadataKey   = "__metadata__"
	keyVersion    = "format_version"
	keyConfig     = "config"
	keyVocab      = "vocab"
	keyProvenance = "provenance"
)

// Meta is the metadata of a model checkpoint, stored in the safetensors
// __metadata__ map (string → string) as
//
//	"format_version": "1"
//	"config":         model config, JSON
//	"vocab":          vocabulary or label set, JSON
//	"provenance":     JSON object of strings
//	other keys:       Extra, verbatim
//
// Empty fields are omitted.
type Meta struct {
	// Version is the file's format version. Load reports it (0 for a file
	// without one, such as an export from PyTorch); Save always writes
	// FormatVersion.
	Version int
	// Config is the model configuration as JSON; see SetConfig and
	// DecodeConfig.
	Config json.RawMessage
	// Vocab is the vocabulary or label set as JSON; see SetVocab and
	// DecodeVocab.
	Vocab json.RawMessage
	// Provenance records where the weights come from. Suggested keys:
	// "data" (training data), "date" (RFC 3339), "command" (the training
	// command line), "nnlib_version", "git_commit".
	Provenance map[string]string
	// Extra holds any other metadata entries; its keys must not be the
	// ones above.
	Extra map[string]string
}

// SetConfig stores v, marshalled to JSON, as the model config.
func (m *Meta) SetConfig(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint: config: %w", err)
	}
	m.Config = b
	return nil
}

// DecodeConfig unmarshals the model config into v. It returns an error if
// there is no config.
func (m Meta) DecodeConfig(v any) error { return decodeJSON(keyConfig, m.Config, v) }

// SetVocab stores v, marshalled to JSON, as the vocabulary or label set.
func (m *Meta) SetVocab(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint: vocab: %w", err)
	}
	m.Vocab = b
	return nil
}

// DecodeVocab unmarshals the vocabulary or label set into v. It returns an
// error if there is none.
func (m Meta) DecodeVocab(v any) error { return decodeJSON(keyVocab, m.Vocab, v) }

func decodeJSON(key string, raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("checkpoint: metadata has no %s", key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("checkpoint: metadata %s: %w", key, err)
	}
	return nil
}

// Encode returns m as a safetensors __metadata__ map, with format_version
// set to FormatVersion. It returns an error if Config or Vocab is not
// valid JSON or an Extra key is one of the reserved keys.
func (m Meta) Encode() (map[string]string, error) {
	kv := map[string]string{keyVersion: strconv.Itoa(FormatVersion)}
	for k, v := range m.Extra {
		switch k {
		case keyVersion, keyConfig, keyVocab, keyProvenance:
			return nil, fmt.Errorf("checkpoint: metadata: Extra key %q is reserved", k)
		}
		kv[k] = v
	}
	for _, f := range []struct {
		key string
		raw json.RawMessage
	}{{keyConfig, m.Config}, {keyVocab, m.Vocab}} {
		if len(f.raw) == 0 {
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, f.raw); err != nil {
			return nil, fmt.Errorf("checkpoint: metadata %s is not valid JSON: %w", f.key, err)
		}
		kv[f.key] = b.String()
	}
	if len(m.Provenance) > 0 {
		b, err := json.Marshal(m.Provenance)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: metadata provenance: %w", err)
		}
		kv[keyProvenance] = string(b)
	}
	return kv, nil
}

// DecodeMeta parses a safetensors __metadata__ map (nil is fine). Errors
// wrap ErrFormat (a malformed entry) or ErrUnsupported (a format version
// newer than FormatVersion).
func DecodeMeta(kv map[string]string) (Meta, error) {
	var m Meta
	for k, v := range kv {
		switch k {
		case keyVersion:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return Meta{}, errorf(ErrFormat, "metadata %s = %q, want a positive integer", k, v)
			}
			if n > FormatVersion {
				return Meta{}, errorf(ErrUnsupported, "format version %d is newer than this build reads (%d)", n, FormatVersion)
			}
			m.Version = n
		case keyConfig, keyVocab:
			if !json.Valid([]byte(v)) {
				return Meta{}, errorf(ErrFormat, "metadata %s is not valid JSON", k)
			}
			if k == keyConfig {
				m.Config = json.RawMessage(v)
			} else {
				m.Vocab = json.RawMessage(v)
			}
		case keyProvenance:
			if err := json.Unmarshal([]byte(v), &m.Provenance); err != nil || m.Provenance == nil {
				return Meta{}, errorf(ErrFormat, "metadata %s is not a JSON object of strings", k)
			}
		default:
			if m.Extra == nil {
				m.Extra = map[string]string{}
			}
			m.Extra[k] = v
		}
	}
	return m, nil
}
