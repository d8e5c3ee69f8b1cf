package features

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrInvalidConfig is wrapped by every error of Config.Validate (and so of
// New): test for it with errors.Is.
var ErrInvalidConfig = errors.New("features: invalid config")

// Window is the analysis window applied to each frame (Kaldi's
// --window-type). The windows are symmetric, over the frame's N samples:
// with a = 2π/(N−1) and i = 0..N−1,
//
//	Povey        (0.5 − 0.5·cos(a·i))^0.85   (Kaldi's default: a Hann window that reaches 0 at the edges)
//	Hamming      0.54 − 0.46·cos(a·i)
//	Hanning      0.5 − 0.5·cos(a·i)
//	Blackman     c − 0.5·cos(a·i) + (0.5 − c)·cos(2a·i), c = Config.BlackmanCoeff
//	Rectangular  1
type Window int

// The windows of Kaldi's feature-window.cc.
const (
	Povey Window = iota
	Hamming
	Hanning
	Blackman
	Rectangular
)

var windowNames = [...]string{Povey: "povey", Hamming: "hamming", Hanning: "hanning", Blackman: "blackman", Rectangular: "rectangular"}

// String returns Kaldi's name of the window ("povey", "hamming", ...).
func (w Window) String() string {
	if w >= 0 && int(w) < len(windowNames) {
		return windowNames[w]
	}
	return fmt.Sprintf("Window(%d)", int(w))
}

// ParseWindow returns the window with Kaldi's name s (case-insensitive):
// povey, hamming, hanning, blackman or rectangular.
func ParseWindow(s string) (Window, error) {
	for w, name := range windowNames {
		if strings.EqualFold(s, name) {
			return Window(w), nil
		}
	}
	return 0, fmt.Errorf("features: unknown window %q (want povey, hamming, hanning, blackman or rectangular)", s)
}

// MarshalText encodes the window by name, so configs read well as JSON.
func (w Window) MarshalText() ([]byte, error) {
	if w < 0 || int(w) >= len(windowNames) {
		return nil, fmt.Errorf("features: unknown window %d", int(w))
	}
	return []byte(w.String()), nil
}

// UnmarshalText decodes a window name (see ParseWindow).
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// Config holds the options of Kaldi's compute-fbank-feats,
// compute-mfcc-feats and compute-spectrogram-feats (and of
// torchaudio.compliance.kaldi, which follows them). Field comments give
// the Kaldi option each field stands for. Kaldi() and Torchaudio() return
// the two tools' defaults; DefaultConfig returns Kaldi().
//
// Not supported: VTLN warping, --min-duration, --subtract-mean (use CMVN),
// --use-log-fbank=false and the raw FFT output of the spectrogram.
type Config struct {
	// SampleRate is the rate of the signals, in Hz (--sample-frequency);
	// a signal at another rate is an error (resample first).
	SampleRate int
	// FrameLength and FrameShift set the analysis frames (--frame-length,
	// --frame-shift, 25 and 10 ms). In samples they are rounded down:
	// ⌊SampleRate·FrameLength⌋, as Kaldi's WindowSize().
	FrameLength time.Duration
	FrameShift  time.Duration
	// SnipEdges (--snip-edges, Kaldi's default true) keeps only frames that
	// fit in the signal: 1 + (n − length)/shift of them, none when n is
	// shorter than a frame. When false there are (n + shift/2)/shift
	// frames, frame t centred at t·shift + shift/2, and samples before the
	// start or past the end are read reflected (x[−1] = x[0],
	// x[n] = x[n−1]), as Kaldi's ExtractWindow.
	SnipEdges bool
	// Scale multiplies the samples before anything else. Kaldi reads 16-bit
	// WAVs as integers, so 32768 (the default) turns audio.Signal's
	// full-scale [-1, 1] samples into Kaldi's int16 range; dither,
	// energies and the log-mel offsets all depend on it.
	Scale float64
	// Dither is the standard deviation of the Gaussian noise added to each
	// sample of each frame, in the scaled (int16) units (--dither; Kaldi
	// 1.0, torchaudio 0). 0 disables it.
	Dither float64
	// Seed seeds the dither's random source. Each signal's noise is drawn
	// from a generator seeded with Seed alone, so a signal's features
	// depend only on it and the config, whether it is computed alone or
	// in a batch.
	Seed uint64
	// RemoveDCOffset subtracts each frame's mean (--remove-dc-offset).
	RemoveDCOffset bool
	// Preemphasis is the coefficient p of x[i] −= p·x[i−1] within each
	// frame, x[−1] = x[0] (--preemphasis-coefficient, 0.97); 0 disables it.
	Preemphasis float64
	// Window is the analysis window (--window-type).
	Window Window
	// BlackmanCoeff is the constant c of the Blackman window
	// (--blackman-coeff, 0.42).
	BlackmanCoeff float64
	// RoundToPowerOfTwo zero-pads each frame to the next power of two for
	// the FFT (--round-to-power-of-two); otherwise the FFT has the frame's
	// length, which must then be even.
	RoundToPowerOfTwo bool
	// UsePower makes the filterbank sum the power spectrum |X|²; false sums
	// the magnitude |X| (--use-power). MFCC always uses the power.
	UsePower bool
	// UseEnergy adds the frame's log energy to Fbank as an extra first
	// column (last with HTKCompat) (compute-fbank-feats --use-energy,
	// default false). MFCC has its own switch, MFCC.UseEnergy.
	UseEnergy bool
	// RawEnergy computes the energy before pre-emphasis and windowing
	// (after dither and DC removal) rather than on the windowed frame
	// (--raw-energy).
	RawEnergy bool
	// EnergyFloor is an absolute floor on the energy (not its log); 0 means
	// none, apart from the float32 epsilon every log is floored at
	// (--energy-floor; Kaldi 0, torchaudio 1).
	EnergyFloor float64
	// MelBins is the number of triangular mel bins (--num-mel-bins, 23).
	MelBins int
	// LowFreq and HighFreq bound the filterbank, in Hz (--low-freq 20,
	// --high-freq 0). A HighFreq ≤ 0 is an offset from the Nyquist
	// frequency: 0 is Nyquist, −400 is 400 Hz below it.
	LowFreq  float64
	HighFreq float64
	// HTKCompat moves the energy to the last column of Fbank and, in
	// MFCC, moves C0 (or the energy replacing it) to the end, C0 then
	// scaled by √2 (--htk-compat). It does not make the features HTK's.
	HTKCompat bool
	// MFCC holds the cepstral settings.
	MFCC MFCCConfig
}

// MFCCConfig holds the options only compute-mfcc-feats has.
type MFCCConfig struct {
	// NumCeps is the number of cepstra kept, C0 included (--num-ceps, 13);
	// at most Config.MelBins.
	NumCeps int
	// Lifter is the cepstral lifter Q: coefficient i is scaled by
	// 1 + Q/2·sin(πi/Q) (--cepstral-lifter, 22); 0 disables it.
	Lifter float64
	// UseEnergy replaces C0 by the frame's log energy
	// (compute-mfcc-feats --use-energy; Kaldi true, torchaudio false).
	UseEnergy bool
}

// Kaldi returns the defaults of Kaldi's compute-fbank-feats and
// compute-mfcc-feats (feature-window.h, feature-fbank.h, feature-mfcc.h,
// mel-computations.h) at 16 kHz: 25/10 ms povey frames with snip-edges,
// dither 1, DC removal, pre-emphasis 0.97, power spectrum, raw energy with
// no floor, 23 mel bins from 20 Hz to Nyquist, 13 cepstra, lifter 22,
// energy as C0 in MFCC but no energy column in Fbank.
func Kaldi() Config {
	return Config{
		SampleRate:        16000,
		FrameLength:       25 * time.Millisecond,
		FrameShift:        10 * time.Millisecond,
		SnipEdges:         true,
		Scale:             32768,
		Dither:            1,
		RemoveDCOffset:    true,
		Preemphasis:       0.97,
		Window:            Povey,
		BlackmanCoeff:     0.42,
		RoundToPowerOfTwo: true,
		UsePower:          true,
		UseEnergy:         false,
		RawEnergy:         true,
		EnergyFloor:       0,
		MelBins:           23,
		LowFreq:           20,
		HighFreq:          0,
		MFCC:              MFCCConfig{NumCeps: 13, Lifter: 22, UseEnergy: true},
	}
}

// Torchaudio returns the defaults of torchaudio.compliance.kaldi.fbank and
// .mfcc (torchaudio 0.13): Kaldi's, except no dither, an energy floor of 1
// and no energy in MFCC (C0 is the DCT's).
func Torchaudio() Config {
	c := Kaldi()
	c.Dither = 0
	c.EnergyFloor = 1
	c.MFCC.UseEnergy = false
	return c
}

// DefaultConfig returns Kaldi().
func DefaultConfig() Config { return Kaldi() }

// geometry is what a valid config works out to, in samples and bins.
type geometry struct {
	winLen, shift int     // samples per frame and between frames
	nfft          int     // FFT size (winLen or the next power of two)
	lowHz, highHz float64 // filterbank edges, HighFreq resolved
}

// samplesIn returns ⌊rate·d⌋ in samples, in exact integer arithmetic.
func samplesIn(rate int, d time.Duration) int64 {
	// rate ≤ 10⁷ and d ≤ 10⁹ ns (checked) keep the product within int64.
	return int64(rate) * int64(d) / int64(time.Second)
}

// Validate reports the first invalid setting, wrapping ErrInvalidConfig.
// Besides each field's range it checks what they imply: frames of at least
// 2 samples, an even FFT size, 0 ≤ LowFreq < HighFreq ≤ Nyquist, and
// every mel bin covering at least one FFT bin (Kaldi refuses empty bins:
// too many mel bins for the FFT size).
func (c Config) Validate() error {
	_, err := c.geometry()
	if err != nil {
		return err
	}
	_, err = melBanks(c)
	return err
}

func (c Config) geometry() (geometry, error) {
	bad := func(format string, args ...any) (geometry, error) {
		return geometry{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.SampleRate <= 0 || c.SampleRate > 10_000_000:
		return bad("SampleRate %d Hz outside (0, 10⁷]", c.SampleRate)
	case c.FrameLength <= 0 || c.FrameLength > time.Second:
		return bad("FrameLength %v outside (0, 1s]", c.FrameLength)
	case c.FrameShift <= 0 || c.FrameShift > time.Second:
		return bad("FrameShift %v outside (0, 1s]", c.FrameShift)
	case !(c.Scale > 0) || !finite(c.Scale):
		return bad("Scale %v must be positive", c.Scale)
	case !(c.Dither >= 0) || !finite(c.Dither):
		return bad("Dither %v must be non-negative", c.Dither)
	case !(c.Preemphasis >= 0 && c.Preemphasis <= 1):
		return bad("Preemphasis %v outside [0, 1]", c.Preemphasis)
	case c.Window < 0 || int(c.Window) >= len(windowNames):
		return bad("unknown Window %d", int(c.Window))
	case !finite(c.BlackmanCoeff):
		return bad("BlackmanCoeff %v is not finite", c.BlackmanCoeff)
	case !(c.EnergyFloor >= 0) || !finite(c.EnergyFloor):
		return bad("EnergyFloor %v must be non-negative", c.EnergyFloor)
	case c.MelBins < 3:
		return bad("MelBins %d < 3", c.MelBins)
	case !finite(c.LowFreq) || !finite(c.HighFreq):
		return bad("LowFreq %v and HighFreq %v must be finite", c.LowFreq, c.HighFreq)
	case c.MFCC.NumCeps < 1 || c.MFCC.NumCeps > c.MelBins:
		return bad("MFCC.NumCeps %d outside [1, MelBins=%d]", c.MFCC.NumCeps, c.MelBins)
	case !(c.MFCC.Lifter >= 0) || !finite(c.MFCC.Lifter):
		return bad("MFCC.Lifter %v must be non-negative", c.MFCC.Lifter)
	}
	g := geometry{
		winLen: int(samplesIn(c.SampleRate, c.FrameLength)),
		shift:  int(samplesIn(c.SampleRate, c.FrameShift)),
	}
	if g.winLen < 2 {
		return bad("FrameLength %v at %d Hz is %d sample(s), want at least 2", c.FrameLength, c.SampleRate, g.winLen)
	}
	if g.shift < 1 {
		return bad("FrameShift %v is less than a sample at %d Hz", c.FrameShift, c.SampleRate)
	}
	g.nfft = g.winLen
	if c.RoundToPowerOfTwo {
		g.nfft = 1
		for g.nfft < g.winLen {
			g.nfft <<= 1
		}
	}
	if g.nfft%2 != 0 {
		return bad("FFT size %d is odd (frame of %d samples without RoundToPowerOfTwo)", g.nfft, g.winLen)
	}
	nyquist := 0.5 * float64(c.SampleRate)
	g.lowHz, g.highHz = c.LowFreq, c.HighFreq
	if g.highHz <= 0 {
		g.highHz += nyquist
	}
	if !(g.lowHz >= 0 && g.lowHz < nyquist && g.highHz > 0 && g.highHz <= nyquist && g.lowHz < g.highHz) {
		return bad("LowFreq %v Hz and HighFreq %v Hz (resolved %v) do not fit 0 ≤ low < high ≤ Nyquist %v Hz",
			c.LowFreq, c.HighFreq, g.highHz, nyquist)
	}
	return g, nil
}
