package checkpoint_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
)

type spec struct {
	name  string
	shape []int
}

var modelSpec = []spec{{"enc.l0.wh", []int{8, 8}}, {"enc.l0.b", []int{8}}, {"dec.out", []int{8, 3}}}

func newModel(t testing.TB, dt nnlib.Dtype, seed uint64, specs []spec) *nnlib.ParamSet {
	t.Helper()
	ps := nnlib.NewParamSet(dt, seed)
	for _, s := range specs {
		if _, err := ps.Add(s.name, s.shape, nnlib.Uniform(2)); err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

func values(ps *nnlib.ParamSet) map[string][]float64 {
	out := map[string][]float64{}
	for _, p := range ps.Params() {
		switch d := p.Value.Data().(type) {
		case []float32:
			v := make([]float64, len(d))
			for i, x := range d {
				v[i] = float64(x)
			}
			out[p.Name] = v
		case []float64:
			out[p.Name] = slices.Clone(d)
		}
	}
	return out
}

func save(t testing.TB, ps *nnlib.ParamSet, meta checkpoint.Meta, opts checkpoint.SaveOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := checkpoint.Save(&b, ps, meta, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name     string
		from, to nnlib.Dtype
		opts     checkpoint.SaveOptions
		relTol   float64
	}{
		{"f32", nnlib.Float32, nnlib.Float32, checkpoint.SaveOptions{}, 0},
		{"f64", nnlib.Float64, nnlib.Float64, checkpoint.SaveOptions{}, 0},
		{"f32_to_f64", nnlib.Float32, nnlib.Float64, checkpoint.SaveOptions{}, 0},
		{"f64_to_f32", nnlib.Float64, nnlib.Float32, checkpoint.SaveOptions{}, 0x1p-24},
		// Half precision keeps 11 significant bits: relative error ≤ 2^-11
		// for values in the normal range (|x| ≥ 2^-14).
		{"f16", nnlib.Float32, nnlib.Float32, checkpoint.SaveOptions{Float16: true}, 0x1p-11},
		{"f16_f64", nnlib.Float64, nnlib.Float64, checkpoint.SaveOptions{Float16: true}, 0x1p-11},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := newModel(t, c.from, 1, modelSpec)
			data := save(t, src, checkpoint.Meta{}, c.opts)
			dst := newModel(t, c.to, 2, modelSpec)
			if _, err := checkpoint.Load(bytes.NewReader(data), dst); err != nil {
				t.Fatal(err)
			}
			want, got := values(src), values(dst)
			for name, w := range want {
				for i := range w {
					if d := math.Abs(got[name][i] - w[i]); d > c.relTol*math.Abs(w[i]) {
						t.Fatalf("%s[%d] = %.9g, want %.9g (tol %g)", name, i, got[name][i], w[i], c.relTol)
					}
				}
			}
		})
	}
}

func TestFloat16Size(t *testing.T) {
	ps := newModel(t, nnlib.Float32, 1, modelSpec)
	full := save(t, ps, checkpoint.Meta{}, checkpoint.SaveOptions{})
	half := save(t, ps, checkpoint.Meta{}, checkpoint.SaveOptions{Float16: true})
	n := int64(ps.Count())
	fi, err := checkpoint.Inspect(bytes.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	hi, err := checkpoint.Inspect(bytes.NewReader(half))
	if err != nil {
		t.Fatal(err)
	}
	if fi.DataSize != 4*n || hi.DataSize != 2*n {
		t.Errorf("data sizes %d and %d, want %d and %d", fi.DataSize, hi.DataSize, 4*n, 2*n)
	}
	for _, ti := range hi.Tensors {
		if ti.Dtype != checkpoint.F16 {
			t.Errorf("%s stored as %v, want F16", ti.Name, ti.Dtype)
		}
	}
}

type modelConfig struct {
	Hidden int     `json:"hidden"`
	Layers int     `json:"layers"`
	Drop   float64 `json:"dropout"`
}

func testMeta(t *testing.T) checkpoint.Meta {
	t.Helper()
	m := checkpoint.Meta{
		Provenance: map[string]string{"data": "shared/data/atis", "date": "2025-01-02T03:04:05Z", "command": "parley train -epochs 3", "nnlib_version": "v0.1.0"},
		Extra:      map[string]string{"note": "ünïcode \"quoted\"\n"},
	}
	if err := m.SetConfig(modelConfig{Hidden: 256, Layers: 2, Drop: 0.1}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetVocab([]string{"<pad>", "<s>", "</s>", "flight"}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMetaRoundTrip(t *testing.T) {
	ps := newModel(t, nnlib.Float32, 1, modelSpec)
	m := testMeta(t)
	data := save(t, ps, m, checkpoint.SaveOptions{})
	for name, read := range map[string]func() (checkpoint.Meta, error){
		"ReadMeta": func() (checkpoint.Meta, error) { return checkpoint.ReadMeta(bytes.NewReader(data)) },
		"Load":     func() (checkpoint.Meta, error) { return checkpoint.Load(bytes.NewReader(data), ps) },
	} {
		got, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Version != checkpoint.FormatVersion {
			t.Errorf("%s: Version = %d, want %d", name, got.Version, checkpoint.FormatVersion)
		}
		var cfg modelConfig
		if err := got.DecodeConfig(&cfg); err != nil || cfg != (modelConfig{256, 2, 0.1}) {
			t.Errorf("%s: config %+v, %v", name, cfg, err)
		}
		var vocab []string
		if err := got.DecodeVocab(&vocab); err != nil || !slices.Equal(vocab, []string{"<pad>", "<s>", "</s>", "flight"}) {
			t.Errorf("%s: vocab %q, %v", name, vocab, err)
		}
		if !reflect.DeepEqual(got.Provenance, m.Provenance) || !reflect.DeepEqual(got.Extra, m.Extra) {
			t.Errorf("%s: provenance %v extra %q, want %v %q", name, got.Provenance, got.Extra, m.Provenance, m.Extra)
		}
	}
	// The map form is what Python's safetensors returns as metadata.
	kv, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"format_version": "1",
		"config":         `{"hidden":256,"layers":2,"dropout":0.1}`,
		"vocab":          `["\u003cpad\u003e","\u003cs\u003e","\u003c/s\u003e","flight"]`,
		"provenance":     `{"command":"parley train -epochs 3","data":"shared/data/atis","date":"2025-01-02T03:04:05Z","nnlib_version":"v0.1.0"}`,
		"note":           "ünïcode \"quoted\"\n",
	}
	if !reflect.DeepEqual(kv, want) {
		t.Errorf("Encode = %q\nwant %q", kv, want)
	}
}

func TestMetaErrors(t *testing.T) {
	if _, err := (checkpoint.Meta{Extra: map[string]string{"config": "{}"}}).Encode(); err == nil {
		t.Error("reserved Extra key: no error")
	}
	if _, err := (checkpoint.Meta{Config: json.RawMessage("{nope")}).Encode(); err == nil {
		t.Error("invalid config JSON: no error")
	}
	if err := (checkpoint.Meta{}).DecodeConfig(new(modelConfig)); err == nil {
		t.Error("DecodeConfig without config: no error")
	}
	if err := (&checkpoint.Meta{}).SetConfig(math.NaN()); err == nil {
		t.Error("SetConfig(NaN): no error")
	}
	for name, kv := range map[string]map[string]string{
		"version_text":     {"format_version": "one"},
		"version_zero":     {"format_version": "0"},
		"config_json":      {"config": "{"},
		"vocab_json":       {"vocab": "[1,"},
		"provenance_array": {"provenance": `["a"]`},
		"provenance_ints":  {"provenance": `{"a":1}`},
	} {
		if _, err := checkpoint.DecodeMeta(kv); !errors.Is(err, checkpoint.ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	if _, err := checkpoint.DecodeMeta(map[string]string{"format_version": "2"}); !errors.Is(err, checkpoint.ErrUnsupported) {
		t.Errorf("newer version: err = %v, want ErrUnsupported", err)
	}
}

// TestGolden checks the exact bytes of a tiny file against a layout built
// by hand from the safetensors specification.
func TestGolden(t *testing.T) {
	ps := nnlib.NewParamSet(nnlib.Float32, 1)
	w, err := ps.Add("w", []int{2}, nnlib.Zeros)
	if err != nil {
		t.Fatal(err)
	}
	copy(w.F32(), []float32{1, -2})
	if _, err := ps.Add("b", []int{1, 1}, nnlib.Const(0.5)); err != nil {
		t.Fatal(err)
	}

	header := `{"__metadata__":{"format_version":"1"},` +
		`"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}`
	// Padded with spaces to a multiple of 8 (148 → 152 bytes).
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	var want bytes.Buffer
	binary.Write(&want, binary.LittleEndian, uint64(len(header)))
	want.WriteString(header)
	want.Write([]byte{0x00, 0x00, 0x80, 0x3f}) // 1.0f
	want.Write([]byte{0x00, 0x00, 0x00, 0xc0}) // -2.0f
	want.Write([]byte{0x00, 0x00, 0x00, 0x3f}) // 0.5f

	got := save(t, ps, checkpoint.Meta{}, checkpoint.SaveOptions{})
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file bytes\n got %q\nwant %q", got, want.Bytes())
	}

	// The same model in half precision: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800.
	half := strings.NewReplacer(`"F32"`, `"F16"`, "[0,8]", "[0,4]", "[8,12]", "[4,6]").Replace(strings.TrimRight(header, " "))
	half += strings.Repeat(" ", (8-len(half)%8)%8)
	want.Reset()
	binary.Write(&want, binary.LittleEndian, uint64(len(half)))
	want.WriteString(half)
	want.Write([]byte{0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38})
	got = save(t, ps, checkpoint.Meta{}, checkpoint.SaveOptions{Float16: true})
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("float16 file bytes\n got %q\nwant %q", got, want.Bytes())
	}
}

func TestInspect(t *testing.T) {
	ps := newModel(t, nnlib.Float64, 1, modelSpec)
	data := save(t, ps, testMeta(t), checkpoint.SaveOptions{})
	info, err := checkpoint.Inspect(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []checkpoint.TensorInfo
	var off int64
	for _, s := range modelSpec {
		n := int64(8)
		for _, d := range s.shape {
			n *= int64(d)
		}
		got = append(got, checkpoint.TensorInfo{Name: s.name, Dtype: checkpoint.F64, Shape: s.shape, Begin: off, End: off + n})
		off += n
	}
	if !reflect.DeepEqual(info.Tensors, got) {
		t.Errorf("Tensors = %+v\nwant %+v", info.Tensors, got)
	}
	if info.DataSize != off || 8+info.HeaderSize+info.DataSize != int64(len(data)) || info.HeaderSize%8 != 0 {
		t.Errorf("HeaderSize %d DataSize %d, file %d bytes", info.HeaderSize, info.DataSize, len(data))
	}
	if info.Tensors[0].Len() != 64 {
		t.Errorf("Len = %d, want 64", info.Tensors[0].Len())
	}
}

func TestSaveFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	ps := newModel(t, nnlib.Float32, 1, modelSpec)
	if err := checkpoint.SaveFile(path, ps, testMeta(t), checkpoint.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	// A failing save (invalid metadata, found after the temp file is
	// created) leaves the old file and no temporary behind.
	bad := checkpoint.Meta{Config: json.RawMessage("{")}
	if err := checkpoint.SaveFile(path, newModel(t, nnlib.Float32, 9, modelSpec), bad, checkpoint.SaveOptions{}); err == nil {
		t.Fatal("invalid metadata: no error")
	}
	if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, first) {
		t.Errorf("failed save changed the file (err %v)", err)
	}
	// Overwrite works.
	if err := checkpoint.SaveFile(path, ps, checkpoint.Meta{}, checkpoint.SaveOptions{Float16: true}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "model.safetensors" {
		t.Errorf("directory holds %v, want only model.safetensors", entries)
	}
	dst := newModel(t, nnlib.Float32, 2, modelSpec)
	meta, err := checkpoint.LoadFile(path, dst)
	if err != nil || meta.Version != 1 {
		t.Fatalf("LoadFile: %+v, %v", meta, err)
	}
	if m, err := checkpoint.ReadMetaFile(path); err != nil || m.Version != 1 {
		t.Errorf("ReadMetaFile: %+v, %v", m, err)
	}
	if info, err := checkpoint.InspectFile(path); err != nil || len(info.Tensors) != 3 {
		t.Errorf("InspectFile: %+v, %v", info, err)
	}
	if err := checkpoint.SaveFile(filepath.Join(dir, "no", "such", "dir.safetensors"), ps, checkpoint.Meta{}, checkpoint.SaveOptions{}); err == nil {
		t.Error("save into a missing directory: no error")
	}
	if _, err := checkpoint.LoadFile(filepath.Join(dir, "missing.safetensors"), dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}

// hideSize hides Len and Seek, as a network stream or pipe would.
type hideSize struct{ r io.Reader }

func (h hideSize) Read(p []byte) (int, error) { return h.r.Read(p) }

func TestLoadUnsizedReader(t *testing.T) {
	src := newModel(t, nnlib.Float32, 1, modelSpec)
	data := save(t, src, checkpoint.Meta{}, checkpoint.SaveOptions{})
	dst := newModel(t, nnlib.Float32, 2, modelSpec)
	if _, err := checkpoint.Load(hideSize{bytes.NewReader(data)}, dst); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(values(src), values(dst)) {
		t.Error("values differ after loading from an unsized reader")
	}
	if _, err := checkpoint.ReadMeta(hideSize{bytes.NewReader(data)}); err != nil {
		t.Error(err)
	}
}

func TestLoadMismatch(t *testing.T) {
	file := save(t, newModel(t, nnlib.Float32, 1, []spec{{"enc.l0.wh", []int{4, 8}}, {"enc.l0.b", []int{8}}, {"extra.w", []int{2}}}), checkpoint.Meta{}, checkpoint.SaveOptions{})
	ps := newModel(t, nnlib.Float32, 2, modelSpec)
	before := values(ps)
	_, err := checkpoint.Load(bytes.NewReader(file), ps)
	if !errors.Is(err, checkpoint.ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
	for _, want := range []string{
		"enc.l0.wh: shape [4 8] in file, model wants [8 8]",
		"extra.w: in the file, not in the model",
		"dec.out: missing from the file",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !strings.HasPrefix(err.Error(), "checkpoint: load: ") || strings.Count(err.Error(), "checkpoint:") != 1 {
		t.Errorf("error %q: want one checkpoint: prefix", err)
	}
	if !reflect.DeepEqual(values(ps), before) {
		t.Error("failed Load changed the parameters")
	}
	// LoadFile names the file.
	path := filepath.Join(t.TempDir(), "old.safetensors")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.LoadFile(path, ps); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadFile error %v does not name %s", err, path)
	}
	if _, err := checkpoint.Load(bytes.NewReader(file), nil); err == nil {
		t.Error("nil ParamSet: no error")
	}
}

// int8Spec has matrices above and below MinInt8Size and a vector.
var int8Spec = []spec{{"emb", []int{64, 32}}, {"small", []int{4, 8}}, {"b", []int{32}}, {"zero", []int{32, 32}}}

func TestInt8RoundTrip(t *testing.T) {
	for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
		src := newModel(t, dt, 1, int8Spec)
		zero := src.Get("zero").Value
		zero.Zero()
		data := save(t, src, checkpoint.Meta{}, checkpoint.SaveOptions{Int8: true})
		info, err := checkpoint.Inspect(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		dtypes := map[string]checkpoint.Dtype{}
		for _, ti := range info.Tensors {
			dtypes[ti.Name] = ti.Dtype
		}
		want := map[string]checkpoint.Dtype{"emb": checkpoint.I8, "emb:scale": checkpoint.F32, "small": checkpoint.F16, "b": checkpoint.F16, "zero": checkpoint.I8, "zero:scale": checkpoint.F32}
		if !reflect.DeepEqual(dtypes, want) {
			t.Fatalf("stored dtypes %v, want %v", dtypes, want)
		}
		if wantSize := int64(64*32 + 64*4 + 4*8*2 + 32*2 + 32*32 + 32*4); info.DataSize != wantSize {
			t.Errorf("data size %d, want %d", info.DataSize, wantSize)
		}
		dst := newModel(t, dt, 2, int8Spec)
		if _, err := checkpoint.Load(bytes.NewReader(data), dst); err != nil {
			t.Fatal(err)
		}
		got, orig := values(dst), values(src)
		// Each int8 weight is within half a step (max|row|/254) of the
		// original; the F16 ones within 2^-11 relative.
		for _, name := range []string{"emb", "zero"} {
			w, g := orig[name], got[name]
			cols := len(w) / int8SpecRows(name)
			for r := 0; r < len(w)/cols; r++ {
				var m float64
				for _, x := range w[r*cols : (r+1)*cols] {
					m = max(m, math.Abs(x))
				}
				for i := r * cols; i < (r+1)*cols; i++ {
					if d := math.Abs(g[i] - w[i]); d > m/254*(1+1e-6) {
						t.Fatalf("%v %s[%d] = %g, want %g ± %g", dt, name, i, g[i], w[i], m/254)
					}
				}
			}
		}
		for _, name := range []string{"small", "b"} {
			for i, w := range orig[name] {
				if d := math.Abs(got[name][i] - w); d > 0x1p-11*math.Abs(w) {
					t.Fatalf("%v %s[%d] = %g, want %g", dt, name, i, got[name][i], w)
				}
			}
		}
		for i, g := range got["zero"] {
			if g != 0 {
				t.Fatalf("zero[%d] = %g after the round trip", i, g)
			}
		}
	}
}

func int8SpecRows(name string) int {
	for _, s := range int8Spec {
		if s.name == name {
			return s.shape[0]
		}
	}
	return 0
}

// TestInt8Corrupt checks the pairing of int8 tensors and their scales.
func TestInt8Corrupt(t *testing.T) {
	spec1 := []spec{{"w", []int{2, 3}}}
	i8 := `"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]}`
	cases := []struct{ name, header, msg string }{
		{"no_scale", "{" + i8 + ",\"pad\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[6,8]}}", "int8 tensor without its :scale tensor"},
		{"scale_shape", "{" + i8 + `,"w:scale":{"dtype":"F16","shape":[1],"data_offsets":[6,8]}}`, "want float of shape [2]"},
		{"scale_int8", "{" + i8 + `,"w:scale":{"dtype":"I8","shape":[2],"data_offsets":[6,8]}}`, "want float of shape [2]"},
		{"scale_alone", `{"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},"w:scale":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}`, "a scale without the int8 tensor w"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := c.header
			for len(hdr)%8 != 0 {
				hdr += " "
			}
			n := 8
			if c.name == "scale_alone" {
				n = 20
			}
			ps := newModel(t, nnlib.Float32, 1, spec1)
			_, err := checkpoint.Load(bytes.NewReader(buildFile(hdr, n)), ps)
			if !errors.Is(err, checkpoint.ErrMismatch) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want ErrMismatch containing %q", err, c.msg)
			}
		})
	}
}

func buildFile(header string, n int) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, make([]byte, n)...)
}

func TestConvertFile(t *testing.T) {
	dir := t.TempDir()
	src := newModel(t, nnlib.Float32, 1, int8Spec)
	meta := checkpoint.Meta{Provenance: map[string]string{"data": "x.tsv"}}
	f32 := filepath.Join(dir, "m.safetensors")
	if err := checkpoint.SaveFile(f32, src, meta, checkpoint.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	i8 := filepath.Join(dir, "m8.safetensors")
	if err := checkpoint.ConvertFile(f32, i8, checkpoint.SaveOptions{Int8: true}); err != nil {
		t.Fatal(err)
	}
	// Back to float32: the values are the int8 ones, exactly.
	back := filepath.Join(dir, "back.safetensors")
	if err := checkpoint.ConvertFile(i8, back, checkpoint.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	viaI8, viaBack := newModel(t, nnlib.Float32, 2, int8Spec), newModel(t, nnlib.Float32, 3, int8Spec)
	got, err := checkpoint.LoadFile(i8, viaI8)
	if err != nil {
		t.Fatal(err)
	}
	if got.Provenance["data"] != "x.tsv" {
		t.Errorf("provenance %v lost in conversion", got.Provenance)
	}
	if _, err := checkpoint.LoadFile(back, viaBack); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(values(viaI8), values(viaBack)) {
		t.Error("int8 → float32 conversion changed the values")
	}
	if reflect.DeepEqual(values(viaI8), values(src)) {
		t.Error("int8 storage kept the float32 values exactly: not quantised")
	}
	fi, _ := os.Stat(f32)
	qi, _ := os.Stat(i8)
	if qi.Size()*3 > fi.Size() {
		t.Errorf("int8 file %d bytes, float32 %d: want under a third", qi.Size(), fi.Size())
	}
	if err := checkpoint.ConvertFile(filepath.Join(dir, "missing"), i8, checkpoint.SaveOptions{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("converting a missing file: %v", err)
	}
}

func TestAverageFiles(t *testing.T) {
	for _, dt := range []nnlib.Dtype{nnlib.Float32, nnlib.Float64} {
		dir := t.TempDir()
		var paths []string
		var models []map[string][]float64
		for seed := uint64(1); seed <= 3; seed++ {
			ps := newModel(t, dt, seed, int8Spec)
			meta := checkpoint.Meta{Config: []byte(`{"h":1}`), Provenance: map[string]string{"data": "x.tsv"}}
			p := filepath.Join(dir, fmt.Sprintf("m%d.safetensors", seed))
			if err := checkpoint.SaveFile(p, ps, meta, checkpoint.SaveOptions{}); err != nil {
				t.Fatal(err)
			}
			paths, models = append(paths, p), append(models, values(ps))
		}
		avg := filepath.Join(dir, "avg.safetensors")
		if err := checkpoint.AverageFiles(paths, avg, checkpoint.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		got := newModel(t, dt, 9, int8Spec)
		meta, err := checkpoint.LoadFile(avg, got)
		if err != nil {
			t.Fatal(err)
		}
		if meta.Provenance["data"] != "x.tsv" || !strings.Contains(meta.Provenance["averaged"], "m3.safetensors") {
			t.Errorf("provenance %v", meta.Provenance)
		}
		for name, v := range values(got) {
			for i, x := range v {
				want := (models[0][name][i] + models[1][name][i] + models[2][name][i]) / 3
				if math.Abs(x-want) > 1e-6 {
					t.Fatalf("%v %s[%d] = %g, want the mean %g", dt, name, i, x, want)
				}
			}
		}
	}

	// Files of different models are refused, naming the odd one.
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
	if err := checkpoint.SaveFile(a, newModel(t, nnlib.Float32, 1, int8Spec), checkpoint.Meta{}, checkpoint.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.SaveFile(b, newModel(t, nnlib.Float32, 1, int8Spec[:2]), checkpoint.Meta{}, checkpoint.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.AverageFiles([]string{a, b}, filepath.Join(dir, "c"), checkpoint.SaveOptions{}); err == nil || !strings.Contains(err.Error(), "b.safetensors") {
		t.Errorf("averaging different models: %v", err)
	}
	if err := checkpoint.AverageFiles(nil, filepath.Join(dir, "c"), checkpoint.SaveOptions{}); err == nil {
		t.Error("averaging no files: no error")
	}
}
