package checkpoint

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
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
	// Int8 stores every weight matrix (two or more dimensions and at
	// least MinInt8Size elements) as signed 8-bit integers with one
	// float32 scale per row (per index of the first dimension) in a
	// companion tensor named NAME+ScaleSuffix: w ≈ q·scale with
	// scale = max|row|/127, so each weight is off by at most scale/2.
	// The other tensors (biases, gains, small matrices) are stored as
	// F16. A float32 model shrinks to about a quarter. Load restores
	// the float values.
	Int8 bool
}

// ScaleSuffix ends the name of the per-row scale tensor of an int8
// tensor: "dec.out.W:scale" belongs to "dec.out.W". Parameter names
// cannot contain ':', so the names never clash.
const ScaleSuffix = ":scale"

// MinInt8Size is the smallest matrix SaveOptions.Int8 quantises; smaller
// ones are not worth the precision.
const MinInt8Size = 1024

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
		if opts.Int8 && len(t.shape) >= 2 && p.Value.Shape().TotalSize() >= MinInt8Size {
			q, scale := quantize(t)
			ts = append(ts, q, scale)
			continue
		}
		if opts.Int8 {
			t.dtype = F16
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

// quantize splits a float tensor into int8 values and one float32 scale
// per row (per index of the first dimension).
func quantize(t tensorOut) (q, scale tensorOut) {
	rows := t.shape[0]
	n := max(len(t.f32), len(t.f64))
	cols := n / rows
	at := func(i int) float64 {
		if t.f32 != nil {
			return float64(t.f32[i])
		}
		return t.f64[i]
	}
	qs := make([]int8, n)
	scales := make([]float32, rows)
	for r := range rows {
		var m float64
		for i := r * cols; i < (r+1)*cols; i++ {
			m = max(m, math.Abs(at(i)))
		}
		s := float32(m / 127)
		if s == 0 || math.IsInf(float64(s), 0) || math.IsNaN(m) {
			// An all-zero row stays zero; a row with Inf or NaN cannot be
			// quantised and is stored as zeros with a NaN scale, which
			// Load turns back into NaN (the model was broken already).
			if s != 0 {
				s = float32(math.NaN())
			}
			scales[r] = s
			continue
		}
		scales[r] = s
		for i := r * cols; i < (r+1)*cols; i++ {
			qs[i] = int8(math.Round(at(i) / float64(s)))
		}
	}
	q = tensorOut{name: t.name, dtype: I8, shape: t.shape, i8: qs}
	scale = tensorOut{name: t.name + ScaleSuffix, dtype: F32, shape: []int{rows}, f32: scales}
	return q, scale
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
	byName := make(map[string]TensorInfo, len(h.Tensors))
	for _, t := range h.Tensors {
		byName[t.Name] = t
	}
	for _, t := range h.Tensors {
		inFile[t.Name] = true
		p := ps.Get(t.Name)
		if base, ok := strings.CutSuffix(t.Name, ScaleSuffix); ok {
			if q, ok := byName[base]; !ok || q.Dtype != I8 {
				problems = append(problems, t.Name+": a scale without the int8 tensor "+base)
			} else if len(q.Shape) == 0 || !slices.Equal(t.Shape, q.Shape[:1]) || t.Dtype == I8 {
				problems = append(problems, fmt.Sprintf("%s: %s scale of shape %v for int8 tensor of shape %v, want float of shape [%d]", t.Name, t.Dtype, t.Shape, q.Shape, firstDim(q.Shape)))
			}
			continue
		}
		if _, ok := byName[t.Name+ScaleSuffix]; t.Dtype == I8 && (!ok || len(t.Shape) == 0) {
			problems = append(problems, t.Name+": int8 tensor without its "+ScaleSuffix+" tensor")
			continue
		}
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
		size := int(t.Len())
		if ps.Dtype() == nnlib.Float64 {
			dst := make([]float64, size)
			err, staged[i] = readData(r, buf, dst, t), dst
		} else {
			dst := make([]float32, size)
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
	scales := map[string]any{}
	for i, t := range h.Tensors {
		if base, ok := strings.CutSuffix(t.Name, ScaleSuffix); ok {
			scales[base] = staged[i]
		}
	}
	for i, t := range h.Tensors {
		if t.Dtype == I8 {
			switch src := staged[i].(type) {
			case []float32:
				dequantize(src, scales[t.Name].([]float32))
			case []float64:
				dequantize(src, scales[t.Name].([]float64))
			}
		}
	}
	for i, t := range h.Tensors {
		p := ps.Get(t.Name)
		if p == nil {
			continue // a scale
		}
		switch dst := p.Value; src := staged[i].(type) {
		case []float32:
			copy(dst.Float32s(), src)
		case []float64:
			copy(dst.Float64s(), src)
		}
	}
	return h.Meta, nil
}

// dequantize multiplies each row of q by its scale.
func dequantize[T float](q, scale []T) {
	if len(scale) == 0 {
		return
	}
	cols := len(q) / len(scale)
	for r, s := range scale {
		row := q[r*cols : (r+1)*cols]
		for i := range row {
			row[i] *= s
		}
	}
}

func firstDim(shape []int) int {
	if len(shape) == 0 {
		return 0
	}
	return shape[0]
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
