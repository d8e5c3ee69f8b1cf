package nnlib

// Exp32 exposes exp32 to the external tests.
var Exp32 = exp32
var Gemm = gemm[float64]
var Gemm32 = gemm[float32]
