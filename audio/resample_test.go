package audio

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"
)

// ratePairs are the conversions the issue names (issue 3).
var ratePairs = [][2]int{
	{8000, 16000}, {16000, 8000}, {44100, 16000}, {16000, 44100},
	{48000, 44100}, {22050, 16000}, {11025, 8000}, {48000, 16000}, {16000, 48000},
}

func pairName(p [2]int) string { return fmt.Sprintf("%dto%d", p[0], p[1]) }

// sine returns n samples of amp·sin(2πf·t + phase) at rate Hz.
func sine(n, rate int, f, amp, phase float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate)+phase))
	}
	return x
}

// middle returns the part of x between 10% and 90% of its length, away
// from the zero-padded edges.
func middle(x []float32) []float32 { return x[len(x)/10 : len(x)*9/10] }

// fitSine returns the least-squares amplitude of a sine of frequency f
// (Hz, at rate) in x[lo:hi], where x[i] is at time i/rate, and the residual
// x minus the fitted sine.
func fitSine(x []float32, lo, hi, rate int, f float64) (amp float64, resid []float64) {
	var ss, sc, cc, xs, xc float64
	for i := lo; i < hi; i++ {
		s, c := math.Sincos(2 * math.Pi * f * float64(i) / float64(rate))
		ss += s * s
		sc += s * c
		cc += c * c
		xs += float64(x[i]) * s
		xc += float64(x[i]) * c
	}
	det := ss*cc - sc*sc
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	resid = make([]float64, hi-lo)
	for i := lo; i < hi; i++ {
		s, c := math.Sincos(2 * math.Pi * f * float64(i) / float64(rate))
		resid[i-lo] = float64(x[i]) - a*s - b*c
	}
	return math.Hypot(a, b), resid
}

func rms64(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

func rms32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func dB(ratio float64) float64 { return 20 * math.Log10(ratio) }

// TestResamplePassBand checks the gain of sines up to 0.45·fmin (the pass
// band edge of QualityStandard): within ±0.1 dB (issue 3), and the output
// is the sine itself (residual ≤ −60 dB).
func TestResamplePassBand(t *testing.T) {
	t.Parallel()
	for _, pair := range ratePairs {
		t.Run(pairName(pair), func(t *testing.T) {
			t.Parallel()
			from, to := pair[0], pair[1]
			r, err := NewResampler(from, to, ResampleConfig{})
			if err != nil {
				t.Fatal(err)
			}
			fmin := float64(min(from, to))
			var worst float64
			worstResid := math.Inf(-1)
			for _, frac := range []float64{0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.43, 0.45} {
				f := frac * fmin
				x := sine(from/4, from, f, 0.5, 0.3) // 0.25 s
				y := r.Process(nil, x)
				amp, resid := fitSine(y, len(y)/10, len(y)*9/10, to, f)
				gain := dB(amp / 0.5)
				if math.Abs(gain) > math.Abs(worst) {
					worst = gain
				}
				worstResid = math.Max(worstResid, dB(rms64(resid)/(0.5/math.Sqrt2)))
				if math.Abs(gain) > 0.1 {
					t.Errorf("%.0f Hz: gain %.4f dB, want within ±0.1 dB", f, gain)
				}
			}
			if worstResid > -60 {
				t.Errorf("worst residual %.1f dB, want ≤ −60 dB", worstResid)
			}
			t.Logf("worst pass-band gain %+.4f dB, worst residual %.1f dB", worst, worstResid)
		})
	}
}

// TestResampleAliasing checks that tones above the output Nyquist
// frequency are removed when downsampling: ≤ −60 dB (issue 3).
func TestResampleAliasing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to int
		f        float64 // Hz, above to/2
	}{
		{16000, 8000, 5000},
		{16000, 8000, 4100}, // just past the stop-band edge
		{16000, 8000, 7900},
		{48000, 16000, 10000},
		{48000, 16000, 8100},
		{48000, 16000, 23000},
		{44100, 16000, 8050},
		{44100, 16000, 15000},
		{48000, 44100, 22100},
		{22050, 16000, 9000},
		{11025, 8000, 4500},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dto%d/%.0fHz", tc.from, tc.to, tc.f), func(t *testing.T) {
			t.Parallel()
			r, err := NewResampler(tc.from, tc.to, ResampleConfig{})
			if err != nil {
				t.Fatal(err)
			}
			x := sine(tc.from/4, tc.from, tc.f, 0.5, 0.3)
			y := r.Process(nil, x)
			att := dB(rms32(middle(y)) / rms32(middle(x)))
			if att > -60 {
				t.Errorf("alias at %.1f dB, want ≤ −60 dB", att)
			}
			t.Logf("alias %.1f dB", att)
		})
	}
}

// TestResampleImaging checks that upsampling leaves no image of a tone:
// the output minus the fitted tone is ≤ −60 dB.
func TestResampleImaging(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to int
		f        float64
	}{
		{8000, 16000, 3000}, {8000, 16000, 3600}, {16000, 44100, 7000}, {16000, 48000, 500},
	} {
		r, err := NewResampler(tc.from, tc.to, ResampleConfig{})
		if err != nil {
			t.Fatal(err)
		}
		y := r.Process(nil, sine(tc.from/4, tc.from, tc.f, 0.5, 1))
		_, resid := fitSine(y, len(y)/10, len(y)*9/10, tc.to, tc.f)
		if img := dB(rms64(resid) / (0.5 / math.Sqrt2)); img > -60 {
			t.Errorf("%d→%d, %.0f Hz: image at %.1f dB, want ≤ −60 dB", tc.from, tc.to, tc.f, img)
		}
	}
}

// bandNoise returns n samples at rate of 40 sines with random
// frequencies in [20 Hz, fmax], amplitudes and phases: band-limited noise.
func bandNoise(rng *rand.Rand, n, rate int, fmax float64) []float32 {
	x := make([]float64, n)
	for range 40 {
		f := 20 + rng.Float64()*(fmax-20)
		a := 0.02 * rng.Float64()
		ph := 2 * math.Pi * rng.Float64()
		for i := range x {
			x[i] += a * math.Sin(2*math.Pi*f*float64(i)/float64(rate)+ph)
		}
	}
	y := make([]float32, n)
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// TestResampleRoundTrip checks up-then-down conversion of band-limited
// noise (up to the pass-band edge of the quality): the error in the middle
// part relative to the signal. Measured: standard −78 to −80 dB, high
// −111 dB, fast −56 dB.
func TestResampleRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 1))
	for _, tc := range []struct {
		rate, via int
		q         Quality
		want      float64 // dB
	}{
		{16000, 48000, QualityStandard, -70},
		{16000, 44100, QualityStandard, -70},
		{8000, 11025, QualityStandard, -70},
		{16000, 48000, QualityHigh, -100},
		{16000, 44100, QualityFast, -50},
	} {
		t.Run(fmt.Sprintf("%dvia%d/%v", tc.rate, tc.via, tc.q), func(t *testing.T) {
			spec, _ := tc.q.spec()
			x := bandNoise(rng, tc.rate/2, tc.rate, spec.pass*float64(tc.rate))
			up, err := NewResampler(tc.rate, tc.via, ResampleConfig{Quality: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			down, err := NewResampler(tc.via, tc.rate, ResampleConfig{Quality: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			y := down.Process(nil, up.Process(nil, x))
			if len(y) != len(x) {
				t.Fatalf("round trip has %d samples, want %d", len(y), len(x))
			}
			xm, ym := middle(x), middle(y)
			d := make([]float64, len(xm))
			for i := range d {
				d[i] = float64(ym[i]) - float64(xm[i])
			}
			e := dB(rms64(d) / rms32(xm))
			if e > tc.want {
				t.Errorf("round-trip error %.1f dB, want ≤ %.0f dB", e, tc.want)
			}
			t.Logf("round-trip error %.1f dB", e)
		})
	}
}

// response returns |H(f)| of the resampler's filter at f cycles per input
// sample: the DTFT of the taps of all phases, interleaved at spacing 1/L.
func (r *Resampler) response(f float64) float64 {
	var h complex128
	for p := 0; p < r.l; p++ {
		for j := 0; j < r.k; j++ {
			t := float64(p)/float64(r.l) + float64(r.k)/2 - 1 - float64(j)
			h += complex(float64(r.table[p*r.k+j]), 0) * cmplx.Exp(complex(0, -2*math.Pi*f*t))
		}
	}
	return cmplx.Abs(h) / float64(r.l)
}

// TestResampleFilterSpec measures the designed filters on a dense grid:
// pass-band ripple up to Pass·fmin and the worst gain from fmin/2 up to
// the higher Nyquist frequency, against the table of Quality.
func TestResampleFilterSpec(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q              Quality
		ripple, stopDB float64 // limits: dB
	}{
		{QualityFast, 0.03, -50},
		{QualityStandard, 0.003, -70},
		{QualityHigh, 0.0001, -100},
	} {
		for _, pair := range [][2]int{{16000, 48000}, {16000, 8000}} {
			t.Run(fmt.Sprintf("%v/%s", tc.q, pairName(pair)), func(t *testing.T) {
				t.Parallel()
				from, to := pair[0], pair[1]
				r, err := NewResampler(from, to, ResampleConfig{Quality: tc.q})
				if err != nil {
					t.Fatal(err)
				}
				spec, _ := tc.q.spec()
				fmin := float64(min(from, to)) / float64(from) // cycles per input sample
				fmax := float64(max(from, to)) / float64(from) / 2
				var ripple float64
				for i := 0; i <= 400; i++ {
					g := math.Abs(dB(r.response(spec.pass * fmin * float64(i) / 400)))
					ripple = math.Max(ripple, g)
				}
				stop := math.Inf(-1)
				for i := 0; i <= 2000; i++ {
					f := spec.stop*fmin + (fmax-spec.stop*fmin)*float64(i)/2000
					stop = math.Max(stop, dB(r.response(f)))
				}
				t.Logf("%d taps per output: ripple %.5f dB, stop band %.1f dB", r.TapsPerOutput(), ripple, stop)
				if ripple > tc.ripple {
					t.Errorf("pass-band ripple %.5f dB, want ≤ %v dB", ripple, tc.ripple)
				}
				if stop > tc.stopDB {
					t.Errorf("stop band %.1f dB, want ≤ %v dB", stop, tc.stopDB)
				}
			})
		}
	}
}

// TestResampleInterpolatedTaps checks the fallback for rate pairs with too
// many phases for a table: it agrees with the table to −100 dB.
func TestResampleInterpolatedTaps(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 1))
	for _, pair := range [][2]int{{16000, 44100}, {44100, 16000}} {
		exact, err := NewResampler(pair[0], pair[1], ResampleConfig{})
		if err != nil {
			t.Fatal(err)
		}
		interp, err := newResampler(pair[0], pair[1], ResampleConfig{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if interp.table != nil || exact.table == nil {
			t.Fatal("want one resampler with a table and one without")
		}
		x := bandNoise(rng, pair[0]/10, pair[0], 0.5*float64(min(pair[0], pair[1])))
		a, b := exact.Process(nil, x), interp.Process(nil, x)
		d := make([]float64, len(a))
		for i := range a {
			d[i] = float64(a[i]) - float64(b[i])
		}
		e := dB(rms64(d) / rms32(a))
		if e > -100 {
			t.Errorf("%s: interpolated taps differ by %.1f dB, want ≤ −100 dB", pairName(pair), e)
		}
		t.Logf("%s: interpolated taps differ by %.1f dB", pairName(pair), e)
	}
	// A pair whose table would be too large takes the fallback by itself.
	r, err := NewResampler(44100, 44101, ResampleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if r.table != nil {
		t.Errorf("44100→44101: %d-tap table, want the interpolated prototype", len(r.table))
	}
	if len(r.proto) > 50000 {
		t.Errorf("44100→44101: %d-point prototype, want ≤ 50000", len(r.proto))
	}
	y := r.Process(nil, sine(4410, 44100, 1000, 0.5, 0))
	if amp, _ := fitSine(y, 441, 3969, 44101, 1000); math.Abs(dB(amp/0.5)) > 0.1 {
		t.Errorf("44100→44101: 1 kHz gain %.3f dB, want within ±0.1 dB", dB(amp/0.5))
	}
}

// TestResampleLength checks OutputLen = round(n·to/from) and that Process
// returns that many samples, reusing dst when it can.
func TestResampleLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to, n, want int
	}{
		{16000, 8000, 0, 0},
		{16000, 8000, 1, 1}, // 0.5 rounds up
		{16000, 8000, 3, 2}, // 1.5
		{16000, 8000, 16000, 8000},
		{8000, 16000, 5, 10},
		{44100, 16000, 44100, 16000},
		{44100, 16000, 100, 36},  // 36.28
		{16000, 44100, 100, 276}, // 275.625
		{48000, 44100, 7, 6},     // 6.43
		{16000, 16000, 17, 17},
	} {
		r, err := NewResampler(tc.from, tc.to, ResampleConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.OutputLen(tc.n); got != tc.want {
			t.Errorf("%d→%d: OutputLen(%d) = %d, want %d", tc.from, tc.to, tc.n, got, tc.want)
		}
		if got := len(r.Process(nil, make([]float32, tc.n))); got != tc.want {
			t.Errorf("%d→%d: Process of %d samples gave %d, want %d", tc.from, tc.to, tc.n, got, tc.want)
		}
	}

	r, err := NewResampler(16000, 8000, ResampleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 0, 100)
	if y := r.Process(buf, make([]float32, 150)); len(y) != 75 || &y[0] != &buf[:1][0] {
		t.Errorf("Process did not reuse a dst with enough capacity")
	}
	if y := r.Process(buf, make([]float32, 300)); len(y) != 150 {
		t.Errorf("Process with a small dst gave %d samples, want 150", len(y))
	}
}

// TestResampleDC checks unit gain at 0 Hz in every phase: a constant stays
// constant away from the edges.
func TestResampleDC(t *testing.T) {
	t.Parallel()
	for _, pair := range ratePairs {
		r, err := NewResampler(pair[0], pair[1], ResampleConfig{})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, pair[0]/10)
		for i := range x {
			x[i] = 0.5
		}
		for i, v := range middle(r.Process(nil, x)) {
			if math.Abs(float64(v)-0.5) > 1e-5 {
				t.Fatalf("%s: sample %d of the middle is %v, want 0.5", pairName(pair), i, v)
			}
		}
	}
}

// TestResampleIdentity checks equal rates: a copy, not the same array.
func TestResampleIdentity(t *testing.T) {
	t.Parallel()
	s := Signal{Samples: []float32{0.1, -0.2, 0.3}, Rate: 16000}
	got, err := Resample(s, 16000)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rate != 16000 || len(got.Samples) != 3 || got.Samples[1] != -0.2 {
		t.Fatalf("Resample to the same rate = %+v, want a copy of %+v", got, s)
	}
	got.Samples[0] = 9
	if s.Samples[0] != 0.1 {
		t.Error("Resample to the same rate shares the input's samples")
	}

	r, err := NewResampler(22050, 22050, ResampleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if y := r.Process(nil, s.Samples); len(y) != 3 || y[2] != 0.3 {
		t.Errorf("Process at equal rates = %v, want %v", y, s.Samples)
	}
}

// TestResampleSignal checks Resample's rate and length.
func TestResampleSignal(t *testing.T) {
	t.Parallel()
	s := Signal{Samples: sine(44100, 44100, 440, 0.5, 0), Rate: 44100}
	got, err := Resample(s, 16000)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rate != 16000 || len(got.Samples) != 16000 || got.Duration() != s.Duration() {
		t.Errorf("Resample 1 s at 44.1 kHz to 16 kHz: rate %d, %d samples, %v", got.Rate, len(got.Samples), got.Duration())
	}
}

// TestResampleBadRates checks errors for unusable rates and configs.
func TestResampleBadRates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to int
		cfg      ResampleConfig
		want     error
	}{
		{0, 16000, ResampleConfig{}, ErrInvalidRate},
		{16000, 0, ResampleConfig{}, ErrInvalidRate},
		{-8000, 16000, ResampleConfig{}, ErrInvalidRate},
		{16000, -1, ResampleConfig{}, ErrInvalidRate},
		{48000, 10, ResampleConfig{}, ErrInvalidRate}, // 4800:1
		{16000, 8000, ResampleConfig{Quality: 7}, ErrInvalidConfig},
		{16000, 8000, ResampleConfig{Quality: -1}, ErrInvalidConfig},
	} {
		r, err := NewResampler(tc.from, tc.to, tc.cfg)
		if !errors.Is(err, tc.want) || r != nil {
			t.Errorf("NewResampler(%d, %d, %+v) = %v, %v; want nil, %v", tc.from, tc.to, tc.cfg, r, err, tc.want)
		}
	}
	for _, tc := range []struct {
		s    Signal
		rate int
	}{
		{Signal{Samples: make([]float32, 10), Rate: 0}, 16000},
		{Signal{Samples: make([]float32, 10), Rate: 16000}, 0},
		{Signal{Samples: make([]float32, 10), Rate: 16000}, -16000},
		{Signal{Rate: -1}, -1},
	} {
		if _, err := Resample(tc.s, tc.rate); !errors.Is(err, ErrInvalidRate) {
			t.Errorf("Resample(rate %d → %d) error = %v, want ErrInvalidRate", tc.s.Rate, tc.rate, err)
		}
	}
	if err := DefaultResampleConfig().Validate(); err != nil {
		t.Errorf("DefaultResampleConfig().Validate() = %v", err)
	}
}

func TestQualityString(t *testing.T) {
	t.Parallel()
	for q, want := range map[Quality]string{
		QualityStandard: "standard", QualityFast: "fast", QualityHigh: "high", 9: "Quality(9)",
	} {
		if got := q.String(); got != want {
			t.Errorf("Quality(%d).String() = %q, want %q", int(q), got, want)
		}
	}
}

// TestStream checks that chunked resampling equals one-shot Process to the
// bit, for random chunk sizes (including empty ones), and that a Stream
// is reusable after Flush.
func TestStream(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 1))
	pairs := append([][2]int{{16000, 16000}}, ratePairs...)
	for _, pair := range pairs {
		t.Run(pairName(pair), func(t *testing.T) {
			r, err := NewResampler(pair[0], pair[1], ResampleConfig{})
			if err != nil {
				t.Fatal(err)
			}
			s := r.NewStream()
			for _, n := range []int{0, 1, 7, 100, pair[0] / 5} {
				x := bandNoise(rng, n, pair[0], 0.45*float64(min(pair[0], pair[1])))
				want := r.Process(nil, x)
				var got, buf []float32
				for rest := x; len(rest) > 0; {
					c := min(rng.IntN(300), len(rest))
					buf = s.Process(buf, rest[:c])
					got = append(got, buf...)
					rest = rest[c:]
				}
				got = append(got, s.Flush(buf)...)
				if len(got) != len(want) {
					t.Fatalf("%d samples: stream gave %d, Process %d", n, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%d samples: stream sample %d = %v, Process %v", n, i, got[i], want[i])
					}
				}
			}
		})
	}
	t.Run("interpolated", func(t *testing.T) {
		r, err := newResampler(16000, 44100, ResampleConfig{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		x := bandNoise(rng, 1000, 16000, 7000)
		want := r.Process(nil, x)
		s := r.NewStream()
		got := append(s.Process(nil, x[:333]), s.Process(nil, x[333:])...)
		got = append(got, s.Flush(nil)...)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("stream sample %d = %v, Process %v", i, got[i], want[i])
			}
		}
	})
}

// BenchmarkResample converts 10 s of band-limited noise and reports the
// speed as a multiple of real time (x-real-time: seconds of audio per
// second).
func BenchmarkResample(b *testing.B) {
	for _, pair := range [][2]int{{16000, 8000}, {44100, 16000}, {16000, 48000}, {48000, 44100}} {
		b.Run(pairName(pair), func(b *testing.B) {
			r, err := NewResampler(pair[0], pair[1], ResampleConfig{})
			if err != nil {
				b.Fatal(err)
			}
			x := bandNoise(rand.New(rand.NewPCG(1, 1)), 10*pair[0], pair[0], 0.45*float64(min(pair[0], pair[1])))
			dst := make([]float32, r.OutputLen(len(x)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				dst = r.Process(dst, x)
			}
			b.ReportMetric(10*float64(b.N)/b.Elapsed().Seconds(), "x-real-time")
		})
	}
}

// TestResampleConcurrent shares one Resampler between goroutines (run
// with -race): each gets the same output as alone.
func TestResampleConcurrent(t *testing.T) {
	t.Parallel()
	r, err := NewResampler(44100, 16000, ResampleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 1))
	inputs := make([][]float32, 4)
	want := make([][]float32, len(inputs))
	for i := range inputs {
		inputs[i] = bandNoise(rng, 4410, 44100, 7000)
		want[i] = r.Process(nil, inputs[i])
	}
	got := make([][]float32, len(inputs))
	done := make(chan int)
	for i := range inputs {
		go func() {
			got[i] = r.Process(nil, inputs[i])
			done <- i
		}()
	}
	for range inputs {
		<-done
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("goroutine %d: output differs from the sequential one", i)
		}
	}
}
