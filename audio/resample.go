package audio

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidRate is returned (wrapped) for a sample rate that is zero or
// negative.
var ErrInvalidRate = errors.New("audio: invalid sample rate")

// ErrInvalidConfig is returned (wrapped) by the Validate methods of the
// package's configs and by the functions that take them.
var ErrInvalidConfig = errors.New("audio: invalid config")

// Quality selects the low-pass filter of a Resampler. The zero value is
// QualityStandard.
//
// Every level is a Kaiser-windowed sinc (Kaiser 1974; Oppenheim & Schafer,
// Discrete-Time Signal Processing, 3rd ed., §7.6). With fmin the lower of the
// two rates, the filter passes [0, Pass·fmin], stops [Stop·fmin, ∞) and
// has its cutoff in the middle of the transition band:
//
//	quality   Pass  Stop  Kaiser  taps per output      measured (TestResampleFilterSpec)
//	                      design  16k→48k (16k→8k)     ripple      stop band
//	fast      0.40  0.50   51 dB    30 (60)             < 0.03 dB   ≤ −50 dB
//	standard  0.45  0.50   71 dB    88 (176)            < 0.003 dB  ≤ −70 dB
//	high      0.45  0.50  101 dB   130 (260)            < 0.0001 dB ≤ −100 dB
//
// (The design attenuation is 1 dB above the target because Kaiser's length
// formula falls short by a few tenths of a dB.)
//
// The stop band starts exactly at the lower Nyquist frequency (fmin/2), so
// nothing above it aliases into the output when downsampling and no image
// below it survives when upsampling; the price is that content between
// Pass·fmin and fmin/2 is attenuated (it is half gone at 0.475·fmin for
// standard).
type Quality int

// The resampling qualities; see Quality for the specifications.
const (
	// QualityStandard passes 0.45·fmin within 0.003 dB and stops everything
	// above fmin/2 by at least 70 dB. It is the default.
	QualityStandard Quality = iota
	// QualityFast uses about a third of the taps of standard: pass band
	// 0.40·fmin, stop band at least 50 dB down.
	QualityFast
	// QualityHigh stops fmin/2 and above by 100 dB, for analysis that must
	// see no aliasing at all; about 1.5 times the cost of standard.
	QualityHigh
)

// String returns the quality's name ("standard", "fast", "high").
func (q Quality) String() string {
	switch q {
	case QualityStandard:
		return "standard"
	case QualityFast:
		return "fast"
	case QualityHigh:
		return "high"
	}
	return fmt.Sprintf("Quality(%d)", int(q))
}

// filterSpec is the design of one quality: pass and stop band edges as
// fractions of the lower rate, and the Kaiser design attenuation in dB.
type filterSpec struct {
	pass, stop, atten float64
}

func (q Quality) spec() (filterSpec, bool) {
	switch q {
	case QualityStandard:
		return filterSpec{pass: 0.45, stop: 0.5, atten: 71}, true
	case QualityFast:
		return filterSpec{pass: 0.40, stop: 0.5, atten: 51}, true
	case QualityHigh:
		return filterSpec{pass: 0.45, stop: 0.5, atten: 101}, true
	}
	return filterSpec{}, false
}

// ResampleConfig configures a Resampler. The zero value is the default
// (QualityStandard).
type ResampleConfig struct {
	// Quality selects the anti-aliasing filter; see Quality.
	Quality Quality
}

// DefaultResampleConfig returns the default configuration: QualityStandard.
func DefaultResampleConfig() ResampleConfig {
	return ResampleConfig{Quality: QualityStandard}
}

// Validate reports an unknown Quality.
func (c ResampleConfig) Validate() error {
	if _, ok := c.Quality.spec(); !ok {
		return fmt.Errorf("%w: resample: unknown quality %d", ErrInvalidConfig, int(c.Quality))
	}
	return nil
}

// maxTableTaps bounds the precomputed polyphase table (4 MiB of float32).
// Rate pairs that would need more (e.g. 44100→44101 Hz, whose reduced ratio
// has 44101 phases) evaluate their taps per output sample from a finely
// sampled prototype instead.
const maxTableTaps = 1 << 20

// protoOversample is the number of prototype samples per input sample, at
// the widest cutoff, in the fallback for rate pairs with too many phases;
// the prototype of a narrower cutoff (downsampling) is sampled in
// proportion, so it has about 45000 points at every ratio. Linear
// interpolation between them is accurate to about −110 dB
// (TestResampleInterpolatedTaps).
const protoOversample = 512

// maxTaps bounds the taps per output sample: downsampling by more than
// about 750:1 (standard; fast 2200:1, high 500:1) is refused.
const maxTaps = 1 << 16

// Resampler converts signals from one sample rate to another: a
// polyphase implementation of band-limited interpolation with a
// Kaiser-windowed sinc low-pass (Smith, "Digital Audio Resampling Home
// Page", CCRMA; Crochiere & Rabiner, Multirate Digital Signal Processing,
// 1983). The rate ratio to/from is reduced to L/M; output sample n sits at
// input position t = n·M/L and is
//
//	y[n] = Σ_k x[k] · h(t − k),  h(t) = 2fc·sinc(2fc·t)·kaiser(t/T)
//
// with fc the cutoff in cycles per input sample. The fractional part of t
// takes L values, so the taps of each of the L phases are computed once
// when the Resampler is made (each phase normalised to unit DC gain).
//
// A Resampler is immutable after NewResampler and safe for concurrent use
// by multiple goroutines; per-signal state for chunked input lives in a
// Stream.
type Resampler struct {
	from, to int
	l, m     int // to/from = l/m, reduced
	k        int // taps per phase (even)
	cfg      ResampleConfig

	// table holds the l phases of k taps each, phase p at [p*k, (p+1)*k),
	// tap j multiplying input sample first+j. It is nil when l*k exceeds
	// maxTableTaps; then proto holds h sampled every 1/over input samples
	// over [-k/2, k/2].
	table []float32
	proto []float32
	over  int     // proto points per input sample
	fc    float64 // cutoff, cycles per input sample
}

// NewResampler returns a Resampler from rate from to rate to (Hz). It
// returns an error wrapping ErrInvalidRate for a non-positive rate or a
// downsampling ratio above about 750:1 (see maxTaps), and one wrapping ErrInvalidConfig
// for an invalid cfg. Equal rates give a Resampler that copies.
func NewResampler(from, to int, cfg ResampleConfig) (*Resampler, error) {
	return newResampler(from, to, cfg, maxTableTaps)
}

func newResampler(from, to int, cfg ResampleConfig, maxTable int) (*Resampler, error) {
	if from <= 0 || to <= 0 {
		return nil, fmt.Errorf("%w: resample %d Hz to %d Hz", ErrInvalidRate, from, to)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := gcd(from, to)
	r := &Resampler{from: from, to: to, l: to / g, m: from / g, cfg: cfg}
	if from == to {
		return r, nil
	}
	spec, _ := cfg.Quality.spec()
	ratio := float64(min(from, to)) / float64(from) // fmin in cycles per input sample
	r.fc = (spec.pass + spec.stop) / 2 * ratio
	// Kaiser's length formula (Oppenheim & Schafer eq. 7.63): a filter of
	// span N input samples reaches atten dB over a transition of width Δf
	// cycles per sample when N = (atten − 7.95) / (2.285 · 2π · Δf).
	df := (spec.stop - spec.pass) * ratio
	span := (spec.atten - 7.95) / (2.285 * 2 * math.Pi * df)
	if span > maxTaps {
		return nil, fmt.Errorf("%w: resample %d Hz to %d Hz: ratio too large (%.0f taps per output, at most %d)",
			ErrInvalidRate, from, to, span, maxTaps)
	}
	r.k = 2 * int(math.Ceil(span/2))
	beta := kaiserBeta(spec.atten)
	half := float64(r.k) / 2

	h := func(t float64) float64 {
		return 2 * r.fc * sinc(2*r.fc*t) * kaiser(t/half, beta)
	}
	if r.l*r.k <= maxTable {
		r.table = make([]float32, r.l*r.k)
		tmp := make([]float64, r.k)
		for p := 0; p < r.l; p++ {
			var sum float64
			for j := range tmp {
				// Tap j multiplies input first+j, first = floor(t) − k/2 + 1.
				tmp[j] = h(float64(p)/float64(r.l) + half - 1 - float64(j))
				sum += tmp[j]
			}
			for j, v := range tmp {
				r.table[p*r.k+j] = float32(v / sum)
			}
		}
	} else {
		r.over = int(math.Ceil(protoOversample * 2 * r.fc))
		n := r.k*r.over + 1
		r.proto = make([]float32, n+1) // one extra zero for the interpolation
		for i := 0; i < n; i++ {
			r.proto[i] = float32(h(float64(i)/float64(r.over) - half))
		}
	}
	return r, nil
}

// From returns the input rate in Hz.
func (r *Resampler) From() int { return r.from }

// To returns the output rate in Hz.
func (r *Resampler) To() int { return r.to }

// Config returns the configuration the Resampler was made with.
func (r *Resampler) Config() ResampleConfig { return r.cfg }

// TapsPerOutput returns the number of input samples that each output
// sample is a weighted sum of (0 for equal rates).
func (r *Resampler) TapsPerOutput() int { return r.k }

// OutputLen returns the number of output samples for n input samples:
// round(n·to/from), halves rounded up.
func (r *Resampler) OutputLen(n int) int {
	return (2*n*r.l + r.m) / (2 * r.m)
}

// Process resamples the whole signal src and returns the OutputLen(len(src))
// output samples. They are written to dst[:n] when dst has the capacity,
// else to a new slice (so a nil dst allocates). dst must not overlap src.
//
// Outside src the signal is taken to be zero, so the output is the
// band-limited interpolation of src with nothing cut off or delayed: output
// sample n is at time n/to s, as input sample k is at k/from s.
func (r *Resampler) Process(dst, src []float32) []float32 {
	n := r.OutputLen(len(src))
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if r.l == r.m {
		copy(dst, src)
		return dst
	}
	var stack [256]float32
	var scratch, taps []float32
	if r.k <= len(stack) {
		scratch = stack[:r.k]
	} else {
		scratch = make([]float32, r.k)
	}
	if r.table == nil {
		taps = make([]float32, r.k)
	}
	i0, p := 0, 0 // n·M = i0·L + p
	for j := range dst {
		first := i0 - r.k/2 + 1
		x := window(src, first, scratch)
		dst[j] = dot(r.taps(p, taps), x)
		p += r.m
		i0 += p / r.l
		p %= r.l
	}
	return dst
}

// taps returns the taps of phase p: a view of the table, or computed into
// buf from the prototype.
func (r *Resampler) taps(p int, buf []float32) []float32 {
	if r.table != nil {
		return r.table[p*r.k : (p+1)*r.k]
	}
	// Tap j is h(p/L + k/2 − 1 − j); the prototype index of h(t) is
	// (t + k/2)·O = (p/L + k − 1 − j)·O. Interpolate linearly, then
	// normalise to unit DC gain as the table does.
	pos := (float64(p)/float64(r.l) + float64(r.k) - 1) * float64(r.over)
	base := int(pos)
	frac := float32(pos - float64(base))
	var sum float32
	for j := range buf {
		i := base - j*r.over
		v := r.proto[i] + frac*(r.proto[i+1]-r.proto[i])
		buf[j] = v
		sum += v
	}
	inv := 1 / sum
	for j := range buf {
		buf[j] *= inv
	}
	return buf
}

// window returns src[first:first+len(scratch)], reading zeros outside src:
// a view when the range lies inside src, else a zero-padded copy in scratch.
func window(src []float32, first int, scratch []float32) []float32 {
	k := len(scratch)
	if first >= 0 && first+k <= len(src) {
		return src[first : first+k]
	}
	clear(scratch)
	lo, hi := max(first, 0), min(first+k, len(src))
	if lo < hi {
		copy(scratch[lo-first:], src[lo:hi])
	}
	return scratch
}

// dot returns Σ h[i]·x[i] over len(h) (a multiple of 2) terms with four
// partial sums. Process and Stream use it alike, so their outputs agree to
// the bit.
func dot(h, x []float32) float32 {
	x = x[:len(h)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(h); i += 4 {
		s0 += h[i] * x[i]
		s1 += h[i+1] * x[i+1]
		s2 += h[i+2] * x[i+2]
		s3 += h[i+3] * x[i+3]
	}
	for ; i < len(h); i++ {
		s0 += h[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Resample returns s converted to rate Hz with the default quality. Equal
// rates return a copy. For many signals at the same pair of rates, make one
// Resampler and reuse it.
func Resample(s Signal, rate int) (Signal, error) {
	if s.Rate <= 0 {
		return Signal{}, fmt.Errorf("%w: resample from %d Hz", ErrInvalidRate, s.Rate)
	}
	if rate == s.Rate {
		return Signal{Samples: append([]float32(nil), s.Samples...), Rate: rate}, nil
	}
	r, err := NewResampler(s.Rate, rate, DefaultResampleConfig())
	if err != nil {
		return Signal{}, err
	}
	return Signal{Samples: r.Process(nil, s.Samples), Rate: rate}, nil
}

// Stream resamples a signal that arrives in chunks; its output equals
// Resampler.Process of the whole signal to the bit. It holds back about
// TapsPerOutput/2 input samples until more input or Flush arrives.
//
// A Stream is not safe for concurrent use; use one per signal and
// goroutine (they may share the Resampler).
type Stream struct {
	r     *Resampler
	buf   []float32 // pending input; buf[0] is input sample base
	base  int
	total int // input samples received
	n     int // next output sample
	i0, p int // n·M = i0·L + p
}

// NewStream returns a Stream for a new signal.
func (r *Resampler) NewStream() *Stream {
	s := &Stream{r: r}
	s.Reset()
	return s
}

// Reset discards all state, readying the Stream for a new signal.
func (s *Stream) Reset() {
	h := max(s.r.k/2-1, 0)
	s.buf = append(s.buf[:0], make([]float32, h)...)
	s.base = -h
	s.total, s.n, s.i0, s.p = 0, 0, 0, 0
}

// Process takes the next chunk of input and returns the output samples it
// completes, written to dst[:n] when dst has the capacity, else to a new
// slice.
func (s *Stream) Process(dst, chunk []float32) []float32 {
	s.buf = append(s.buf, chunk...)
	s.total += len(chunk)
	// Output n needs inputs up to floor(n·M/L) + k/2.
	last := -1
	if avail := (s.total - s.r.k/2) * s.r.l; avail > 0 {
		last = (avail - 1) / s.r.m
	}
	return s.emit(dst, last)
}

// Flush returns the output samples still held back (as Process returns
// them), so that the outputs of the signal total OutputLen of its length,
// and resets the Stream for a new signal.
func (s *Stream) Flush(dst []float32) []float32 {
	s.buf = append(s.buf, make([]float32, s.r.k)...)
	dst = s.emit(dst, s.r.OutputLen(s.total)-1)
	s.Reset()
	return dst
}

// emit computes outputs s.n through last.
func (s *Stream) emit(dst []float32, last int) []float32 {
	r := s.r
	cnt := max(last+1-s.n, 0)
	if cap(dst) < cnt {
		dst = make([]float32, cnt)
	}
	dst = dst[:cnt]
	if r.l == r.m {
		copy(dst, s.buf[s.n-s.base:])
		s.n += cnt
		s.drop(s.n)
		return dst
	}
	var taps []float32
	if r.table == nil {
		taps = make([]float32, r.k)
	}
	for j := range dst {
		first := s.i0 - r.k/2 + 1 - s.base
		dst[j] = dot(r.taps(s.p, taps), s.buf[first:first+r.k])
		s.p += r.m
		s.i0 += s.p / r.l
		s.p %= r.l
	}
	s.n += cnt
	s.drop(s.i0 - r.k/2 + 1)
	return dst
}

// drop discards the buffered input before sample first.
func (s *Stream) drop(first int) {
	if d := first - s.base; d > 0 {
		s.buf = s.buf[:copy(s.buf, s.buf[d:])]
		s.base = first
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiserBeta returns the Kaiser window parameter for a stop-band
// attenuation of atten dB (Oppenheim & Schafer eq. 7.62).
func kaiserBeta(atten float64) float64 {
	switch {
	case atten > 50:
		return 0.1102 * (atten - 8.7)
	case atten >= 21:
		return 0.5842*math.Pow(atten-21, 0.4) + 0.07886*(atten-21)
	}
	return 0
}

// kaiser returns the Kaiser window I0(β·√(1−x²))/I0(β) at x ∈ [−1, 1].
func kaiser(x, beta float64) float64 {
	if x < -1 || x > 1 {
		return 0
	}
	return besselI0(beta*math.Sqrt(1-x*x)) / besselI0(beta)
}

// besselI0 returns the modified Bessel function of the first kind, order
// zero, by its power series Σ ((x/2)^k / k!)².
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 500; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}
