//go:build openblas && !cuda

package nnlib

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

const backendName = "openblas"

// With the openblas tag every GEMM of gorgonia and of nnlib's kernels goes
// through OpenBLAS (Debian: libopenblas-dev). Selecting the process-wide
// BLAS is registration, done once at start-up.
func init() { G.Use(netlib.Implementation{}) }

func machineOpts() []G.VMOpt { return nil }
