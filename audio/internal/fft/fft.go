// Package fft is the small radix-2 FFT of package audio (voice activity
// detection), which keeps to the standard library. It is not a general FFT
// library: lengths are powers of two and the transform is complex and in
// place.
package fft

import (
	"fmt"
	"math"
	"math/bits"
)

// Plan holds the twiddle factors and bit-reversal permutation of one FFT
// length. A Plan is immutable and safe for concurrent use.
type Plan struct {
	n        int
	cos, sin []float64 // cos(2πk/n), −sin(2πk/n) for k < n/2
	rev      []int
}

// New returns the Plan for length n, which must be a power of two, at
// least 2.
func New(n int) (*Plan, error) {
	if n < 2 || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two ≥ 2", n)
	}
	p := &Plan{n: n, cos: make([]float64, n/2), sin: make([]float64, n/2), rev: make([]int, n)}
	for k := range p.cos {
		s, c := math.Sincos(2 * math.Pi * float64(k) / float64(n))
		p.cos[k], p.sin[k] = c, -s
	}
	shift := bits.UintSize - bits.TrailingZeros(uint(n))
	for i := range p.rev {
		p.rev[i] = int(bits.Reverse(uint(i)) >> shift)
	}
	return p, nil
}

// Len returns the transform length.
func (p *Plan) Len() int { return p.n }

// Transform replaces (re, im) by its discrete Fourier transform
// X[k] = Σ_j x[j]·exp(−2πi·jk/n), iteratively (Cooley–Tukey, decimation
// in time). It panics if len(re) or len(im) is not Len().
func (p *Plan) Transform(re, im []float64) {
	if len(re) != p.n || len(im) != p.n {
		panic(fmt.Sprintf("fft: Transform of %d and %d values with a length-%d plan", len(re), len(im), p.n))
	}
	for i, j := range p.rev {
		if i < j {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for size := 2; size <= p.n; size <<= 1 {
		half, step := size/2, p.n/size
		for start := 0; start < p.n; start += size {
			for k := 0; k < half; k++ {
				wr, wi := p.cos[k*step], p.sin[k*step]
				a, b := start+k, start+k+half
				tr := wr*re[b] - wi*im[b]
				ti := wr*im[b] + wi*re[b]
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a], im[a] = re[a]+tr, im[a]+ti
			}
		}
	}
}
