//go:build openblas

// Package openblas holds the one direct cgo call nnlib makes into
// OpenBLAS. It is a package of its own because Go does not allow
// assembly (nnlib's vector kernels) in a package that uses cgo.
package openblas

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

// SetThreads sets the number of OpenBLAS worker threads.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }
