package features

import (
	"fmt"
	"math"
)

// MelScale returns the mel frequency of f Hz on Kaldi's (and HTK's) scale,
// 1127·ln(1 + f/700).
func MelScale(f float64) float64 { return 1127 * math.Log(1+f/700) }

// InverseMelScale returns the frequency in Hz of m mels: 700·(e^(m/1127) − 1).
func InverseMelScale(m float64) float64 { return 700 * (math.Exp(m/1127) - 1) }

// melBank is a triangular filterbank over the FFT bins 0..nfft/2−1 (the
// Nyquist bin has no weight in Kaldi's banks).
type melBank struct {
	nbins, nmel int
	// w is (nbins, nmel) row-major: w[i·nmel+b] is the weight of FFT bin
	// i in mel bin b, the layout of nnlib's Linear weights.
	w []float32
	// lo and hi bound the FFT bins of each mel bin: w[i·nmel+b] is zero
	// outside lo[b] ≤ i < hi[b] (the band nnlib's BandLinear reads).
	lo, hi []int
}

// melBanks computes Kaldi's filterbank (MelBanks in mel-computations.cc,
// get_mel_banks in torchaudio): MelBins+2 points equally spaced in mel
// from LowFreq to HighFreq; bin b rises linearly in mel from point b to
// point b+1 and falls to point b+2. FFT bin i, at i·rate/nfft Hz, gets
// weight (m − left)/(center − left) or (right − m)/(right − center) where
// its mel m lies strictly inside (left, right), else 0. As Kaldi, a bin
// that no FFT bin falls into is an error.
func melBanks(c Config) (*melBank, error) {
	g, err := c.geometry()
	if err != nil {
		return nil, err
	}
	nbins, nmel := g.nfft/2, c.MelBins
	binWidth := float64(c.SampleRate) / float64(g.nfft)
	melLow, melHigh := MelScale(g.lowHz), MelScale(g.highHz)
	delta := (melHigh - melLow) / float64(nmel+1)
	mb := &melBank{nbins: nbins, nmel: nmel, w: make([]float32, nbins*nmel),
		lo: make([]int, nmel), hi: make([]int, nmel)}
	mels := make([]float64, nbins)
	for i := range mels {
		mels[i] = MelScale(binWidth * float64(i))
	}
	for b := 0; b < nmel; b++ {
		left := melLow + float64(b)*delta
		center := melLow + float64(b+1)*delta
		right := melLow + float64(b+2)*delta
		lo, hi := -1, -1
		for i, m := range mels {
			if !(m > left && m < right) {
				continue
			}
			var wt float64
			if m <= center {
				wt = (m - left) / (center - left)
			} else {
				wt = (right - m) / (right - center)
			}
			mb.w[i*nmel+b] = float32(wt)
			if lo < 0 {
				lo = i
			}
			hi = i + 1
		}
		mb.lo[b], mb.hi[b] = lo, hi
		if lo < 0 {
			return nil, fmt.Errorf("%w: mel bin %d (%.1f-%.1f Hz) holds no FFT bin: too many MelBins (%d) for an FFT of %d points",
				ErrInvalidConfig, b, InverseMelScale(left), InverseMelScale(right), nmel, g.nfft)
		}
	}
	return mb, nil
}

// dctMatrix returns Kaldi's DCT (ComputeDctMatrix: the orthonormal
// DCT-II, row 0 scaled by √(1/N), the others by √(2/N)) truncated to
// numCeps cepstra and with the lifter folded in, as a (nmel, numCeps)
// row-major matrix for nnlib's Linear: c_k = L_k·Σ_n D[n,k]·x_n with
// D[n,k] = s_k·cos(π/N·(n+½)·k) and L_k = 1 + Q/2·sin(πk/Q) (Q = lifter;
// L_k = 1 when Q = 0). Folding the lifter into the matrix is exact in
// real arithmetic and saves a pass.
func dctMatrix(nmel, numCeps int, lifter float64) []float32 {
	d := make([]float32, nmel*numCeps)
	for k := 0; k < numCeps; k++ {
		s := math.Sqrt(2 / float64(nmel))
		if k == 0 {
			s = math.Sqrt(1 / float64(nmel))
		}
		if lifter != 0 {
			s *= 1 + 0.5*lifter*math.Sin(math.Pi*float64(k)/lifter)
		}
		for n := 0; n < nmel; n++ {
			d[n*numCeps+k] = float32(s * math.Cos(math.Pi/float64(nmel)*(float64(n)+0.5)*float64(k)))
		}
	}
	return d
}
