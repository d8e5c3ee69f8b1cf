package seq2seq_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/seq2seq"
)

// TestSaveLoadSameOutputs: a model saved and loaded again decodes exactly
// as before (float32 storage), and nearly so with float16 storage.
func TestSaveLoadSameOutputs(t *testing.T) {
	m := randomModel(t, "location")
	srcs := randomSources(6, 11)
	cfg := seq2seq.BeamConfig{Width: 3, NBest: 2, MaxLen: 15}
	want, err := m.Beam(context.Background(), srcs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf, seq2seq.SaveOptions{Vocab: []string{"a", "b"}, Provenance: map[string]string{"data": "test"}}); err != nil {
		t.Fatal(err)
	}
	m2, meta, err := seq2seq.Load(bytes.NewReader(buf.Bytes()), nnlib.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Provenance["data"] != "test" {
		t.Errorf("provenance lost: %v", meta.Provenance)
	}
	if m2.Cfg != m.Cfg {
		t.Errorf("config %+v != %+v", m2.Cfg, m.Cfg)
	}
	got, err := m2.Beam(context.Background(), srcs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if !slices.Equal(got[i][j].Tokens, want[i][j].Tokens) || got[i][j].Score != want[i][j].Score {
				t.Errorf("source %d hyp %d: loaded %v (%v) != saved %v (%v)", i, j, got[i][j].Tokens, got[i][j].Score, want[i][j].Tokens, want[i][j].Score)
			}
		}
	}

	// Float16 file, through the atomic file path.
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.SaveFile(path, seq2seq.SaveOptions{Float16: true}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > int64(buf.Len())*6/10 {
		t.Errorf("float16 file %d bytes, float32 %d: not about half", st.Size(), buf.Len())
	}
	m3, _, err := seq2seq.LoadFile(path, nnlib.Float32)
	if err != nil {
		t.Fatal(err)
	}
	g16, err := m3.Greedy(context.Background(), srcs, seq2seq.GreedyConfig{MaxLen: 15})
	if err != nil {
		t.Fatal(err)
	}
	g32, _ := m.Greedy(context.Background(), srcs, seq2seq.GreedyConfig{MaxLen: 15})
	same := 0
	for i := range g16 {
		if slices.Equal(g16[i].Tokens, g32[i].Tokens) {
			same++
		}
	}
	if same < len(srcs)-1 {
		t.Errorf("float16 model decodes differ on %d of %d sources", len(srcs)-same, len(srcs))
	}
}

func TestLoadRejectsOtherFiles(t *testing.T) {
	if _, _, err := seq2seq.Load(bytes.NewReader([]byte("RIFF....WAVEfmt ")), nnlib.Float32); err == nil {
		t.Error("WAV bytes: want error")
	}
	if _, _, err := seq2seq.LoadFile(filepath.Join(t.TempDir(), "missing"), nnlib.Float32); err == nil {
		t.Error("missing file: want error")
	}
}
