package nlu

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
)

// SaveOptions configures Save.
type SaveOptions struct {
	// Float16 stores the weights as half floats (half the size).
	Float16 bool
	// Int8 stores the weight matrices as int8 with a scale per row and
	// the rest as float16 (a quarter of the float32 size; see
	// checkpoint.SaveOptions.Int8).
	Int8 bool
	// Provenance records how the model was made (data, command, date).
	Provenance map[string]string
}

const modelKind = "nlu-joint"

func (m *Model) meta(opts SaveOptions) (checkpoint.Meta, error) {
	var meta checkpoint.Meta
	if err := meta.SetConfig(m.Cfg); err != nil {
		return meta, err
	}
	if err := meta.SetVocab(m.Vocab); err != nil {
		return meta, err
	}
	meta.Provenance = opts.Provenance
	meta.Extra = map[string]string{
		"model":       modelKind,
		"temperature": strconv.FormatFloat(m.Temperature, 'g', -1, 64),
	}
	return meta, nil
}

// Save writes the model (weights, config with the threshold, vocabulary,
// temperature) as a safetensors file.
func (m *Model) Save(w io.Writer, opts SaveOptions) error {
	meta, err := m.meta(opts)
	if err != nil {
		return fmt.Errorf("nlu: save: %w", err)
	}
	return checkpoint.Save(w, m.Params, meta, checkpoint.SaveOptions{Float16: opts.Float16, Int8: opts.Int8})
}

// SaveFile writes the model to path atomically.
func (m *Model) SaveFile(path string, opts SaveOptions) error {
	meta, err := m.meta(opts)
	if err != nil {
		return fmt.Errorf("nlu: save %s: %w", path, err)
	}
	return checkpoint.SaveFile(path, m.Params, meta, checkpoint.SaveOptions{Float16: opts.Float16, Int8: opts.Int8})
}

// Load reads a model written by Save.
func Load(r io.ReadSeeker) (*Model, error) {
	meta, err := checkpoint.ReadMeta(r)
	if err != nil {
		return nil, fmt.Errorf("nlu: load: %w", err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("nlu: load: %w", err)
	}
	return load(meta, func(ps *nnlib.ParamSet) error { _, err := checkpoint.Load(r, ps); return err })
}

// LoadFile reads a model file written by Save or SaveFile.
func LoadFile(path string) (*Model, error) {
	meta, err := checkpoint.ReadMetaFile(path)
	if err != nil {
		return nil, fmt.Errorf("nlu: load %s: %w", path, err)
	}
	m, err := load(meta, func(ps *nnlib.ParamSet) error { _, err := checkpoint.LoadFile(path, ps); return err })
	if err != nil {
		return nil, fmt.Errorf("nlu: load %s: %w", path, err)
	}
	return m, nil
}

func load(meta checkpoint.Meta, weights func(*nnlib.ParamSet) error) (*Model, error) {
	if meta.Extra["model"] != modelKind {
		return nil, fmt.Errorf("nlu: not an nlu model file (model %q)", meta.Extra["model"])
	}
	var cfg Config
	if err := meta.DecodeConfig(&cfg); err != nil {
		return nil, err
	}
	var v Vocab
	if err := meta.DecodeVocab(&v); err != nil {
		return nil, err
	}
	T, err := strconv.ParseFloat(meta.Extra["temperature"], 64)
	if err != nil || !(T > 0) || math.IsInf(T, 0) {
		return nil, fmt.Errorf("nlu: bad temperature %q", meta.Extra["temperature"])
	}
	m, err := New(cfg, &v, nnlib.Float32, 0)
	if err != nil {
		return nil, fmt.Errorf("nlu: config in file: %w", err)
	}
	if err := weights(m.Params); err != nil {
		return nil, err
	}
	m.Temperature = T
	return m, nil
}
