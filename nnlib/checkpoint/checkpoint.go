package checkpoint

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parley-ai/parley/nnlib"
	"gorgonia.org/tensor"
)

// SaveOptions tunes Save.
type SaveOptions struct {
	// Float16 stores every tensor as IEEE half precision (F16), rounding
	// to nearest even; values beyond ±65504 become ±Inf. It halves the
	// size of float32 models for shipping. Without it tensors keep the
	// set's dtype (F32 or F64).
	Float16 bool
}

// Save writes the parameters of ps, in creation order, and meta as a
// safetensors file to w.
func Save(w io.Writer, ps *nnlib.ParamSet, meta Meta, opts SaveOptions) error {
	if err := save(w, ps, meta, opts); err != nil {
		return fmt.Errorf("checkpoint: save: %w", err)
	}
	return nil
}

// SaveFile writes the checkpoint to path atomically: it writes a temporary
// file in the same directory, syncs it to disk and renames it over path,
// so a crash leaves either the old file or the complete new one. The file
// gets mode 0644.
func SaveFile(path string, ps *nnlib.ParamSet, meta Meta, opts SaveOptions) error {
	err := writeFileAtomic(path, func(w io.Writer) error { return save(w, ps, meta, opts) })
	if err != nil {
		return fmt.Errorf("checkpoint: save %q: %w", path, err)
	}
	return nil
}

func save(w io.Writer, ps *nnlib.ParamSet, meta Meta, opts SaveOptions) error {
	if ps == nil {
		return errors.New("nil parameter set")
	}
	kv, err := meta.Encode()
	if err != nil {
		return err
	}
	ts := make([]tensorOut, 0, len(ps.Params()))
	for _, p := range ps.Params() {
		t, err := paramOut(p.Name, p.Value, opts)
		if err != nil {
			return err
		}
		ts = append(ts, t)
	}
	return writeFile(w, kv, ts)
}

// paramOut describes a float32 or float64 tensor for writing.
func paramOut(name string, d *tensor.Dense, opts SaveOptions) (tensorOut, error) {
	t := tensorOut{name: name, shape: d.Shape().Clone()}
	switch d.Dtype() {
	case tensor.Float32:
		t.f32, t.dtype = d.Float32s(), F32
	case tensor.Float64:
		t.f64, t.dtype = d.Float64s(), F64
	default:
		return t, fmt.Errorf("%s: dtype %v, want float32 or float64", name, d.Dtype())
	}
	if !d.IsNativelyAccessible() || d.RequiresIterator() {
		return t, fmt.Errorf("%s: not a contiguous tensor", name)
	}
	if opts.Float16 {
		t.dtype = F16
	}
	return t, nil
}

// writeFileAtomic writes path through a temporary file in the same
// directory, which it syncs, closes and renames; the directory is synced
// after the rename. Every error, Close's included, is returned.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp, closed := f.Name(), false
	defer func() {
		if err != nil {
			if !closed {
				f.Close() // the first error is the one to report
			}
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err = d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// Load reads a safetensors file from r into the parameters of ps, matched
// by name, converting F16, BF16, F32 or F64 to the set's dtype, and
// returns the file's metadata. The file must hold exactly the set's
// parameters, with the same shapes. Load is all-or-nothing: on error ps is
// unchanged. If r reports its size (Len or Seek, as bytes.Reader and
// os.File do), truncation and trailing bytes are found before any data is
// read; otherwise Load reads to the end of r to check there is nothing
// after the last tensor. See the package documentation for the checks.
func Load(r io.Reader, ps *nnlib.ParamSet) (Meta, error) {
	size, err := remaining(r)
	if err != nil {
		return Meta{}, fmt.Errorf("checkpoint: load: %w", err)
	}
	m, err := load(r, size, ps)
	if err != nil {
		return Meta{}, fmt.Errorf("checkpoint: load: %w", err)
	}
	return m, nil
}

// LoadFile is Load from the named file; errors name the file.
func LoadFile(path string, ps *nnlib.ParamSet) (Meta, error) {
	var m Meta
	err := withFile(path, func(r io.Reader, size int64) (err error) {
		m, err = load(r, size, ps)
		return err
	})
	if err != nil {
		return Meta{}, fmt.Errorf("checkpoint: load %q: %w", path, err)
	}
	return m, nil
}

// withFile opens path and calls f with a buffered reader and the file size.
func withFile(path string, f func(r io.Reader, size int64) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close() // read-only: a Close error loses nothing
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	return f(bufio.NewReaderSize(fh, 256<<10), st.Size())
}

// maxProblems bounds the number of mismatches Load lists in one error.
const maxProblems = 10

func load(r io.Reader, size int64, ps *nnlib.ParamSet) (Meta, error) {
	if ps == nil {
		return Meta{}, errors.New("nil parameter set")
	}
	h, err := readHeader(r, size)
	if err != nil {
		return Meta{}, err
	}
	// Match the file against the model before reading any data.
	var problems []string
	inFile := make(map[string]bool, len(h.Tensors))
	for _, t := range h.Tensors {
		inFile[t.Name] = true
		p := ps.Get(t.Name)
		switch {
		case p == nil:
			problems = append(problems, t.Name+": in the file, not in the model")
		case !slices.Equal(t.Shape, []int(p.Value.Shape())):
			problems = append(problems, fmt.Sprintf("%s: shape %v in file, model wants %v", t.Name, t.Shape, []int(p.Value.Shape())))
		}
	}
	for _, p := range ps.Params() {
		if !inFile[p.Name] {
			problems = append(problems, p.Name+": missing from the file")
		}
	}
	if len(problems) > 0 {
		if n := len(problems); n > maxProblems {
			problems = append(problems[:maxProblems], fmt.Sprintf("and %d more", n-maxProblems))
		}
		return Meta{}, errorf(ErrMismatch, "%s", strings.Join(problems, "; "))
	}
	// Decode into staging buffers, so that a failure leaves ps unchanged.
	// Their total size is the model's, whatever the file claims.
	buf := make([]byte, 64<<10)
	staged := make([]any, len(h.Tensors))
	for i, t := range h.Tensors {
		p := ps.Get(t.Name)
		if ps.Dtype() == nnlib.Float64 {
			dst := make([]float64, p.Size())
			err, staged[i] = readData(r, buf, dst, t), dst
		} else {
			dst := make([]float32, p.Size())
			err, staged[i] = readData(r, buf, dst, t), dst
		}
		if err != nil {
			return Meta{}, err
		}
	}
	if size < 0 {
		if err := expectEOF(r); err != nil {
			return Meta{}, err
		}
	}
	for i, t := range h.Tensors {
		switch dst := ps.Get(t.Name).Value; src := staged[i].(type) {
		case []float32:
			copy(dst.Float32s(), src)
		case []float64:
			copy(dst.Float64s(), src)
		}
	}
	return h.Meta, nil
}

// ReadMeta reads only the header of a safetensors file from r and returns
// its metadata, so that a model can be built from the stored config before
// Load fills in the weights. The header is validated as by Load.
func ReadMeta(r io.Reader) (Meta, error) {
	info, err := Inspect(r)
	return info.Meta, err
}

// ReadMetaFile is ReadMeta from the named file.
func ReadMetaFile(path string) (Meta, error) {
	info, err := InspectFile(path)
	return info.Meta, err
}

// Inspect reads and validates the header of a safetensors file from r and
// returns its metadata and tensors (names, dtypes, shapes, byte ranges) in
// data order. It reads no tensor data.
func Inspect(r io.Reader) (Info, error) {
	size, err := remaining(r)
	if err == nil {
		var h *header
		if h, err = readHeader(r, size); err == nil {
			return h.Info, nil
		}
	}
	return Info{}, fmt.Errorf("checkpoint: inspect: %w", err)
}

// InspectFile is Inspect on the named file; errors name the file.
func InspectFile(path string) (Info, error) {
	var info Info
	err := withFile(path, func(r io.Reader, size int64) error {
		h, err := readHeader(r, size)
		if err == nil {
			info = h.Info
		}
		return err
	})
	if err != nil {
		return Info{}, fmt.Errorf("checkpoint: inspect %q: %w", path, err)
	}
	return info, nil
}
