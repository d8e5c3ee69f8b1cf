package checkpoint

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-ai/parley/nnlib/optim"
	"gorgonia.org/tensor"
)

// Metadata keys of an optimiser state file.
const (
	keyOptimKind = "optim.kind"
	keyOptimStep = "optim.step"
)

// StatePath returns the conventional optimiser-state path for a model
// checkpoint: "run/model.safetensors" → "run/model.optim.safetensors"
// (a path without the .safetensors extension gets ".optim.safetensors"
// appended).
func StatePath(modelPath string) string {
	return strings.TrimSuffix(modelPath, ".safetensors") + ".optim.safetensors"
}

// SaveState writes optimiser state as a safetensors file: every tensor of
// st under its State name, in its own dtype, sorted by name; the kind and
// step counter in the metadata ("optim.kind", "optim.step").
func SaveState(w io.Writer, st optim.State) error {
	if err := saveState(w, st); err != nil {
		return fmt.Errorf("checkpoint: save state: %w", err)
	}
	return nil
}

// SaveStateFile writes optimiser state to path atomically, as SaveFile
// does.
func SaveStateFile(path string, st optim.State) error {
	if err := writeFileAtomic(path, func(w io.Writer) error { return saveState(w, st) }); err != nil {
		return fmt.Errorf("checkpoint: save state %q: %w", path, err)
	}
	return nil
}

func saveState(w io.Writer, st optim.State) error {
	if st.Kind == "" || st.Step < 0 {
		return fmt.Errorf("invalid state (kind %q, step %d)", st.Kind, st.Step)
	}
	kv, err := Meta{Extra: map[string]string{keyOptimKind: string(st.Kind), keyOptimStep: strconv.Itoa(st.Step)}}.Encode()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(st.Tensors))
	for name := range st.Tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	ts := make([]tensorOut, len(names))
	for i, name := range names {
		d := st.Tensors[name]
		if d == nil {
			return fmt.Errorf("%s: nil tensor", name)
		}
		if ts[i], err = paramOut(name, d, SaveOptions{}); err != nil {
			return err
		}
	}
	return writeFile(w, kv, ts)
}

// LoadState reads optimiser state written by SaveState. Tensors come back
// in their stored dtype (F16 and BF16 as float32). The result is meant for
// optim.Optimizer.SetState, which checks it against the optimiser.
// Errors wrap ErrFormat for a malformed file and ErrMismatch for a model
// checkpoint or other file that is not optimiser state.
func LoadState(r io.Reader) (optim.State, error) {
	size, err := remaining(r)
	if err == nil {
		var st optim.State
		if st, err = loadState(r, size); err == nil {
			return st, nil
		}
	}
	return optim.State{}, fmt.Errorf("checkpoint: load state: %w", err)
}

// LoadStateFile is LoadState from the named file; errors name the file.
func LoadStateFile(path string) (optim.State, error) {
	var st optim.State
	err := withFile(path, func(r io.Reader, size int64) (err error) {
		st, err = loadState(r, size)
		return err
	})
	if err != nil {
		return optim.State{}, fmt.Errorf("checkpoint: load state %q: %w", path, err)
	}
	return st, nil
}

func loadState(r io.Reader, size int64) (optim.State, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return optim.State{}, err
	}
	kind, step := h.Meta.Extra[keyOptimKind], h.Meta.Extra[keyOptimStep]
	if kind == "" {
		return optim.State{}, errorf(ErrMismatch, "no %s in the metadata: not an optimiser state file", keyOptimKind)
	}
	st := optim.State{Kind: optim.Kind(kind), Tensors: make(map[string]*tensor.Dense, len(h.Tensors))}
	if st.Step, err = strconv.Atoi(step); err != nil || st.Step < 0 {
		return optim.State{}, errorf(ErrFormat, "metadata %s = %q, want an integer ≥ 0", keyOptimStep, step)
	}
	// The data section is read as it arrives: its size comes from the
	// header, which a corrupt file could inflate.
	data, err := readBounded(r, h.DataSize)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return optim.State{}, errorf(ErrFormat, "truncated data: %d of %d bytes", len(data), h.DataSize)
		}
		return optim.State{}, err
	}
	if size < 0 {
		if err := expectEOF(r); err != nil {
			return optim.State{}, err
		}
	}
	buf := make([]byte, 64<<10)
	for _, t := range h.Tensors {
		if len(t.Shape) == 0 || t.Len() == 0 {
			return optim.State{}, errorf(ErrUnsupported, "%s: empty or scalar shape %v; state tensors have at least one element and one dimension", t.Name, t.Shape)
		}
		if t.Dtype == I8 {
			return optim.State{}, errorf(ErrUnsupported, "%s: optimiser state is not stored as int8", t.Name)
		}
		src := bytes.NewReader(data[t.Begin:t.End])
		var backing any
		if t.Dtype == F64 {
			dst := make([]float64, t.Len())
			err, backing = readData(src, buf, dst, t), dst
		} else {
			dst := make([]float32, t.Len())
			err, backing = readData(src, buf, dst, t), dst
		}
		if err != nil {
			return optim.State{}, err
		}
		st.Tensors[t.Name] = tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(backing))
	}
	return st, nil
}
