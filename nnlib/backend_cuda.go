//go:build cuda

package nnlib

import G "gorgonia.org/gorgonia"

// The cuda build hands gorgonia's own ops (GEMMs, element-wise maths) to
// the GPU through gorgonia's CUDA tape machine; nnlib's fused kernels still
// run on the CPU. This path needs the CUDA 10.2/11 toolkit, cuDNN headers
// and gorgonia's generated kernels (cudagen); it is designed in but has
// not been built here (see README, "Backends").
const backendName = "cuda"

func machineOpts() []G.VMOpt { return []G.VMOpt{G.UseCudaFor()} }
