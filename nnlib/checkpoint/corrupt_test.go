package checkpoint_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/checkpoint"
)

// The small model of the corruption tests: a [2] and b [3], float32, 20
// data bytes.
var smallSpec = []spec{{"a", []int{2}}, {"b", []int{3}}}

const (
	entryA = `"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	entryB = `"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}`
)

// build returns a file with the given JSON header and n data bytes.
func build(header string, n int) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	for i := range n {
		out = append(out, byte(i))
	}
	return out
}

func withPrefix(n uint64, rest []byte) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

type corruptCase struct {
	name string
	data []byte
	kind error
	msg  string // substring of the error for a sized reader
}

func corruptCases() []corruptCase {
	valid := build("{"+entryA+","+entryB+"}", 20)
	rest := valid[8:]
	random := make([]byte, 256)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	wav := append([]byte("RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data"), make([]byte, 64)...)
	obj := func(entries ...string) string { return "{" + strings.Join(entries, ",") + "}" }
	return []corruptCase{
		{"empty", nil, checkpoint.ErrFormat, "truncated: 0 bytes"},
		{"short", []byte{1, 2, 3, 4, 5}, checkpoint.ErrFormat, "truncated: 5 bytes"},
		{"header_length_absurd", withPrefix(200<<20, rest), checkpoint.ErrFormat, "exceeds the 104857600-byte limit"},
		{"header_length_max_uint64", withPrefix(1<<64-1, rest), checkpoint.ErrFormat, "exceeds the 104857600-byte limit"},
		{"header_length_beyond_file", withPrefix(uint64(len(rest)+1), rest), checkpoint.ErrFormat, "exceeds the 128 bytes that follow it"},
		{"header_length_tiny", withPrefix(1, rest), checkpoint.ErrFormat, "too small"},
		{"wav", wav, checkpoint.ErrFormat, "not a safetensors file"},
		{"random", random, checkpoint.ErrFormat, "not a safetensors file"},
		{"truncated_data", valid[:len(valid)-1], checkpoint.ErrFormat, "truncated: the tensors need 20 data bytes, the file has 19"},
		{"truncated_header", valid[:40], checkpoint.ErrFormat, "exceeds the 32 bytes that follow it"},
		{"trailing_bytes", append(valid[:len(valid):len(valid)], 0), checkpoint.ErrFormat, "1 bytes after the last tensor"},
		{"invalid_json", build(`{"a":`, 20), checkpoint.ErrFormat, "invalid JSON"},
		{"json_array", build(`[1,2]`, 0), checkpoint.ErrFormat, "header is not a JSON object"},
		{"json_garbage", build(`{"a" 1}`, 0), checkpoint.ErrFormat, "invalid JSON"},
		{"data_after_json", build(obj(entryA, entryB)+"{}", 20), checkpoint.ErrFormat, "data after the JSON object"},
		{"duplicate_key", build(obj(entryA, entryA, entryB), 20), checkpoint.ErrFormat, `duplicate key "a"`},
		{"unknown_dtype", build(obj(strings.Replace(entryA, "F32", "F24", 1), entryB), 20), checkpoint.ErrFormat, `a: unknown dtype "F24"`},
		{"unsupported_dtype", build(obj(strings.Replace(entryA, "F32", "I32", 1), entryB), 20), checkpoint.ErrUnsupported, "a: dtype I32 is not supported"},
		{"overlap", build(obj(entryA, `"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}`), 16), checkpoint.ErrFormat, "b: data_offsets [4, 16] overlap a"},
		{"gap", build(obj(entryA, `"b":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}`), 24), checkpoint.ErrFormat, "b: data_offsets [12, 24] leave 4 bytes unused"},
		{"offsets_beyond_data", build(obj(entryA, entryB), 16), checkpoint.ErrFormat, "the tensors need 20 data bytes, the file has 16"},
		{"offsets_vs_shape", build(obj(`"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrFormat, "a: data_offsets [0, 8] hold 8 bytes, shape [3] of F32 needs 12"},
		{"offsets_reversed", build(obj(`"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}`, entryB), 20), checkpoint.ErrFormat, "a: invalid data_offsets [8 0]"},
		{"offsets_one", build(obj(`"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}`, entryB), 20), checkpoint.ErrFormat, "a: invalid data_offsets [8]"},
		{"offsets_huge", build(obj(`"a":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,18446744073709551615]}`, entryB), 20), checkpoint.ErrFormat, "a: invalid data_offsets"},
		{"negative_dim", build(obj(`"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrFormat, "a: invalid tensor entry"},
		{"fractional_dim", build(obj(`"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrFormat, "a: invalid tensor entry"},
		{"huge_shape", build(obj(`"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrFormat, "a: shape [4294967296 4294967296] is too large"},
		{"huge_dim_after_zero", build(obj(`"a":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}`, entryB), 20), checkpoint.ErrFormat, "is too large"},
		{"missing_field", build(obj(`"a":{"dtype":"F32","shape":[2]}`, entryB), 20), checkpoint.ErrFormat, "a: tensor entry needs dtype, shape and data_offsets"},
		{"null_field", build(obj(`"a":{"dtype":null,"shape":[2],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrFormat, "a: tensor entry needs"},
		{"unknown_field", build(obj(`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"strides":[1]}`, entryB), 20), checkpoint.ErrFormat, "a: invalid tensor entry"},
		{"entry_not_object", build(obj(`"a":[1]`, entryB), 20), checkpoint.ErrFormat, "a: invalid tensor entry"},
		{"empty_name", build(obj(`"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrFormat, "empty tensor name"},
		{"metadata_not_object", build(obj(`"__metadata__":"x"`, entryA, entryB), 20), checkpoint.ErrFormat, "__metadata__ is not a JSON object"},
		{"metadata_not_string", build(obj(`"__metadata__":{"k":1}`, entryA, entryB), 20), checkpoint.ErrFormat, `__metadata__: value of "k" is not a string`},
		{"metadata_null_value", build(obj(`"__metadata__":{"k":null}`, entryA, entryB), 20), checkpoint.ErrFormat, `value of "k" is not a string`},
		{"metadata_duplicate", build(obj(`"__metadata__":{"k":"1","k":"2"}`, entryA, entryB), 20), checkpoint.ErrFormat, `__metadata__: duplicate key "k"`},
		{"metadata_bad_config", build(obj(`"__metadata__":{"config":"{"}`, entryA, entryB), 20), checkpoint.ErrFormat, "metadata config is not valid JSON"},
		{"newer_version", build(obj(`"__metadata__":{"format_version":"7"}`, entryA, entryB), 20), checkpoint.ErrUnsupported, "format version 7 is newer than this build reads (1)"},
		{"shape_mismatch", build(obj(`"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}`, entryB), 20), checkpoint.ErrMismatch, "a: shape [1 2] in file, model wants [2]"},
		{"missing_param", build(obj(entryA), 8), checkpoint.ErrMismatch, "b: missing from the file"},
		{"extra_tensor", build(obj(entryA, entryB, `"c":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}`), 24), checkpoint.ErrMismatch, "c: in the file, not in the model"},
	}
}

func TestValidSmallFile(t *testing.T) {
	ps := newModel(t, nnlib.Float32, 1, smallSpec)
	data := build("{"+entryA+","+entryB+"}", 20)
	if _, err := checkpoint.Load(bytes.NewReader(data), ps); err != nil {
		t.Fatal(err)
	}
	// build fills the data with bytes 0, 1, 2, …; a[0] is 00 01 02 03 read
	// as a little-endian float32.
	if got := ps.Get("a").F32()[0]; got != 3.8204714e-37 { // bytes 00 01 02 03
		t.Errorf("a[0] = %g", got)
	}
}

func TestCorruptFiles(t *testing.T) {
	for _, c := range corruptCases() {
		t.Run(c.name, func(t *testing.T) {
			ps := newModel(t, nnlib.Float32, 1, smallSpec)
			before := values(ps)
			_, err := checkpoint.Load(bytes.NewReader(c.data), ps)
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %q, want it to mention %q", err, c.msg)
			}
			// Through a reader that hides its size the message may
			// differ (truncation is found while reading) but not the kind.
			if _, err := checkpoint.Load(hideSize{bytes.NewReader(c.data)}, ps); !errors.Is(err, c.kind) {
				t.Errorf("unsized reader: err = %v, want %v", err, c.kind)
			}
			if !reflect.DeepEqual(values(ps), before) {
				t.Error("failed Load changed the parameters")
			}
		})
	}
}

// FuzzLoad feeds arbitrary bytes to every reader of the package. They must
// not panic, must leave the model unchanged on error, must agree between
// sized and unsized readers, and what loads must survive a save/load round
// trip. Inputs over 64 KiB are skipped; a lying header cannot make a
// reader allocate more than the input or the model (see readBounded).
func FuzzLoad(f *testing.F) {
	for _, c := range corruptCases() {
		f.Add(c.data)
	}
	ps := newModel(f, nnlib.Float32, 1, smallSpec)
	f.Add(save(f, ps, checkpoint.Meta{}, checkpoint.SaveOptions{}))
	f.Add(save(f, ps, checkpoint.Meta{Extra: map[string]string{"k": "v"}}, checkpoint.SaveOptions{Float16: true}))
	f.Add(save(f, newModel(f, nnlib.Float64, 1, smallSpec), checkpoint.Meta{}, checkpoint.SaveOptions{}))
	f.Add(stateFile(f))
	f.Add(save(f, newModel(f, nnlib.Float32, 1, []spec{{"a", []int{32, 32}}, {"b", []int{3}}}), checkpoint.Meta{}, checkpoint.SaveOptions{Int8: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip("input over 64 KiB")
		}
		ps := newModel(t, nnlib.Float32, 1, smallSpec)
		before := values(ps)
		_, err := checkpoint.Load(bytes.NewReader(data), ps)
		if err != nil && !reflect.DeepEqual(values(ps), before) {
			t.Fatalf("failed Load (%v) changed the parameters", err)
		}
		ps2 := newModel(t, nnlib.Float32, 1, smallSpec)
		_, err2 := checkpoint.Load(hideSize{bytes.NewReader(data)}, ps2)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("sized reader: %v; unsized reader: %v", err, err2)
		}
		// The other readers must only not panic.
		checkpoint.Inspect(bytes.NewReader(data))
		checkpoint.Inspect(hideSize{bytes.NewReader(data)})
		checkpoint.LoadState(bytes.NewReader(data))
		checkpoint.LoadState(hideSize{bytes.NewReader(data)})
		if err != nil {
			return
		}
		if !sameValues(values(ps), values(ps2)) {
			t.Fatal("sized and unsized loads differ")
		}
		again := save(t, ps, checkpoint.Meta{}, checkpoint.SaveOptions{})
		ps3 := newModel(t, nnlib.Float32, 2, smallSpec)
		if _, err := checkpoint.Load(bytes.NewReader(again), ps3); err != nil {
			t.Fatalf("reloading a re-saved model: %v", err)
		}
		if !sameValues(values(ps), values(ps3)) {
			t.Fatal("re-saved model differs")
		}
	})
}

// sameValues compares parameter values, NaN equal to NaN.
func sameValues(a, b map[string][]float64) bool {
	for k, x := range a {
		for i := range x {
			if x[i] != b[k][i] && !(x[i] != x[i] && b[k][i] != b[k][i]) {
				return false
			}
		}
	}
	return true
}
