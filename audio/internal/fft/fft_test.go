package fft

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTransform compares with the direct DFT sum on random input.
func TestTransform(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 4, 8, 64, 512} {
		p, err := New(n)
		if err != nil {
			t.Fatal(err)
		}
		re, im := make([]float64, n), make([]float64, n)
		for i := range re {
			re[i], im[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		wantRe, wantIm := make([]float64, n), make([]float64, n)
		for k := range n {
			for j := range n {
				s, c := math.Sincos(-2 * math.Pi * float64(j*k%n) / float64(n))
				wantRe[k] += re[j]*c - im[j]*s
				wantIm[k] += re[j]*s + im[j]*c
			}
		}
		p.Transform(re, im)
		for k := range n {
			if math.Abs(re[k]-wantRe[k]) > 1e-9*float64(n) || math.Abs(im[k]-wantIm[k]) > 1e-9*float64(n) {
				t.Fatalf("n=%d: X[%d] = %v%+vi, want %v%+vi", n, k, re[k], im[k], wantRe[k], wantIm[k])
			}
		}
	}
}

func TestNewBadLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-4, 0, 1, 3, 12, 1000} {
		if _, err := New(n); err == nil {
			t.Errorf("New(%d) = nil error, want one", n)
		}
	}
}

func TestTransformPanicsOnLength(t *testing.T) {
	t.Parallel()
	p, err := New(8)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Transform of 4 values with a length-8 plan did not panic")
		}
	}()
	p.Transform(make([]float64, 4), make([]float64, 4))
}
