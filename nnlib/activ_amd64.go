//go:build amd64 && !purego

package nnlib

import "golang.org/x/sys/cpu"

// hasAVX2 is fixed at start-up from the processor's features.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func tanhAVX2(x *float32, n int, k *[16]float32)

// tanhVec32 runs the AVX2 kernel on the largest multiple of 8 elements
// and returns how many it did.
func tanhVec32(x []float32, k *[16]float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	tanhAVX2(&x[0], n, k)
	return n
}
