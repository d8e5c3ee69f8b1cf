package checkpoint

import (
	"fmt"
	"strings"

	"github.com/parley-ai/parley/nnlib"
)

// ConvertFile rewrites the checkpoint at src to dst with other storage
// (float32, float16 or int8, as opts says), keeping its tensors, names and
// metadata; the model that reads it needs no change. It needs no model:
// the parameter set is built from the file's header (float64 if any tensor
// is F64, else float32). dst is written atomically and may equal src.
func ConvertFile(src, dst string, opts SaveOptions) error {
	info, err := InspectFile(src)
	if err != nil {
		return err
	}
	dtype := nnlib.Float32
	for _, t := range info.Tensors {
		if t.Dtype == F64 {
			dtype = nnlib.Float64
		}
	}
	ps := nnlib.NewParamSet(dtype, 1)
	for _, t := range info.Tensors {
		if strings.HasSuffix(t.Name, ScaleSuffix) {
			continue
		}
		if _, err := ps.Add(t.Name, t.Shape, nnlib.Zeros); err != nil {
			return fmt.Errorf("checkpoint: convert %q: tensor %s: %w", src, t.Name, err)
		}
	}
	meta, err := LoadFile(src, ps)
	if err != nil {
		return err
	}
	return SaveFile(dst, ps, meta, opts)
}
