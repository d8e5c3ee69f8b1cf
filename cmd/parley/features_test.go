package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-ai/parley/audio"
	"github.com/parley-ai/parley/audio/features"
)

// tone writes a WAV file with a tone of f Hz.
func tone(t *testing.T, path string, rate int, f float64, seconds float64) {
	t.Helper()
	s := audio.Signal{Rate: rate, Samples: make([]float32, int(seconds*float64(rate)))}
	for i := range s.Samples {
		s.Samples[i] = float32(0.3 * math.Sin(2*math.Pi*f*float64(i)/float64(rate)))
	}
	if err := audio.WriteWAVFile(path, s, audio.PCM); err != nil {
		t.Fatal(err)
	}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestFeaturesCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	tone(t, filepath.Join(in, "a.wav"), 16000, 440, 0.5)
	tone(t, filepath.Join(in, "b.wav"), 8000, 300, 0.3)
	out := filepath.Join(dir, "out")

	code, stdout, stderr := runCLI("features", "--json", "--png", "-o", out, in)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var sum featuresSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	if sum.Files != 2 || sum.Failed != 0 || len(sum.Outputs) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	m, err := features.ReadNPYFile(filepath.Join(out, "a.fbank.npy"))
	if err != nil {
		t.Fatal(err)
	}
	// 0.5 s at 16 kHz, 25/10 ms frames with snip-edges: 1 + (8000-400)/160 = 48.
	if m.Rows != 48 || m.Cols != 80 {
		t.Errorf("a.fbank.npy is %d×%d, want 48×80", m.Rows, m.Cols)
	}
	if sum.Outputs[1].Rate != 8000 || sum.Outputs[1].Frames != 1+(2400-200)/80 {
		t.Errorf("b.wav output %+v", sum.Outputs[1])
	}
	f, err := os.Open(filepath.Join(out, "a.fbank.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("png: %v", err)
	}
}

func TestFeaturesMFCCCSVDeltas(t *testing.T) {
	dir := t.TempDir()
	tone(t, filepath.Join(dir, "a.wav"), 16000, 440, 0.3)
	code, _, stderr := runCLI("features", "--type", "mfcc", "--deltas", "--cmvn", "--format", "csv", "-o", dir, filepath.Join(dir, "*.wav"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a.mfcc.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1+(4800-400)/160 || len(strings.Split(lines[0], ",")) != 39 {
		t.Errorf("csv: %d lines of %d fields, want 28 of 39", len(lines), len(strings.Split(lines[0], ",")))
	}
}

// TestFeaturesBadFileContinues: a bad input is reported, the others are
// still written, and the exit status is 1.
func TestFeaturesBadFileContinues(t *testing.T) {
	dir := t.TempDir()
	tone(t, filepath.Join(dir, "good.wav"), 16000, 440, 0.3)
	os.WriteFile(filepath.Join(dir, "bad.wav"), []byte("fLaC\x00\x00\x00\x22 not a wav"), 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI("features", "-o", out, filepath.Join(dir, "bad.wav"), filepath.Join(dir, "good.wav"))
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr, "bad.wav") || !strings.Contains(stderr, "FLAC") {
		t.Errorf("stderr does not name the file and problem: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "good.fbank.npy")); err != nil {
		t.Errorf("good file not written: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("output dir has %d entries (temporary files left?)", len(entries))
	}
}

func TestFeaturesUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"features"},
		{"features", "--type", "mel", "x.wav"},
		{"features", "--preset", "htk", "x.wav"},
		{"features", "--format", "json", "x.wav"},
		{"features", "--channel", "-1", "x.wav"},
	} {
		if code, _, _ := runCLI(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
