package checkpoint

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/parley-ai/parley/nnlib"
)

// ConvertFile rewrites the checkpoint at src to dst with other storage
// (float32, float16 or int8, as opts says), keeping its tensors, names and
// metadata; the model that reads it needs no change. It needs no model:
// the parameter set is built from the file's header (float64 if any tensor
// is F64, else float32). dst is written atomically and may equal src.
func ConvertFile(src, dst string, opts SaveOptions) error {
	ps, err := paramsLike(src)
	if err != nil {
		return err
	}
	meta, err := LoadFile(src, ps)
	if err != nil {
		return err
	}
	return SaveFile(dst, ps, meta, opts)
}

// AverageFiles writes to dst the element-wise mean of the weights of the
// checkpoints srcs (checkpoint averaging: the last few checkpoints of one
// training run, averaged, usually decode better than any one of them).
// Every file must hold the same tensors with the same shapes and the same
// config and vocabulary; the metadata of the first file is kept, with the
// provenance key "averaged" listing srcs. dst is written atomically with
// the storage opts says.
func AverageFiles(srcs []string, dst string, opts SaveOptions) error {
	if len(srcs) == 0 {
		return fmt.Errorf("checkpoint: average: no files")
	}
	sum, err := paramsLike(srcs[0])
	if err != nil {
		return err
	}
	meta, err := LoadFile(srcs[0], sum)
	if err != nil {
		return err
	}
	acc := make([][]float64, len(sum.Params()))
	add := func(ps *nnlib.ParamSet) {
		for i, p := range ps.Params() {
			if acc[i] == nil {
				acc[i] = make([]float64, p.Size())
			}
			if d := p.F32(); d != nil {
				for j, v := range d {
					acc[i][j] += float64(v)
				}
			} else {
				for j, v := range p.F64() {
					acc[i][j] += v
				}
			}
		}
	}
	add(sum)
	// One buffer with the first file's tensors takes each other file in
	// turn: LoadFile refuses a file whose tensors or shapes differ.
	ps := nnlib.NewParamSet(sum.Dtype(), 1)
	for _, p := range sum.Params() {
		if _, err := ps.Add(p.Name, p.Shape(), nnlib.Zeros); err != nil {
			return fmt.Errorf("checkpoint: average: %w", err)
		}
	}
	for _, src := range srcs[1:] {
		m, err := LoadFile(src, ps)
		if err != nil {
			return fmt.Errorf("checkpoint: average: %w", err)
		}
		if string(m.Config) != string(meta.Config) || string(m.Vocab) != string(meta.Vocab) {
			return fmt.Errorf("checkpoint: average: %q has another config or vocabulary than %q", src, srcs[0])
		}
		add(ps)
	}
	n := float64(len(srcs))
	for i, p := range sum.Params() {
		if d := p.F32(); d != nil {
			for j := range d {
				d[j] = float32(acc[i][j] / n)
			}
		} else {
			d := p.F64()
			for j := range d {
				d[j] = acc[i][j] / n
			}
		}
	}
	meta.Provenance = maps.Clone(meta.Provenance)
	if meta.Provenance == nil {
		meta.Provenance = map[string]string{}
	}
	meta.Provenance["averaged"] = strings.Join(srcs, " ")
	return SaveFile(dst, sum, meta, opts)
}

// paramsLike builds a zeroed parameter set with the tensors of the
// checkpoint at path (float64 if any tensor is F64, else float32; the
// int8 scale tensors are folded into their matrices).
func paramsLike(path string) (*nnlib.ParamSet, error) {
	info, err := InspectFile(path)
	if err != nil {
		return nil, err
	}
	dtype := nnlib.Float32
	if slices.ContainsFunc(info.Tensors, func(t TensorInfo) bool { return t.Dtype == F64 }) {
		dtype = nnlib.Float64
	}
	ps := nnlib.NewParamSet(dtype, 1)
	for _, t := range info.Tensors {
		if strings.HasSuffix(t.Name, ScaleSuffix) {
			continue
		}
		if _, err := ps.Add(t.Name, t.Shape, nnlib.Zeros); err != nil {
			return nil, fmt.Errorf("checkpoint: %q: tensor %s: %w", path, t.Name, err)
		}
	}
	return ps, nil
}
