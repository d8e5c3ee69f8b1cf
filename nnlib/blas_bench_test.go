package nnlib_test

import (
	"fmt"
	"testing"

	"github.com/parley-ai/parley/nnlib"
)

// BenchmarkGemm reports GFLOP/s of nnlib's GEMM (the backend's BLAS,
// split over goroutines for large products) on the shapes of the
// seq2seq benchmark: batch-step recurrences, input projections, output
// layer.
func BenchmarkGemm(b *testing.B) {
	for _, s := range [][3]int{{32, 1024, 256}, {32, 1000, 768}, {1600, 1024, 256}, {1600, 1024, 512}, {256, 1024, 1600}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for i := range a {
				a[i] = float32(i%7) * 0.1
			}
			for i := range bb {
				bb[i] = float32(i%5) * 0.1
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				nnlib.Gemm32(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
