package nnlib

import (
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
	switch av := any(a).(type) {
	case []float32:
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
