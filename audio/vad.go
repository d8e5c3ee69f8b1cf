package audio

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parley-ai/parley/audio/internal/fft"
)

// Segment is a stretch of a signal, from Start to End since its beginning.
type Segment struct {
	Start, End time.Duration
}

// Duration returns End − Start.
func (g Segment) Duration() time.Duration { return g.End - g.Start }

// Cut returns the part of s inside g, clamped to s; its Samples share s's
// array.
func (g Segment) Cut(s Signal) Signal {
	lo := min(max(durationToSamples(g.Start, s.Rate), 0), len(s.Samples))
	hi := min(max(durationToSamples(g.End, s.Rate), lo), len(s.Samples))
	return Signal{Samples: s.Samples[lo:hi], Rate: s.Rate}
}

// VADConfig configures DetectSpeech. The detector and the role of each
// field are described there.
type VADConfig struct {
	// FrameLength and FrameShift are the analysis window (Hann) and hop.
	FrameLength, FrameShift time.Duration
	// Threshold is how far above the noise floor, in dB, a frame's energy
	// must be to count as active.
	Threshold float64
	// MaxFlatness is the spectral flatness (geometric over arithmetic mean
	// of the power spectrum in [BandLow, BandHigh], 0 to 1) at or below which
	// a frame counts as voiced. Measured on 25 ms frames: white noise
	// 0.43–0.69; voiced speech mostly below 0.05 (cathy_arctic frames
	// within 15 dB of the loudest: median 0.006, 95% below 0.09); quiet
	// room noise 0.04–0.3; a harmonic tone 12 dB above white noise ≈ 0.1.
	MaxFlatness float64
	// BandLow and BandHigh (Hz) bound the spectrum of the flatness measure;
	// BandHigh is clipped to the Nyquist frequency.
	BandLow, BandHigh float64
	// NoisePercentile (0 to 1) is the percentile of frame energies taken as
	// the noise floor; see DetectSpeech.
	NoisePercentile float64
	// NoiseWindow is the span, centred on each frame, over which the noise
	// floor is estimated; 0 estimates one floor for the whole signal.
	NoiseWindow time.Duration
	// MinFloor (dB, 0 dB is a full-scale square wave) bounds the noise floor
	// from below, so that a digitally silent background does not make
	// every faint sound speech.
	MinFloor float64
	// MinSilence is the shortest pause kept between segments; shorter ones
	// are bridged (hangover).
	MinSilence time.Duration
	// MinSpeech is the shortest segment kept, after bridging.
	MinSpeech time.Duration
	// Padding extends each segment on both sides (within the signal);
	// segments that then overlap are merged.
	Padding time.Duration
}

// DefaultVADConfig returns the default configuration: 25 ms frames every
// 10 ms, active 12 dB above the noise floor, voiced at flatness ≤ 0.3 in
// 100–4000 Hz, noise floor the 10th percentile of the energies within
// 10 s and at least −70 dB, pauses under 300 ms bridged, segments under
// 100 ms dropped, 100 ms padding.
func DefaultVADConfig() VADConfig {
	return VADConfig{
		FrameLength:     25 * time.Millisecond,
		FrameShift:      10 * time.Millisecond,
		Threshold:       12,
		MaxFlatness:     0.3,
		BandLow:         100,
		BandHigh:        4000,
		NoisePercentile: 0.1,
		NoiseWindow:     10 * time.Second,
		MinFloor:        -70,
		MinSilence:      300 * time.Millisecond,
		MinSpeech:       100 * time.Millisecond,
		Padding:         100 * time.Millisecond,
	}
}

// Validate reports a field out of range, with an error wrapping
// ErrInvalidConfig.
func (c VADConfig) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: VAD %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.FrameLength <= 0:
		return bad("FrameLength", c.FrameLength, "> 0")
	case c.FrameShift <= 0 || c.FrameShift > c.FrameLength:
		return bad("FrameShift", c.FrameShift, "in (0, FrameLength]")
	case !(c.Threshold > 0) || !finite(c.Threshold):
		return bad("Threshold", c.Threshold, "> 0 dB")
	case !(c.MaxFlatness > 0 && c.MaxFlatness <= 1):
		return bad("MaxFlatness", c.MaxFlatness, "in (0, 1]")
	case !(c.BandLow >= 0) || !finite(c.BandLow):
		return bad("BandLow", c.BandLow, "≥ 0 Hz")
	case !(c.BandHigh > c.BandLow) || !finite(c.BandHigh):
		return bad("BandHigh", c.BandHigh, "> BandLow")
	case !(c.NoisePercentile > 0 && c.NoisePercentile < 1):
		return bad("NoisePercentile", c.NoisePercentile, "in (0, 1)")
	case c.NoiseWindow < 0:
		return bad("NoiseWindow", c.NoiseWindow, "≥ 0")
	case !finite(c.MinFloor):
		return bad("MinFloor", c.MinFloor, "finite")
	case c.MinSilence < 0:
		return bad("MinSilence", c.MinSilence, "≥ 0")
	case c.MinSpeech < 0:
		return bad("MinSpeech", c.MinSpeech, "≥ 0")
	case c.Padding < 0:
		return bad("Padding", c.Padding, "≥ 0")
	}
	return nil
}

// DetectSpeech finds the stretches of speech in s, in order and
// non-overlapping, within [0, s.Duration()]. It returns no segments for an
// empty or speechless signal, an error wrapping ErrInvalidRate for a
// non-positive rate and one wrapping ErrInvalidConfig for an invalid cfg
// (or frames too short for the rate).
//
// The detector is an energy detector with an adaptive noise floor,
// gated by spectral flatness (Gray & Markel 1974; cf. Moattar &
// Homayounpour, "A simple but efficient real-time voice activity detection
// algorithm", EUSIPCO 2009, which combines energy and flatness likewise):
//
//  1. Each frame (Hann window) gets its energy E in dB and the spectral
//     flatness of its power spectrum in [BandLow, BandHigh] (a radix-2 FFT of
//     the frame zero-padded to a power of two). Frames with flatness ≤
//     MaxFlatness are voiced: harmonic, as vowels and voiced consonants are.
//  2. The noise floor is the NoisePercentile of E over the frames within
//     NoiseWindow of each frame, or of the unvoiced frames alone where that
//     is lower, and never below MinFloor. Unvoiced frames are those above
//     MaxFlatness; a window with none takes them from the whole signal, and
//     a signal with none at all (continuous voicing, no pause) takes
//     MinFloor, so that continuous speech is one segment rather than its
//     own noise floor.
//  3. Frames with E ≥ floor + Threshold are active. A run of active frames
//     is speech when it holds at least one voiced frame: unvoiced sounds
//     (fricatives) next to vowels join the segment, while bursts of
//     noise with no voiced frame (a door, static, breath) do not.
//  4. Pauses shorter than MinSilence are bridged, segments shorter than
//     MinSpeech dropped, and Padding added on both sides.
//
// Known limits: a stationary noise, white or coloured, is never speech,
// but steady tones and hum are voiced, so a hum that starts and stops well
// above the noise floor reads as speech; whispered speech (no voiced
// frames) is not found; digital silence over more than NoisePercentile of
// a window pulls the floor down to MinFloor, so a faint hum or room noise
// elsewhere may then count as speech. On the 593 trimmed sentences of
// cathy_arctic the default finds at least one segment in every file,
// covering 81% of a file at worst and 100% at the median.
//
// A segment spans its first to last active frame, each frame standing for
// FrameShift around its centre; boundaries are accurate to about
// FrameShift plus the signal's own onset ramp.
func DetectSpeech(s Signal, cfg VADConfig) ([]Segment, error) {
	if s.Rate <= 0 {
		return nil, fmt.Errorf("%w: detect speech at %d Hz", ErrInvalidRate, s.Rate)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	flen := durationToSamples(cfg.FrameLength, s.Rate)
	hop := durationToSamples(cfg.FrameShift, s.Rate)
	if flen < 16 || hop < 1 {
		return nil, fmt.Errorf("%w: VAD FrameLength %v is %d samples at %d Hz, want ≥ 16",
			ErrInvalidConfig, cfg.FrameLength, flen, s.Rate)
	}
	nfft := 1
	for nfft < flen {
		nfft *= 2
	}
	nyq := float64(s.Rate) / 2
	klo := int(math.Ceil(cfg.BandLow / float64(s.Rate) * float64(nfft)))
	khi := int(math.Floor(min(cfg.BandHigh, nyq) / float64(s.Rate) * float64(nfft)))
	if khi-klo < 2 {
		return nil, fmt.Errorf("%w: VAD band %g–%g Hz holds under 3 frequency bins at %d Hz with %d-sample frames",
			ErrInvalidConfig, cfg.BandLow, cfg.BandHigh, s.Rate, flen)
	}
	if len(s.Samples) == 0 {
		return nil, nil
	}

	f := analyse(s.Samples, flen, hop, nfft, klo, khi)
	floor := noiseFloor(f, cfg, hop, s.Rate)

	// Runs of active frames that hold a voiced frame, as frame ranges.
	var runs [][2]int
	for i := 0; i < len(f.energy); {
		if f.energy[i] < floor[i]+cfg.Threshold {
			i++
			continue
		}
		j, voiced := i, false
		for ; j < len(f.energy) && f.energy[j] >= floor[j]+cfg.Threshold; j++ {
			voiced = voiced || f.flatness[j] <= cfg.MaxFlatness
		}
		if voiced {
			runs = append(runs, [2]int{i, j - 1})
		}
		i = j
	}

	// Frames to sample ranges: frame i stands for hop samples around its
	// centre i·hop + flen/2.
	n := len(s.Samples)
	var segs [][2]int
	for _, r := range runs {
		a := max(r[0]*hop+flen/2-hop/2, 0)
		b := min(r[1]*hop+flen/2+(hop+1)/2, n)
		if a < b {
			segs = append(segs, [2]int{a, b})
		}
	}
	segs = merge(segs, durationToSamples(cfg.MinSilence, s.Rate))
	minSpeech := durationToSamples(cfg.MinSpeech, s.Rate)
	segs = slices.DeleteFunc(segs, func(g [2]int) bool { return g[1]-g[0] < minSpeech })
	pad := durationToSamples(cfg.Padding, s.Rate)
	for i := range segs {
		segs[i] = [2]int{max(segs[i][0]-pad, 0), min(segs[i][1]+pad, n)}
	}
	segs = merge(segs, 0)

	out := make([]Segment, len(segs))
	for i, g := range segs {
		out[i] = Segment{Start: samplesToDuration(g[0], s.Rate), End: samplesToDuration(g[1], s.Rate)}
	}
	return out, nil
}

// frames holds the per-frame measures of DetectSpeech.
type frames struct {
	energy   []float64 // dB re full-scale square wave
	flatness []float64 // 0 to 1
}

// analyse frames x (the last frame zero-padded; at least one frame) and
// measures each frame.
func analyse(x []float32, flen, hop, nfft, klo, khi int) frames {
	count := 1
	if len(x) > flen {
		count += (len(x) - flen + hop - 1) / hop
	}
	plan, err := fft.New(nfft)
	if err != nil {
		panic(err) // nfft is a power of two ≥ 16
	}
	win := make([]float64, flen)
	var wsum float64
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(flen))
		wsum += win[i] * win[i]
	}
	re, im := make([]float64, nfft), make([]float64, nfft)
	f := frames{energy: make([]float64, count), flatness: make([]float64, count)}
	for fi := range count {
		clear(re)
		clear(im)
		seg := x[fi*hop : min(fi*hop+flen, len(x))]
		var e float64
		for i, v := range seg {
			re[i] = float64(v) * win[i]
			e += re[i] * re[i]
		}
		// Energy of a stationary signal: its mean square, whatever the window.
		f.energy[fi] = 10 * math.Log10(e/wsum+1e-12)

		plan.Transform(re, im)
		var logSum, sum float64
		const tiny = 1e-20 // keeps log finite in digital silence
		for k := klo; k <= khi; k++ {
			p := re[k]*re[k] + im[k]*im[k] + tiny
			logSum += math.Log(p)
			sum += p
		}
		m := float64(khi - klo + 1)
		f.flatness[fi] = min(math.Exp(logSum/m)/(sum/m), 1)
	}
	return f
}

// noiseFloor returns the noise floor (dB) of each frame; see DetectSpeech.
func noiseFloor(f frames, cfg VADConfig, hop, rate int) []float64 {
	n := len(f.energy)
	var buf []float64
	// percentile returns the NoisePercentile of the energies of the frames
	// in [lo, hi) that keep says to, and false if there are none.
	percentile := func(lo, hi int, keep func(i int) bool) (float64, bool) {
		buf = buf[:0]
		for i := lo; i < hi; i++ {
			if keep(i) {
				buf = append(buf, f.energy[i])
			}
		}
		if len(buf) == 0 {
			return 0, false
		}
		slices.Sort(buf)
		return buf[int(cfg.NoisePercentile*float64(len(buf)-1))], true
	}
	all := func(int) bool { return true }
	unvoiced := func(i int) bool { return f.flatness[i] > cfg.MaxFlatness }
	globalUnvoiced, ok := percentile(0, n, unvoiced)
	if !ok {
		globalUnvoiced = cfg.MinFloor
	}
	estimate := func(lo, hi int) float64 {
		e, _ := percentile(lo, hi, all)
		u, ok := percentile(lo, hi, unvoiced)
		if !ok {
			u = globalUnvoiced
		}
		return max(min(e, u), cfg.MinFloor)
	}

	floor := make([]float64, n)
	w := durationToSamples(cfg.NoiseWindow, rate) / hop
	if w == 0 || w >= n {
		v := estimate(0, n)
		for i := range floor {
			floor[i] = v
		}
		return floor
	}
	// Estimate at anchors every w/8 frames and interpolate between them.
	step := max(w/8, 1)
	prevAt, prevVal := -1, 0.0
	for a := 0; ; a += step {
		a = min(a, n-1)
		v := estimate(max(a-w/2, 0), min(a+w/2+1, n))
		if prevAt < 0 {
			floor[a] = v
		}
		for i := prevAt + 1; prevAt >= 0 && i <= a; i++ {
			t := float64(i-prevAt) / float64(a-prevAt)
			floor[i] = prevVal + t*(v-prevVal)
		}
		prevAt, prevVal = a, v
		if a == n-1 {
			return floor
		}
	}
}

// merge joins segments (sorted by start) whose gap is under gap samples.
func merge(segs [][2]int, gap int) [][2]int {
	out := segs[:0]
	for _, g := range segs {
		if len(out) > 0 {
			if last := &out[len(out)-1]; g[0]-last[1] < gap || g[0] <= last[1] {
				last[1] = max(last[1], g[1])
				continue
			}
		}
		out = append(out, g)
	}
	return out
}

// durationToSamples returns d at rate Hz in samples, rounded.
func durationToSamples(d time.Duration, rate int) int {
	return int(math.Round(d.Seconds() * float64(rate)))
}

// samplesToDuration returns n samples at rate Hz as a duration, truncated
// to the nanosecond.
func samplesToDuration(n, rate int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}
