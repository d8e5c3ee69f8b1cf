package nnlib

import (
	// Go 1.26 support for gorgonia.org/tensor: the version tensor pins
	// panics at start-up on Go releases it does not know (see
	// ../shared/notes/gorgonia.md §0); importing the current one here keeps
	// it in go.mod.
	_ "go4.org/unsafe/assume-no-moving-gc"
)

// Backend names the BLAS implementation this binary was built with:
// "gonum" (pure Go, the default), "openblas" (build tag openblas) or
// "cuda" (build tag cuda; see README).
func Backend() string { return backendName }
