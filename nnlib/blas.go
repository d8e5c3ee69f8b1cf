package nnlib

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float is the element type of kernel code.
type Float interface{ ~float32 | ~float64 }

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices
// through the BLAS gorgonia uses (pure Go by default, OpenBLAS with the
// openblas build tag). op(A) is m×k, op(B) is k×n, C is m×n.
func gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	// Large products with enough rows are split in two halves of C's
	// rows, each computed by its own goroutine with a single-threaded BLAS
	// call (with fewer rows, as in one batch step, halves run no faster):
	// this uses both cores without the BLAS library's own worker threads,
	// whose spin-waiting between calls would compete with nnlib's
	// parallel element-wise loops (see backend_openblas.go).
	if h := m / 2; h >= 32 && m*n*k >= 1<<21 && runtime.GOMAXPROCS(0) > 1 {
		var a2 []T
		if tA {
			a2 = a[h:]
		} else {
			a2 = a[h*lda:]
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			gemm1(tA, tB, m-h, n, k, alpha, a2, lda, b, ldb, beta, c[h*ldc:], ldc)
		}()
		gemm1(tA, tB, h, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		wg.Wait()
		return
	}
	gemm1(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// maxGemvRows is the most rows of A that gemm1 hands to the row-vector
// kernel instead of the BLAS; beyond gemvRowsAlways rows only when B is
// small (at most 2^17 elements). The kernel reads B once per row, so
// OpenBLAS wins on larger products (measured with BenchmarkGemmThin, one
// core: 1×128·128×512 2.2 µs against 17.7 µs; 8 rows of a 256×1024 B
// 116 µs against 85 µs).
const (
	maxGemvRows    = 8
	gemvRowsAlways = 5
)

func gemm1[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch av := any(a).(type) {
	case []float32:
		if (m <= gemvRowsAlways || m <= maxGemvRows && k*n <= 1<<17) && !tA && !tB && alpha == 1 &&
			gemvRows32(m, n, k, av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc) {
			return
		}
		G.WhichBLAS().Sgemm(trans(tA), trans(tB), m, n, k, float32(alpha), av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		G.WhichBLAS().Dgemm(trans(tA), trans(tB), m, n, k, float64(alpha), av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// data returns a dense tensor's backing slice as []T.
func data[T Float](d *tensor.Dense) []T {
	if d == nil {
		return nil
	}
	return d.Data().([]T)
}
