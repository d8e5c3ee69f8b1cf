//go:build amd64 && !purego

package nnlib

//go:noescape
func sgemvAVX2(x *float32, k int, w *float32, ldw int, y *float32, n int)

// gemvRows32 computes C = A·B + β·C for a few rows of A (m ≤ maxGemvRows,
// no transposes, α = 1) with the AVX2 kernel, row by row, and reports
// whether it did. BLAS libraries handle such thin products poorly
// (OpenBLAS: about 18 µs for 1×128 by 128×512, which the kernel does in
// a few µs), and they are the recurrent steps of single-sentence
// inference.
func gemvRows32(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if !hasAVX2 || m > maxGemvRows || n < 8 || k < 1 ||
		len(a) < (m-1)*lda+k || len(b) < (k-1)*ldb+n || len(c) < (m-1)*ldc+n {
		return false
	}
	n8 := n &^ 7
	for r := 0; r < m; r++ {
		x, y := a[r*lda:r*lda+k], c[r*ldc:r*ldc+n]
		switch beta {
		case 0:
			clear(y)
		case 1:
		default:
			for j := range y {
				y[j] *= beta
			}
		}
		sgemvAVX2(&x[0], k, &b[0], ldb, &y[0], n8)
		for j := n8; j < n; j++ {
			var s float32
			for i, xi := range x {
				s += xi * b[i*ldb+j]
			}
			y[j] += s
		}
	}
	return true
}
