package audio

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// burst is a sound added to a test signal from start to end (seconds) at
// level dB (mean square re a full-scale square wave, as VAD energies).
type burst struct {
	start, end, level float64
	noise             bool // white noise instead of a voiced-like tone
}

// scene describes a test signal: a white noise background at noise dB
// (−inf for digital silence), with bursts.
type scene struct {
	rate   int
	dur    float64 // s
	noise  float64
	bursts []burst
}

// render makes the scene's signal with a seeded generator.
func (sc scene) render(seed uint64) Signal {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := int(sc.dur * float64(sc.rate))
	x := make([]float64, n)
	if !math.IsInf(sc.noise, -1) {
		addNoise(rng, x, 0, n, sc.noise)
	}
	for _, b := range sc.bursts {
		lo, hi := int(b.start*float64(sc.rate)), int(b.end*float64(sc.rate))
		if b.noise {
			addNoise(rng, x, lo, hi, b.level)
		} else {
			addVoiced(rng, x, lo, hi, sc.rate, b.level)
		}
	}
	s := Signal{Samples: make([]float32, n), Rate: sc.rate}
	for i, v := range x {
		s.Samples[i] = float32(v)
	}
	return s
}

// addNoise adds white Gaussian noise at level dB to x[lo:hi].
func addNoise(rng *rand.Rand, x []float64, lo, hi int, level float64) {
	sd := math.Pow(10, level/20)
	for i := lo; i < hi; i++ {
		x[i] += sd * rng.NormFloat64()
	}
}

// addVoiced adds a vowel-like sound to x[lo:hi]: harmonics of a random f0
// in 100–220 Hz with ±3% vibrato at 5 Hz, amplitudes falling as 1/k up to
// 3.5 kHz, a syllable-rate (4 Hz) amplitude modulation of ±30%, 20 ms
// raised-cosine ramps, at level dB over the steady part.
func addVoiced(rng *rand.Rand, x []float64, lo, hi, rate int, level float64) {
	f0 := 100 + 120*rng.Float64()
	nh := int(min(3500, 0.45*float64(rate)) / (f0 * 1.03))
	var norm float64 // mean square of the harmonic sum, Σ (1/k)²/2
	for k := 1; k <= nh; k++ {
		norm += 0.5 / float64(k*k)
	}
	amp := math.Pow(10, level/20) / math.Sqrt(norm)
	ramp := 0.02 * float64(rate)
	var phase float64
	for i := lo; i < hi; i++ {
		t := float64(i-lo) / float64(rate)
		phase += 2 * math.Pi * f0 * (1 + 0.03*math.Sin(2*math.Pi*5*t)) / float64(rate)
		var v float64
		for k := 1; k <= nh; k++ {
			v += math.Sin(float64(k)*phase) / float64(k)
		}
		env := 1 + 0.3*math.Sin(2*math.Pi*4*t)
		if d := float64(min(i-lo, hi-1-i)); d < ramp {
			env *= 0.5 - 0.5*math.Cos(math.Pi*d/ramp)
		}
		x[i] += amp * env * v
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// vadTestConfig is the default without padding, so that segments compare
// with the truth directly.
func vadTestConfig() VADConfig {
	c := DefaultVADConfig()
	c.Padding = 0
	return c
}

// checkSegments compares got with want (seconds) within tol.
func checkSegments(t *testing.T, got []Segment, want [][2]float64, tol time.Duration) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ds, de := got[i].Start-secs(want[i][0]), got[i].End-secs(want[i][1])
		ok = ds.Abs() <= tol && de.Abs() <= tol
	}
	if !ok {
		t.Errorf("segments %v, want %v s within ±%v", got, want, tol)
	}
}

// TestDetectSpeech checks synthetic scenes against the truth: segments
// within ±30 ms (issue 3).
func TestDetectSpeech(t *testing.T) {
	t.Parallel()
	three := []burst{{0.5, 1.2, -20, false}, {1.8, 2.3, -25, false}, {3.0, 3.9, -18, false}}
	threeWant := [][2]float64{{0.5, 1.2}, {1.8, 2.3}, {3.0, 3.9}}
	tests := []struct {
		name  string
		scene scene
		cfg   func(*VADConfig)
		want  [][2]float64
	}{
		{"three_bursts_8000Hz", scene{8000, 4.5, -55, three}, nil, threeWant},
		{"three_bursts_11025Hz", scene{11025, 4.5, -55, three}, nil, threeWant},
		{"three_bursts_16000Hz", scene{16000, 4.5, -55, three}, nil, threeWant},
		{"three_bursts_22050Hz", scene{22050, 4.5, -55, three}, nil, threeWant},
		{"three_bursts_44100Hz", scene{44100, 4.5, -55, three}, nil, threeWant},
		{"three_bursts_48000Hz", scene{48000, 4.5, -55, three}, nil, threeWant},
		{"three_bursts_digital_silence", scene{16000, 4.5, math.Inf(-1), three}, nil, threeWant},
		{"three_bursts_20dB_SNR", scene{16000, 4.5, -45, three}, nil, threeWant},
		{"short_pause_bridged", scene{16000, 2.5, -55, []burst{{0.5, 1.0, -20, false}, {1.2, 1.7, -20, false}}},
			nil, [][2]float64{{0.5, 1.7}}},
		{"long_pause_kept", scene{16000, 2.5, -55, []burst{{0.5, 1.0, -20, false}, {1.4, 1.9, -20, false}}},
			nil, [][2]float64{{0.5, 1.0}, {1.4, 1.9}}},
		{"click_dropped", scene{16000, 2.5, -55, []burst{{0.5, 0.56, -20, false}, {1.4, 1.9, -20, false}}},
			nil, [][2]float64{{1.4, 1.9}}},
		{"noise_burst_ignored", scene{16000, 2.5, -55, []burst{{0.5, 1.0, -20, true}, {1.4, 1.9, -20, false}}},
			nil, [][2]float64{{1.4, 1.9}}},
		{"fricative_joins_vowel", scene{16000, 2.5, -55, []burst{{0.5, 0.65, -30, true}, {0.65, 1.2, -20, false}}},
			nil, [][2]float64{{0.5, 1.2}}},
		{"near_floor_6dB_missed", scene{16000, 2.5, -50, []burst{{0.5, 1.5, -44, false}}}, nil, nil},
		{"near_floor_20dB_found", scene{16000, 2.5, -50, []burst{{0.5, 1.5, -30, false}}},
			nil, [][2]float64{{0.5, 1.5}}},
		{"silence", scene{16000, 3, math.Inf(-1), nil}, nil, nil},
		{"noise_floor_only", scene{16000, 3, -55, nil}, nil, nil},
		{"white_noise_loud", scene{16000, 3, -20, nil}, nil, nil},
		{"all_speech", scene{16000, 3, math.Inf(-1), []burst{{0, 3, -20, false}}}, nil, [][2]float64{{0, 3}}},
		{"all_speech_with_noise", scene{16000, 3, -55, []burst{{0, 3, -20, false}}}, nil, [][2]float64{{0, 3}}},
		// The background rises by 25 dB at 8 s; the 4 s window follows it.
		{"rising_noise_floor", scene{8000, 16, -60, []burst{
			{8, 16, -35, true}, {2, 3, -20, false}, {12, 13, -20, false}}},
			func(c *VADConfig) { c.NoiseWindow = 4 * time.Second },
			[][2]float64{{2, 3}, {12, 13}}},
		{"padding", scene{16000, 2, -55, []burst{{0.05, 0.6, -20, false}, {1.0, 1.95, -20, false}}},
			func(c *VADConfig) { c.Padding = 100 * time.Millisecond },
			[][2]float64{{0, 0.7}, {0.9, 2}}},
		{"padding_merges", scene{16000, 2, -55, []burst{{0.2, 0.6, -20, false}, {1.0, 1.5, -20, false}}},
			func(c *VADConfig) { c.Padding = 250 * time.Millisecond },
			[][2]float64{{0, 1.75}}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := vadTestConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			got, err := DetectSpeech(tc.scene.render(uint64(i)), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkSegments(t, got, tc.want, 30*time.Millisecond)
		})
	}
}

// TestDetectSpeechEdges checks empty and very short signals.
func TestDetectSpeechEdges(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 100, 399} {
		got, err := DetectSpeech(Signal{Samples: make([]float32, n), Rate: 16000}, DefaultVADConfig())
		if err != nil || len(got) != 0 {
			t.Errorf("%d zero samples: %v, %v; want no segments", n, got, err)
		}
	}
	// 150 ms of tone alone: one frame run at the very start, padded within
	// the signal.
	s := scene{16000, 0.15, math.Inf(-1), []burst{{0, 0.15, -20, false}}}.render(1)
	got, err := DetectSpeech(s, DefaultVADConfig())
	if err != nil {
		t.Fatal(err)
	}
	checkSegments(t, got, [][2]float64{{0, 0.15}}, 0)
}

// TestDetectSpeechBadInput checks the errors for bad rates and configs.
func TestDetectSpeechBadInput(t *testing.T) {
	t.Parallel()
	s := Signal{Samples: make([]float32, 1000), Rate: 16000}
	if _, err := DetectSpeech(Signal{Samples: s.Samples}, DefaultVADConfig()); !errors.Is(err, ErrInvalidRate) {
		t.Errorf("rate 0: error %v, want ErrInvalidRate", err)
	}
	if _, err := DetectSpeech(Signal{Samples: s.Samples, Rate: 400}, DefaultVADConfig()); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("10-sample frames at 400 Hz: error %v, want ErrInvalidConfig", err)
	}
	high := DefaultVADConfig()
	high.BandLow, high.BandHigh = 5000, 7000
	if _, err := DetectSpeech(Signal{Samples: s.Samples, Rate: 8000}, high); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("band 5–7 kHz at 8 kHz: error %v, want ErrInvalidConfig", err)
	}
	if err := DefaultVADConfig().Validate(); err != nil {
		t.Errorf("DefaultVADConfig().Validate() = %v", err)
	}
	for name, mod := range map[string]func(*VADConfig){
		"FrameLength_zero":     func(c *VADConfig) { c.FrameLength = 0 },
		"FrameShift_zero":      func(c *VADConfig) { c.FrameShift = 0 },
		"FrameShift_too_long":  func(c *VADConfig) { c.FrameShift = c.FrameLength + 1 },
		"Threshold_zero":       func(c *VADConfig) { c.Threshold = 0 },
		"Threshold_NaN":        func(c *VADConfig) { c.Threshold = math.NaN() },
		"MaxFlatness_zero":     func(c *VADConfig) { c.MaxFlatness = 0 },
		"MaxFlatness_above_1":  func(c *VADConfig) { c.MaxFlatness = 1.5 },
		"BandLow_negative":     func(c *VADConfig) { c.BandLow = -1 },
		"BandHigh_below_low":   func(c *VADConfig) { c.BandHigh = c.BandLow },
		"BandHigh_inf":         func(c *VADConfig) { c.BandHigh = math.Inf(1) },
		"NoisePercentile_zero": func(c *VADConfig) { c.NoisePercentile = 0 },
		"NoisePercentile_one":  func(c *VADConfig) { c.NoisePercentile = 1 },
		"NoiseWindow_negative": func(c *VADConfig) { c.NoiseWindow = -time.Second },
		"MinFloor_inf":         func(c *VADConfig) { c.MinFloor = math.Inf(-1) },
		"MinSilence_negative":  func(c *VADConfig) { c.MinSilence = -1 },
		"MinSpeech_negative":   func(c *VADConfig) { c.MinSpeech = -1 },
		"Padding_negative":     func(c *VADConfig) { c.Padding = -1 },
	} {
		cfg := DefaultVADConfig()
		mod(&cfg)
		if err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidConfig", name, err)
		}
		if _, err := DetectSpeech(s, cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: DetectSpeech error %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestSegmentCut(t *testing.T) {
	t.Parallel()
	s := Signal{Samples: make([]float32, 1000), Rate: 1000}
	for _, tc := range []struct {
		seg    Segment
		lo, hi int
	}{
		{Segment{100 * time.Millisecond, 250 * time.Millisecond}, 100, 250},
		{Segment{-time.Second, 10 * time.Millisecond}, 0, 10},
		{Segment{900 * time.Millisecond, 2 * time.Second}, 900, 1000},
		{Segment{500 * time.Millisecond, 400 * time.Millisecond}, 500, 500},
	} {
		got := tc.seg.Cut(s)
		if got.Rate != 1000 || len(got.Samples) != tc.hi-tc.lo || (len(got.Samples) > 0 && &got.Samples[0] != &s.Samples[tc.lo]) {
			t.Errorf("%v.Cut: %d samples, want samples [%d, %d)", tc.seg, len(got.Samples), tc.lo, tc.hi)
		}
	}
	if d := (Segment{time.Second, 3 * time.Second}).Duration(); d != 2*time.Second {
		t.Errorf("Duration = %v, want 2s", d)
	}
}

// dataDir returns $PARLEY_DATA or ../shared/data relative to the
// repository root, skipping the test when it is absent.
func dataDir(t *testing.T, sub string) string {
	t.Helper()
	root := os.Getenv("PARLEY_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "data")
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no %s (set PARLEY_DATA to the shared data folder): %v", sub, err)
	}
	return dir
}

// arcticFiles returns the first n files of cathy_arctic/wav16k (recordings
// of read sentences with the silence trimmed, see its SOURCE.md), skipping
// the test when the data is absent.
func arcticFiles(t *testing.T, n int) []Signal {
	t.Helper()
	dir := dataDir(t, filepath.Join("cathy_arctic", "wav16k"))
	files, err := filepath.Glob(filepath.Join(dir, "arctic_a*.wav"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if len(files) < n {
		t.Fatalf("%s: %d files, want at least %d", dir, len(files), n)
	}
	sigs := make([]Signal, n)
	for i, path := range files[:n] {
		s, _, err := ReadWAVFile(path, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sigs[i] = s
	}
	return sigs
}

// coverage returns the fraction of [lo, hi) inside segs.
func coverage(segs []Segment, lo, hi time.Duration) float64 {
	var c time.Duration
	for _, g := range segs {
		c += max(min(g.End, hi)-max(g.Start, lo), 0)
	}
	return c.Seconds() / (hi - lo).Seconds()
}

// TestDetectSpeechArctic runs the default detector on real recordings
// (issue 3): each trimmed file must give at least one segment, together
// covering at least 80% of it (over all 593 files the worst is 81%, the
// median 100%).
func TestDetectSpeechArctic(t *testing.T) {
	t.Parallel()
	for i, s := range arcticFiles(t, 8) {
		segs, err := DetectSpeech(s, DefaultVADConfig())
		if err != nil {
			t.Fatal(err)
		}
		frac := coverage(segs, 0, s.Duration())
		t.Logf("file %d (%.2f s): %d segments, %.0f%% covered", i, s.Duration().Seconds(), len(segs), 100*frac)
		if len(segs) == 0 || frac < 0.8 {
			t.Errorf("file %d: %d segments covering %.0f%% of %v, want ≥ 1 covering ≥ 80%%", i, len(segs), 100*frac, s.Duration())
		}
	}
}

// TestDetectSpeechArcticLong splits a long recording made of eight
// sentences with 1.5 s of background noise (−60 dB, about the files' own
// floor) between them: each sentence is ≥ 80% covered and the middle
// second of each pause is not touched.
func TestDetectSpeechArcticLong(t *testing.T) {
	t.Parallel()
	sigs := arcticFiles(t, 8)
	rng := rand.New(rand.NewPCG(8, 1))
	gap := make([]float64, 24000) // 1.5 s at 16 kHz
	long := Signal{Rate: 16000}
	var spans [][2]time.Duration
	for _, s := range sigs {
		clear(gap)
		addNoise(rng, gap, 0, len(gap), -60)
		for _, v := range gap {
			long.Samples = append(long.Samples, float32(v))
		}
		start := long.Duration()
		long.Samples = append(long.Samples, s.Samples...)
		spans = append(spans, [2]time.Duration{start, long.Duration()})
	}
	long.Samples = append(long.Samples, long.Samples[:len(gap)]...) // a final pause
	segs, err := DetectSpeech(long, DefaultVADConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.1f s: %d segments", long.Duration().Seconds(), len(segs))
	for i, sp := range spans {
		if c := coverage(segs, sp[0], sp[1]); c < 0.8 {
			t.Errorf("sentence %d (%v–%v): %.0f%% covered, want ≥ 80%%", i, sp[0], sp[1], 100*c)
		}
		if c := coverage(segs, sp[0]-1250*time.Millisecond, sp[0]-250*time.Millisecond); c > 0 {
			t.Errorf("pause before sentence %d: %.0f%% of its middle second covered, want none", i, 100*c)
		}
	}
}

// BenchmarkDetectSpeech runs the default detector on 60 s of a scene
// with a burst of voice every 2 s and reports x-real-time.
func BenchmarkDetectSpeech(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			sc := scene{rate: rate, dur: 60, noise: -50}
			for t0 := 0.5; t0 < 59; t0 += 2 {
				sc.bursts = append(sc.bursts, burst{t0, t0 + 1, -20, false})
			}
			s := sc.render(1)
			cfg := DefaultVADConfig()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := DetectSpeech(s, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(60*float64(b.N)/b.Elapsed().Seconds(), "x-real-time")
		})
	}
}
