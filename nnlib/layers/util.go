package layers

import (
	"math"
	"math/rand/v2"
)

type randSource = rand.Rand

func sqrt(x float64) float64 { return math.Sqrt(x) }
