package features

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestNPYRoundTrip(t *testing.T) {
	for _, m := range []Matrix{
		randomFeats(7, 3, 1),
		{Rows: 1, Cols: 1, Data: []float32{float32(math.Inf(-1))}},
		{Rows: 0, Cols: 80, Data: []float32{}},
		NewMatrix(123, 80),
	} {
		var b bytes.Buffer
		if err := WriteNPY(&b, m); err != nil {
			t.Fatal(err)
		}
		// NumPy's layout: magic, version 1.0, header padded to 64 bytes
		// and ending in '\n', then the data.
		raw := b.Bytes()
		hlen := int(raw[8]) | int(raw[9])<<8
		if string(raw[:8]) != "\x93NUMPY\x01\x00" || (10+hlen)%64 != 0 || raw[10+hlen-1] != '\n' || len(raw) != 10+hlen+4*len(m.Data) {
			t.Fatalf("layout: %q", raw[:min(len(raw), 10+hlen)])
		}
		got, err := ReadNPY(&b)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows != m.Rows || got.Cols != m.Cols || len(got.Data) != len(m.Data) {
			t.Fatalf("read %d×%d, wrote %d×%d", got.Rows, got.Cols, m.Rows, m.Cols)
		}
		for i := range m.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(m.Data[i]) {
				t.Fatalf("value %d: %v, wrote %v", i, got.Data[i], m.Data[i])
			}
		}
	}
}

func TestNPYFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	m := randomFeats(4, 6, 2)
	if err := WriteNPYFile(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPYFile(path)
	if err != nil || maxAbsDiff(got.Data, m.Data) != 0 {
		t.Fatalf("file round trip: %v", err)
	}
	if _, err := ReadNPYFile(filepath.Join(t.TempDir(), "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := WriteNPYFile(filepath.Join(t.TempDir(), "no", "such", "dir.npy"), m); err == nil {
		t.Errorf("unwritable path: no error")
	}
	if err := WriteNPY(&bytes.Buffer{}, Matrix{Rows: 2, Cols: 2}); err == nil {
		t.Errorf("malformed matrix written")
	}
}

// npyFile builds a .npy file with the given header dictionary and data
// bytes (version 1.0, unpadded).
func npyFile(dict string, data []byte) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = append(b, byte(len(dict)), byte(len(dict)>>8))
	b = append(b, dict...)
	return append(b, data...)
}

func TestReadNPYErrors(t *testing.T) {
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }"
	data := make([]byte, 8)
	if _, err := ReadNPY(bytes.NewReader(npyFile(ok, data))); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	v2 := append([]byte("\x93NUMPY\x02\x00"), byte(len(ok)), 0, 0, 0)
	v2 = append(append(v2, ok...), data...)
	if _, err := ReadNPY(bytes.NewReader(v2)); err != nil {
		t.Fatalf("version 2.0 file: %v", err)
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"bad_magic", []byte("\x93NUMPZ\x01\x00\x00\x00")},
		{"version_9", []byte("\x93NUMPY\x09\x00\x00\x00")},
		{"short_header", npyFile(ok, nil)[:30]},
		{"float64", npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", data)},
		{"big_endian", npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 1), }", data)},
		{"fortran", npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", data)},
		{"1d", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data)},
		{"3d", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 1), }", data)},
		{"truncated_data", npyFile(ok, data[:5])},
		{"huge_shape", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999, 999999), }", data)},
		{"not_a_dict", npyFile("['descr', '<f4']", data)},
		{"missing_key", npyFile("{'descr': '<f4', 'shape': (2, 1)}", data)},
		{"unknown_key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), 'x': 1}", data)},
		{"duplicate_key", npyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)}", data)},
		{"unterminated", npyFile("{'descr': '<f4", data)},
		{"bad_bool", npyFile("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 1)}", data)},
		{"negative_dim", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 1)}", data)},
		{"trailing_text", npyFile(ok+" x", data)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadNPY(bytes.NewReader(tc.file)); !errors.Is(err, ErrNPYFormat) {
				t.Fatalf("ReadNPY: %v, want ErrNPYFormat", err)
			}
		})
	}
}

// FuzzReadNPY feeds arbitrary bytes to the reader (it reads user files):
// it must not panic, must return a well-formed matrix when it succeeds,
// and what it reads must survive a write/read round trip.
func FuzzReadNPY(f *testing.F) {
	var b bytes.Buffer
	if err := WriteNPY(&b, randomFeats(3, 2, 1)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	golden, err := os.ReadFile(filepath.Join("testdata", "TestGolden", "mfcc13_energy_tones8k.npy"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", nil))
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{'shape': (1,1)}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			t.Skip()
		}
		m, err := ReadNPY(bytes.NewReader(in))
		if err != nil {
			return
		}
		if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols || 4*len(m.Data) > len(in) {
			t.Fatalf("malformed result %d×%d with %d values from %d bytes", m.Rows, m.Cols, len(m.Data), len(in))
		}
		var out bytes.Buffer
		if err := WriteNPY(&out, m); err != nil {
			t.Fatal(err)
		}
		back, err := ReadNPY(&out)
		if err != nil || back.Rows != m.Rows || back.Cols != m.Cols {
			t.Fatalf("round trip: %v", err)
		}
		for i := range m.Data {
			if math.Float32bits(back.Data[i]) != math.Float32bits(m.Data[i]) {
				t.Fatalf("round trip changed value %d", i)
			}
		}
	})
}
