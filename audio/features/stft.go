package features

import (
	"math"
	"math/rand/v2"

	"github.com/mjibson/go-dsp/fft"
)

// epsilon is float32's machine epsilon, the floor Kaldi puts under every
// energy before taking its log (std::numeric_limits<float>::epsilon()).
const epsilon = 1.1920928955078125e-07

// numFrames is Kaldi's NumFrames (feature-window.cc) without flushing.
func (g geometry) numFrames(n int, snip bool) int {
	if snip {
		if n < g.winLen {
			return 0
		}
		return 1 + (n-g.winLen)/g.shift
	}
	return (n + g.shift/2) / g.shift
}

// firstSample is Kaldi's FirstSampleOfFrame: where frame t starts, which
// is before the signal for the first frames without snip-edges.
func (g geometry) firstSample(t int, snip bool) int {
	if snip {
		return t * g.shift
	}
	return t*g.shift + g.shift/2 - g.winLen/2
}

// windowFunc returns the window of Kaldi's FeatureWindowFunction.
func windowFunc(w Window, n int, blackman float64) []float64 {
	win := make([]float64, n)
	a := 2 * math.Pi / float64(n-1)
	for i := range win {
		c := math.Cos(a * float64(i))
		switch w {
		case Povey:
			win[i] = math.Pow(0.5-0.5*c, 0.85)
		case Hamming:
			win[i] = 0.54 - 0.46*c
		case Hanning:
			win[i] = 0.5 - 0.5*c
		case Blackman:
			win[i] = blackman - 0.5*c + (0.5-blackman)*math.Cos(2*a*float64(i))
		default: // Rectangular
			win[i] = 1
		}
	}
	return win
}

// fftPlan computes power spectra of real frames of even length n with
// go-dsp's FFT. It packs the frame into n/2 complex values
// z[k] = x[2k] + i·x[2k+1], takes their n/2-point FFT Z and untangles
// the spectrum of the even and odd samples:
//
//	X[k] = E[k] + W^k·O[k],  E[k] = (Z[k] + Z*[n/2−k])/2,  O[k] = −i·(Z[k] − Z*[n/2−k])/2,
//
// with W = e^(−2πi/n), for k = 0..n/2. That halves go-dsp's work (its
// FFTReal runs an n-point complex FFT) and is exact in real arithmetic.
// A plan is read-only after construction: safe for concurrent use.
type fftPlan struct {
	n  int
	tw []complex128 // W^k, k = 0..n/2
	// transform is the n/2-point complex FFT: go-dsp's fft.FFT (a
	// benchmark swaps in another to measure what go-dsp costs).
	transform func([]complex128) []complex128
}

func newFFTPlan(n int) *fftPlan {
	p := &fftPlan{n: n, tw: make([]complex128, n/2+1), transform: fft.FFT}
	for k := range p.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		p.tw[k] = complex(c, s)
	}
	return p
}

// power writes |X[k]|², k = 0..n/2, of the real frame x (length n) to
// dst, using z (length n/2) as scratch.
func (p *fftPlan) power(dst, x []float64, z []complex128) {
	m := p.n / 2
	for k := range z[:m] {
		z[k] = complex(x[2*k], x[2*k+1])
	}
	// go-dsp returns a new slice (radix-2 for powers of two, Bluestein
	// otherwise); it does not modify z.
	zf := p.transform(z[:m])
	// In real arithmetic, with a = Z[k] and b = Z[m−k]:
	// E = ((a.re + b.re) + i(a.im − b.im))/2, O = ((a.im + b.im) − i(a.re − b.re))/2.
	z0 := zf[0]
	dst[0] = (real(z0) + imag(z0)) * (real(z0) + imag(z0))
	dst[m] = (real(z0) - imag(z0)) * (real(z0) - imag(z0))
	for k := 1; k < m; k++ {
		a, b, w := zf[k], zf[m-k], p.tw[k]
		er, ei := 0.5*(real(a)+real(b)), 0.5*(imag(a)-imag(b))
		or, oi := 0.5*(imag(a)+imag(b)), -0.5*(real(a)-real(b))
		xr := er + real(w)*or - imag(w)*oi
		xi := ei + real(w)*oi + imag(w)*or
		dst[k] = xr*xr + xi*xi
	}
}

// power2 writes the power spectra of two real frames a and b (length n)
// to dstA and dstB with one n-point complex FFT of z = a + i·b (z has
// length n): A[k] = (Z[k] + Z*[n−k])/2, B[k] = (Z[k] − Z*[n−k])/(2i).
// go-dsp's FFT costs mostly per call (goroutines, channels, allocations),
// so two frames per call is about 1.5× faster than one.
func (p *fftPlan) power2(dstA, dstB, a, b []float64, z []complex128) {
	n := p.n
	for k := range z[:n] {
		z[k] = complex(a[k], b[k])
	}
	zf := p.transform(z[:n])
	for k := 0; k <= n/2; k++ {
		zk, zc := zf[k], zf[(n-k)%n]
		ar, ai := 0.5*(real(zk)+real(zc)), 0.5*(imag(zk)-imag(zc))
		br, bi := 0.5*(imag(zk)+imag(zc)), -0.5*(real(zk)-real(zc))
		dstA[k] = ar*ar + ai*ai
		dstB[k] = br*br + bi*bi
	}
}

// framer cuts, dithers, pre-processes and transforms the frames of one
// signal at a time. It holds per-call scratch: one framer per goroutine.
// When frames are asked for in order it transforms them two at a time
// (power2) and keeps the second for the next call.
type framer struct {
	e    *Extractor
	buf  []float64    // the frame, zero-padded to the FFT size
	buf2 []float64    // the next frame, for paired transforms
	z    []complex128 // FFT scratch (nfft values)
	spec []float64    // |X|², nfft/2+1 values
	// The next frame's spectrum and log energy, computed with this one.
	next      []float64
	nextLE    float64
	nextT     int
	nextOf    *float32 // the signal it belongs to (its first sample)
	nextOfLen int
	rng       *rand.Rand // dither source, reseeded per signal
}

func (e *Extractor) newFramer() *framer {
	n := e.geo.nfft
	f := &framer{e: e, buf: make([]float64, n), buf2: make([]float64, n), z: make([]complex128, n),
		spec: make([]float64, n/2+1), next: make([]float64, n/2+1), nextT: -1}
	if e.cfg.Dither != 0 {
		f.rng = rand.New(rand.NewPCG(e.cfg.Seed, 0x2545f4914f6cdd1d))
	}
	return f
}

// reset starts a new signal: the dither source restarts from the seed.
func (f *framer) reset() {
	f.nextT = -1
	if f.rng != nil {
		f.rng = rand.New(rand.NewPCG(f.e.cfg.Seed, 0x2545f4914f6cdd1d))
	}
}

// frame computes the power spectrum of frame t of x into f.spec and
// returns the frame's log energy (raw or windowed per the config, floored
// at epsilon and at the energy floor). The steps follow Kaldi's
// ExtractWindow and ProcessWindow: extract (reflecting at the edges),
// scale, dither, remove the DC offset, raw energy, pre-emphasis, window,
// zero-pad, windowed energy, FFT.
func (f *framer) frame(x []float32, t int) float64 {
	if len(x) > 0 && f.nextT == t && f.nextOf == &x[0] && f.nextOfLen == len(x) {
		f.nextT = -1
		copy(f.spec, f.next)
		return f.nextLE
	}
	le := f.prepare(f.buf, x, t)
	if t+1 < f.e.NumFrames(len(x)) {
		// The next frame is computed now, with the same dither draws in the
		// same order as if it were computed on its own next.
		f.nextLE = f.prepare(f.buf2, x, t+1)
		f.e.fft.power2(f.spec, f.next, f.buf, f.buf2, f.z)
		f.nextT, f.nextOf, f.nextOfLen = t+1, &x[0], len(x)
		return le
	}
	f.nextT = -1
	f.e.fft.power(f.spec, f.buf, f.z)
	return le
}

// prepare cuts frame t of x into buf (zero-padded to the FFT size) and
// pre-processes it; it returns the frame's log energy.
func (f *framer) prepare(buf []float64, x []float32, t int) float64 {
	e := f.e
	c, g := &e.cfg, e.geo
	w := buf[:g.winLen]
	start := g.firstSample(t, c.SnipEdges)
	n := len(x)
	if start >= 0 && start+g.winLen <= n {
		for i, v := range x[start : start+g.winLen] {
			w[i] = float64(v) * c.Scale
		}
	} else {
		for i := range w {
			j := start + i
			for j < 0 || j >= n { // reflect, repeatedly in pathological cases
				if j < 0 {
					j = -j - 1
				} else {
					j = 2*n - 1 - j
				}
			}
			w[i] = float64(x[j]) * c.Scale
		}
	}
	if f.rng != nil {
		for i := range w {
			w[i] += f.rng.NormFloat64() * c.Dither
		}
	}
	if c.RemoveDCOffset {
		var s float64
		for _, v := range w {
			s += v
		}
		mean := s / float64(len(w))
		for i := range w {
			w[i] -= mean
		}
	}
	var energy float64
	if c.RawEnergy {
		energy = sumSquares(w)
	}
	// Pre-emphasis (w[i] −= p·w[i−1], w[−1] = w[0]) and window in one
	// backward pass, which reads each w[i−1] before it changes.
	p, win := c.Preemphasis, e.win
	for i := len(w) - 1; i > 0; i-- {
		w[i] = (w[i] - p*w[i-1]) * win[i]
	}
	w[0] = (w[0] - p*w[0]) * win[0]
	clear(buf[g.winLen:])
	if !c.RawEnergy {
		energy = sumSquares(w)
	}
	le := math.Log(math.Max(energy, epsilon))
	if c.EnergyFloor > 0 {
		le = math.Max(le, math.Log(c.EnergyFloor))
	}
	return le
}

func sumSquares(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}
