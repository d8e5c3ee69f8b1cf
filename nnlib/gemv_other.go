//go:build !amd64 || purego

package nnlib

// gemvRows32 has no vector kernel on this platform.
func gemvRows32(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	return false
}
