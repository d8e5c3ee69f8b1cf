package nnlib

// Exp32 exposes exp32 to the external tests.
var Exp32 = exp32
var Gemm = gemm[float64]
var Gemm32 = gemm[float32]

var Tanh32 = tanh32

func Sigm32(x float32) float32 { return sigm(x) }

var TanhInPlace32 = tanhInPlace32
