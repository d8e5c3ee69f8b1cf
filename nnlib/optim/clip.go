package optim

import (
	"fmt"
	"math"

	"github.com/parley-ai/parley/nnlib"
	"gorgonia.org/tensor"
)

// GlobalNorm returns the L2 norm of all gradients of params taken together,
// √(Σ_p ‖g_p‖²), accumulated in float64. Parameters with a nil Grad are
// skipped.
func GlobalNorm(params []*nnlib.Param) float64 {
	ss := 0.0
	for _, p := range params {
		if p == nil || p.Grad == nil {
			continue
		}
		switch p.Grad.Dtype() {
		case tensor.Float32:
			ss += sumSq(p.Grad.Float32s())
		case tensor.Float64:
			ss += sumSq(p.Grad.Float64s())
		}
	}
	return math.Sqrt(ss)
}

func sumSq[T float](g []T) float64 {
	s := 0.0
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return s
}

// ClipGlobalNorm scales all gradients of params by one factor so that
// their global L2 norm is at most maxNorm, and returns the norm before
// clipping. It follows torch.nn.utils.clip_grad_norm_ (norm_type 2): the
// factor is maxNorm/(norm+1e-6), applied only when it is below 1. When
// the norm is NaN or infinite the gradients are left unchanged (torch
// would multiply them by NaN); check the returned norm.
//
// ClipGlobalNorm panics if maxNorm is not a positive number.
func ClipGlobalNorm(params []*nnlib.Param, maxNorm float64) float64 {
	if !(maxNorm > 0) {
		panic(fmt.Sprintf("optim: ClipGlobalNorm: maxNorm = %g, want > 0", maxNorm))
	}
	norm := GlobalNorm(params)
	coef := maxNorm / (norm + 1e-6)
	if math.IsNaN(norm) || math.IsInf(norm, 0) || coef >= 1 {
		return norm
	}
	for _, p := range params {
		if p == nil || p.Grad == nil {
			continue
		}
		switch p.Grad.Dtype() {
		case tensor.Float32:
			scale(p.Grad.Float32s(), coef)
		case tensor.Float64:
			scale(p.Grad.Float64s(), coef)
		}
	}
	return norm
}

func scale[T float](g []T, c float64) {
	for i, x := range g {
		g[i] = T(float64(x) * c)
	}
}
