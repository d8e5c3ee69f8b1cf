package nnlib_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/nntest"
)

// TestGemmThin checks thin products (few rows of A, the shapes the
// row-vector kernel takes) against a float64 reference, with padded
// leading dimensions, every β kind and α ≠ 1 (the BLAS path).
func TestGemmThin(t *testing.T) {
	rng := nntest.Rand(11)
	for _, m := range []int{1, 2, 5, 7, 9} {
		for _, n := range []int{1, 7, 8, 9, 64, 65, 200, 512} {
			for _, k := range []int{1, 3, 128} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {1, 0.5}, {2, 1}} {
					alpha, beta := ab[0], ab[1]
					lda, ldb, ldc := k+3, n+5, n+2
					a := f32s(nntest.Uniform(rng, m*lda, 1))
					b := f32s(nntest.Uniform(rng, k*ldb, 1))
					c := f32s(nntest.Uniform(rng, m*ldc, 1))
					want := make([]float64, len(c))
					for i := range c {
						want[i] = float64(c[i])
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var s float64
							for p := 0; p < k; p++ {
								s += float64(a[i*lda+p]) * float64(b[p*ldb+j])
							}
							want[i*ldc+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
						}
					}
					nnlib.Gemm32(false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					for i := range c {
						if d := math.Abs(float64(c[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
							t.Fatalf("m %d n %d k %d α %v β %v: c[%d] = %v, want %v", m, n, k, alpha, beta, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

func f32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// BenchmarkGemmThin: one-row products of single-sentence inference.
func BenchmarkGemmThin(b *testing.B) {
	for _, s := range [][3]int{{1, 512, 128}, {1, 200, 50}, {5, 1024, 256}, {8, 512, 128}, {8, 1024, 256}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for i := 0; i < b.N; i++ {
				nnlib.Gemm32(false, false, m, n, k, 1, a, k, bb, n, 1, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
