//go:build !openblas && !cuda

package nnlib

import G "gorgonia.org/gorgonia"

// The default build is pure Go: gorgonia's gonum BLAS, no cgo.
const backendName = "gonum"

func machineOpts() []G.VMOpt { return nil }
