package models_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-ai/parley/nlu/models"
)

// devSentences returns the SNIPS dev utterances ($PARLEY_DATA or
// ../shared/data), or skips.
func devSentences(b *testing.B) []string {
	root := os.Getenv("PARLEY_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "data")
	}
	raw, err := os.ReadFile(filepath.Join(root, "snips", "valid", "seq.in"))
	if err != nil {
		b.Skipf("SNIPS dev split not found (set PARLEY_DATA): %v", err)
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n")
}

// BenchmarkParse reports the latency of parsing one SNIPS dev sentence
// at a time with the embedded model (p50 and p99 over the split).
func BenchmarkParse(b *testing.B) {
	sents := devSentences(b)
	m, err := models.SNIPS()
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := m.Parse(sents[i%len(sents)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkParseBatch reports sentences per second for the whole dev
// split parsed in one batch call.
func BenchmarkParseBatch(b *testing.B) {
	sents := devSentences(b)
	m, err := models.SNIPS()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.ParseBatch(sents); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(sents)*b.N)/b.Elapsed().Seconds(), "sentences/s")
}
