package seq2seq

import (
	"fmt"
	"io"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
)

// SaveOptions configures Save.
type SaveOptions struct {
	// Float16 stores the weights as IEEE half floats (half the size; for
	// shipped models).
	Float16 bool
	// Int8 stores the weight matrices as int8 with a scale per row and
	// the rest as float16 (a quarter of the float32 size; see
	// checkpoint.SaveOptions.Int8).
	Int8 bool
	// Vocab is stored in the file's metadata (any JSON-able value, e.g.
	// the source and target token lists).
	Vocab any
	// Provenance records how the model was made (data, command, date).
	Provenance map[string]string
}

func (m *Model) meta(opts SaveOptions) (checkpoint.Meta, error) {
	var meta checkpoint.Meta
	if err := meta.SetConfig(m.Cfg); err != nil {
		return meta, err
	}
	if opts.Vocab != nil {
		if err := meta.SetVocab(opts.Vocab); err != nil {
			return meta, err
		}
	}
	meta.Provenance = opts.Provenance
	meta.Extra = map[string]string{"model": "seq2seq"}
	return meta, nil
}

// Save writes the model (weights, config, vocabulary, provenance) as a
// safetensors file.
func (m *Model) Save(w io.Writer, opts SaveOptions) error {
	meta, err := m.meta(opts)
	if err != nil {
		return fmt.Errorf("seq2seq: save: %w", err)
	}
	return checkpoint.Save(w, m.Params, meta, checkpoint.SaveOptions{Float16: opts.Float16, Int8: opts.Int8})
}

// SaveFile writes the model to path atomically.
func (m *Model) SaveFile(path string, opts SaveOptions) error {
	meta, err := m.meta(opts)
	if err != nil {
		return fmt.Errorf("seq2seq: save %s: %w", path, err)
	}
	return checkpoint.SaveFile(path, m.Params, meta, checkpoint.SaveOptions{Float16: opts.Float16, Int8: opts.Int8})
}

// Load reads a model written by Save: its config builds the model, then
// the weights are loaded (and validated by name, shape and type). The
// returned Meta carries the vocabulary and provenance.
func Load(r io.ReadSeeker, dtype nnlib.Dtype) (*Model, checkpoint.Meta, error) {
	meta, err := checkpoint.ReadMeta(r)
	if err != nil {
		return nil, meta, fmt.Errorf("seq2seq: load: %w", err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, meta, fmt.Errorf("seq2seq: load: %w", err)
	}
	return load(meta, dtype, func(ps *nnlib.ParamSet) (checkpoint.Meta, error) { return checkpoint.Load(r, ps) })
}

// LoadFile reads a model file written by Save or SaveFile.
func LoadFile(path string, dtype nnlib.Dtype) (*Model, checkpoint.Meta, error) {
	meta, err := checkpoint.ReadMetaFile(path)
	if err != nil {
		return nil, meta, fmt.Errorf("seq2seq: load %s: %w", path, err)
	}
	m, meta, err := load(meta, dtype, func(ps *nnlib.ParamSet) (checkpoint.Meta, error) { return checkpoint.LoadFile(path, ps) })
	if err != nil {
		return nil, meta, fmt.Errorf("seq2seq: load %s: %w", path, err)
	}
	return m, meta, nil
}

func load(meta checkpoint.Meta, dtype nnlib.Dtype, weights func(*nnlib.ParamSet) (checkpoint.Meta, error)) (*Model, checkpoint.Meta, error) {
	if meta.Extra["model"] != "seq2seq" {
		return nil, meta, fmt.Errorf("seq2seq: not a seq2seq model file (model %q)", meta.Extra["model"])
	}
	var cfg Config
	if err := meta.DecodeConfig(&cfg); err != nil {
		return nil, meta, err
	}
	m, err := New(cfg, dtype, 0)
	if err != nil {
		return nil, meta, fmt.Errorf("seq2seq: config in file: %w", err)
	}
	if _, err := weights(m.Params); err != nil {
		return nil, meta, err
	}
	return m, meta, nil
}
