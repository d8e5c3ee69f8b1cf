package translate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadPairs(t *testing.T) {
	in := "Hi.\tHola.\r\n\nGo away.\tVete.\tCC-BY 2.0 (France) Attribution: tatoeba.org\n  Spaced  \t  Espaciado \n"
	ps, err := ReadPairs(strings.NewReader(in), "x.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{"Hi.", "Hola."}, {"Go away.", "Vete."}, {"Spaced", "Espaciado"}}
	if len(ps) != len(want) {
		t.Fatalf("got %v", ps)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("pair %d = %v, want %v", i, ps[i], want[i])
		}
	}
}

func TestReadPairsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\tb\nno tab here\n", "x.tsv:2: no tab"},
		{"a\tb\n\tb\n", "x.tsv:2: empty source"},
		{"a\t \n", "x.tsv:1: empty source or target"},
		{"a\tb\n\xff\tc\n", "x.tsv:2: invalid UTF-8"},
		{strings.Repeat("a", 2<<20) + "\tb\n", "x.tsv"},
	} {
		_, err := ReadPairs(strings.NewReader(tc.in), "x.tsv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.20q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestReadPairsFileGzipAndMissing(t *testing.T) {
	if _, err := ReadPairsFile(filepath.Join(t.TempDir(), "missing.tsv")); err == nil || !strings.Contains(err.Error(), "missing.tsv") {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.tsv.gz")
	if err := os.WriteFile(p, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPairsFile(p); err == nil || !strings.Contains(err.Error(), "bad.tsv.gz") {
		t.Errorf("bad gzip: %v", err)
	}
}

// TestReadPairsRealData reads the Tatoeba files when they are present.
func TestReadPairsRealData(t *testing.T) {
	dir := os.Getenv("PARLEY_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	p := filepath.Join(dir, "tatoeba_parallel", "eng-spa.dev.tsv")
	if _, err := os.Stat(p); err != nil {
		t.Skip("Tatoeba data not found (set PARLEY_DATA)")
	}
	ps, err := ReadPairsFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 11863 {
		t.Errorf("%d dev pairs, want 11,863", len(ps))
	}
}

func FuzzReadPairs(f *testing.F) {
	f.Add("Hi.\tHola.\nGo.\tVe.\n")
	f.Add("a\tb\tc\r\n\n\n")
	f.Add("\xff\t\n")
	f.Add("no tab")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadPairs(strings.NewReader(s), "f.tsv")
		if err != nil {
			if !strings.Contains(err.Error(), "f.tsv") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		for _, p := range ps {
			if p.Src == "" || p.Tgt == "" || strings.ContainsAny(p.Src+p.Tgt, "\t\n") {
				t.Errorf("bad pair %q", p)
			}
		}
	})
}
