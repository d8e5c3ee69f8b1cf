//go:build openblas && !cuda

package nnlib

import (
	"os"

	"github.com/parley-ai/parley/nnlib/internal/openblas"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

const backendName = "openblas"

// With the openblas tag every GEMM of gorgonia and of nnlib's kernels goes
// through OpenBLAS (Debian: libopenblas-dev). Selecting the process-wide
// BLAS is registration, done once at start-up.
//
// nnlib runs OpenBLAS single-threaded unless OPENBLAS_NUM_THREADS says
// otherwise: nnlib splits large products over goroutines itself (see
// gemm), and idle OpenBLAS workers spin-wait between calls, taking the
// cores that nnlib's parallel element-wise loops need (measured: training
// step 0.65 s with one OpenBLAS thread and nnlib's split, against 0.84 s
// with two; README, "nnlib").
func init() {
	G.Use(netlib.Implementation{})
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		openblas.SetThreads(1)
	}
}

func machineOpts() []G.VMOpt { return nil }
