package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/mjibson/go-dsp/fft"
	"github.com/parley-ai/parley/audio"
)

// noise returns n samples of seeded white noise at 0.1 full scale.
func noise(n, rate int, seed uint64) audio.Signal {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(0.1 * rng.NormFloat64())
	}
	return audio.Signal{Samples: s, Rate: rate}
}

func mustNew(t testing.TB, c Config) *Extractor {
	t.Helper()
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestNumFrames checks Kaldi's frame counts (feature-window.cc NumFrames):
// with snip-edges 1 + (n − 400)/160 and none below a frame; without,
// (n + 80)/160, at 16 kHz with 25/10 ms frames.
func TestNumFrames(t *testing.T) {
	snip := mustNew(t, Torchaudio())
	c := Torchaudio()
	c.SnipEdges = false
	nosnip := mustNew(t, c)
	for _, tc := range []struct{ n, snip, nosnip int }{
		{0, 0, 0}, {1, 0, 0}, {79, 0, 0}, {80, 0, 1}, {239, 0, 1}, {240, 0, 2},
		{399, 0, 2}, {400, 1, 3}, {559, 1, 3}, {560, 2, 4}, {16000, 98, 100},
	} {
		if got := snip.NumFrames(tc.n); got != tc.snip {
			t.Errorf("snip-edges NumFrames(%d) = %d, want %d", tc.n, got, tc.snip)
		}
		if got := nosnip.NumFrames(tc.n); got != tc.nosnip {
			t.Errorf("no snip-edges NumFrames(%d) = %d, want %d", tc.n, got, tc.nosnip)
		}
	}
}

// TestShortSignals: signals shorter than a frame give Kaldi's frame count
// (none with snip-edges) and finite features, never an error.
func TestShortSignals(t *testing.T) {
	for _, snipEdges := range []bool{true, false} {
		c := Kaldi()
		c.SnipEdges = snipEdges
		c.UseEnergy = true
		e := mustNew(t, c)
		for _, n := range []int{0, 1, 3, 80, 200, 399} {
			t.Run(fmt.Sprintf("snip=%v/n=%d", snipEdges, n), func(t *testing.T) {
				sig := noise(n, 16000, 5)
				for name, f := range map[string]func(Matrix, audio.Signal) (Matrix, error){
					"fbank": e.Fbank, "mfcc": e.MFCC, "spectrogram": e.Spectrogram, "power": e.PowerSpectrum,
				} {
					m, err := f(Matrix{}, sig)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if m.Rows != e.NumFrames(n) || len(m.Data) != m.Rows*m.Cols || m.Cols == 0 {
						t.Fatalf("%s: %d×%d (%d values), want %d rows", name, m.Rows, m.Cols, len(m.Data), e.NumFrames(n))
					}
					for _, v := range m.Data {
						if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
							t.Fatalf("%s: non-finite value %v", name, v)
						}
					}
				}
			})
		}
	}
}

func TestRateMismatch(t *testing.T) {
	e := mustNew(t, Kaldi())
	sig := noise(8000, 8000, 1)
	for name, f := range map[string]func(Matrix, audio.Signal) (Matrix, error){
		"fbank": e.Fbank, "mfcc": e.MFCC, "spectrogram": e.Spectrogram, "power": e.PowerSpectrum,
	} {
		if _, err := f(Matrix{}, sig); !errors.Is(err, ErrRateMismatch) {
			t.Errorf("%s: %v, want ErrRateMismatch", name, err)
		}
	}
	_, err := e.FbankBatch(context.Background(), []audio.Signal{noise(16000, 16000, 1), sig})
	if !errors.Is(err, ErrRateMismatch) {
		t.Errorf("batch: %v, want ErrRateMismatch", err)
	}
}

// TestBatchEqualsSingle is the differential test of the network stage:
// frames of several signals concatenated into shared runs (graphs of
// other sizes, several runs for the long signal) give the same features
// as each signal alone.
func TestBatchEqualsSingle(t *testing.T) {
	sigs := []audio.Signal{
		loadSignal(t, "chirp16k"), noise(0, 16000, 1), loadSignal(t, "tones16k"),
		noise(12*16000+123, 16000, 2), // 1200 frames: more than one run of maxRows
		noise(300, 16000, 3),          // no frames
		noise(420, 16000, 4),          // one frame
	}
	c := Kaldi()
	c.MelBins = 80
	c.UseEnergy = true
	e := mustNew(t, c)
	ctx := context.Background()
	for _, k := range []struct {
		name   string
		batch  func(context.Context, []audio.Signal) ([]Matrix, error)
		single func(Matrix, audio.Signal) (Matrix, error)
	}{{"fbank", e.FbankBatch, e.Fbank}, {"mfcc", e.MFCCBatch, e.MFCC}} {
		t.Run(k.name, func(t *testing.T) {
			all, err := k.batch(ctx, sigs)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != len(sigs) {
				t.Fatalf("%d outputs for %d signals", len(all), len(sigs))
			}
			for i, s := range sigs {
				one, err := k.single(Matrix{}, s)
				if err != nil {
					t.Fatal(err)
				}
				if one.Rows != all[i].Rows || one.Cols != all[i].Cols {
					t.Fatalf("signal %d: batch %d×%d, alone %d×%d", i, all[i].Rows, all[i].Cols, one.Rows, one.Cols)
				}
				// The products of different graph sizes may sum in another
				// order: allow float32 rounding.
				if d := maxAbsDiff(one.Data, all[i].Data); d > 1e-4 {
					t.Errorf("signal %d: batch differs from alone by %g", i, d)
				}
			}
		})
	}
}

func TestBatchCancelled(t *testing.T) {
	e := mustNew(t, Kaldi())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.FbankBatch(ctx, []audio.Signal{noise(4000, 16000, 1)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled batch: %v", err)
	}
}

// TestDither: the dither is seeded, the same for a signal alone or in a
// batch, and changes with the seed; Kaldi's dither keeps digital silence
// off the log floor.
func TestDither(t *testing.T) {
	silence := audio.Signal{Samples: make([]float32, 4000), Rate: 16000}
	c := Kaldi()
	a, err := mustNew(t, c).Fbank(Matrix{}, silence)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mustNew(t, c).FbankBatch(context.Background(), []audio.Signal{silence, silence})
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		if d := maxAbsDiff(a.Data, b[i].Data); d > 1e-4 {
			t.Errorf("batch signal %d differs from the signal alone by %g", i, d)
		}
	}
	floor := float32(math.Log(epsilon))
	for _, v := range a.Data {
		if v <= floor+1 {
			t.Fatalf("dithered silence reached the log floor: %v", v)
		}
	}
	c.Seed = 7
	other, err := mustNew(t, c).Fbank(Matrix{}, silence)
	if err != nil {
		t.Fatal(err)
	}
	if maxAbsDiff(a.Data, other.Data) < 1e-3 {
		t.Errorf("another seed gave the same dither")
	}
	c.Dither = 0
	quiet, err := mustNew(t, c).Fbank(Matrix{}, silence)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range quiet.Data {
		if v != floor {
			t.Fatalf("undithered silence: %v, want ln ε = %v", v, floor)
		}
	}
}

// TestDstReuse: a large enough dst is written in place.
func TestDstReuse(t *testing.T) {
	e := mustNew(t, Kaldi())
	sig := noise(8000, 16000, 1)
	dst := NewMatrix(100, 30)
	got, err := e.Fbank(dst, sig)
	if err != nil {
		t.Fatal(err)
	}
	if &got.Data[0] != &dst.Data[0] {
		t.Errorf("Fbank allocated although dst was large enough")
	}
	small := NewMatrix(1, 1)
	got, err = e.MFCC(small, sig)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != e.NumFrames(8000) || got.Cols != 13 || len(got.Data) != got.Rows*13 {
		t.Errorf("MFCC with a small dst: %d×%d", got.Rows, got.Cols)
	}
}

// TestGraphCacheBounded: runs of many sizes build many graphs; the cache
// keeps at most maxIdle, and reuses them.
func TestGraphCacheBounded(t *testing.T) {
	e := mustNew(t, Kaldi())
	ctx := context.Background()
	run := func(rows int) {
		t.Helper()
		y, err := e.network(ctx, fbankKind, rows, make([]float32, rows*e.mel.nbins))
		if err != nil {
			t.Fatal(err)
		}
		if len(y) != rows*e.cfg.MelBins {
			t.Fatalf("%d rows: %d outputs", rows, len(y))
		}
	}
	for i := 1; i <= 3; i++ {
		run(64)
		if got := e.cachedGraphs(); got != 1 {
			t.Fatalf("after %d runs of one size: %d cached graphs, want 1", i, got)
		}
	}
	for rows := 32; rows <= 32*(maxIdle+5); rows += 32 {
		run(rows)
	}
	if got := e.cachedGraphs(); got != maxIdle {
		t.Errorf("%d cached graphs, want the bound %d", got, maxIdle)
	}
}

func TestBucket(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{1, 32}, {32, 32}, {33, 64}, {98, 128}, {129, 160}, {257, 320}, {300, 320}, {1000, 1024}, {1024, 1024},
	} {
		if got := bucket(tc.n); got != tc.want {
			t.Errorf("bucket(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	seen := map[int]bool{}
	for n := 1; n <= maxRows; n++ {
		b := bucket(n)
		if b < n || float64(b-n) >= math.Max(32, float64(n)/4) {
			t.Fatalf("bucket(%d) = %d", n, b)
		}
		seen[b] = true
	}
	if len(seen) > 48 {
		t.Errorf("%d distinct buckets up to maxRows", len(seen))
	}
}

// TestConcurrent runs one Extractor from several goroutines.
func TestConcurrent(t *testing.T) {
	c := Kaldi()
	c.MelBins = 40
	e := mustNew(t, c)
	sig := loadSignal(t, "tones16k")
	want, err := e.MFCC(Matrix{}, sig)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				got, err := e.MFCC(Matrix{}, sig)
				if err != nil {
					errs <- err
					return
				}
				if d := maxAbsDiff(got.Data, want.Data); d != 0 {
					errs <- fmt.Errorf("concurrent result differs by %g", d)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// dft is the O(n²) discrete Fourier transform of a real sequence.
func dft(x []float64) []complex128 {
	n := len(x)
	X := make([]complex128, n)
	for k := range X {
		var s complex128
		for j, v := range x {
			s += complex(v, 0) * cmplx.Rect(1, -2*math.Pi*float64(j*k%n)/float64(n))
		}
		X[k] = s
	}
	return X
}

// TestFFTPlan checks the half-size packing around go-dsp against a plain
// DFT and against go-dsp's own full-size FFTReal, for power-of-two sizes
// (radix 2) and others (Bluestein).
func TestFFTPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{2, 4, 6, 64, 400, 512} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.NormFloat64() * 1000
			}
			p := newFFTPlan(n)
			got := make([]float64, n/2+1)
			p.power(got, x, make([]complex128, n/2))
			ref, dsp := dft(x), fft.FFTReal(x)
			var scale float64
			for k := 0; k <= n/2; k++ {
				scale = math.Max(scale, cmplx.Abs(ref[k])*cmplx.Abs(ref[k]))
			}
			for k := 0; k <= n/2; k++ {
				want := real(ref[k])*real(ref[k]) + imag(ref[k])*imag(ref[k])
				viaDSP := cmplx.Abs(dsp[k]) * cmplx.Abs(dsp[k])
				if math.Abs(got[k]-want) > 1e-9*scale || math.Abs(viaDSP-want) > 1e-9*scale {
					t.Fatalf("bin %d: plan %g, go-dsp FFTReal %g, DFT %g", k, got[k], viaDSP, want)
				}
			}
		})
	}
}

// TestSpectrogramParseval: with the energy taken after the window
// (RawEnergy off) and no pre-processing, column 0 of Spectrogram (the log
// energy Σx²) equals the log of the spectrum's energy by Parseval:
// Σx² = (|X_0|² + |X_{N/2}|² + 2·Σ_{0<k<N/2}|X_k|²)/N.
func TestSpectrogramParseval(t *testing.T) {
	c := Torchaudio()
	c.RawEnergy, c.EnergyFloor = false, 0
	c.Window = Hamming
	e := mustNew(t, c)
	sig := loadSignal(t, "chirp16k")
	logSpec, err := e.Spectrogram(Matrix{}, sig)
	if err != nil {
		t.Fatal(err)
	}
	pow, err := e.PowerSpectrum(Matrix{}, sig)
	if err != nil {
		t.Fatal(err)
	}
	n := e.FFTSize()
	for r := 0; r < pow.Rows; r++ {
		row := pow.Row(r)
		s := float64(row[0]) + float64(row[n/2])
		for k := 1; k < n/2; k++ {
			s += 2 * float64(row[k])
		}
		if got, want := float64(logSpec.At(r, 0)), math.Log(s/float64(n)); math.Abs(got-want) > 1e-5 {
			t.Fatalf("frame %d: log energy %v, Parseval %v", r, got, want)
		}
		for k := 1; k <= n/2; k++ {
			if got, want := float64(logSpec.At(r, k)), math.Log(math.Max(float64(row[k]), epsilon)); math.Abs(got-want) > 1e-5 {
				t.Fatalf("frame %d bin %d: log spectrum %v, log power %v", r, k, got, want)
			}
		}
	}
}

func TestExtractorAccessors(t *testing.T) {
	c := Kaldi()
	c.FrameLength = 20 * time.Millisecond // 320 samples → FFT 512
	c.UseEnergy = true
	c.MFCC.NumCeps = 20
	e := mustNew(t, c)
	if e.FFTSize() != 512 || e.FbankDim() != 24 || e.MFCCDim() != 20 || e.Config() != c {
		t.Errorf("FFTSize %d, FbankDim %d, MFCCDim %d", e.FFTSize(), e.FbankDim(), e.MFCCDim())
	}
	c.RoundToPowerOfTwo = false
	if e := mustNew(t, c); e.FFTSize() != 320 {
		t.Errorf("FFTSize without rounding = %d, want 320", e.FFTSize())
	}
}

// TestReflection checks the samples of frames that stick out of the
// signal without snip-edges against the mirrored signal Kaldi reads
// (x[−1] = x[0], x[n] = x[n−1]), repeated with period 2n for a signal
// shorter than half a frame.
func TestReflection(t *testing.T) {
	c := Torchaudio()
	c.SnipEdges = false
	c.Window = Rectangular
	c.RemoveDCOffset = false
	c.Preemphasis = 0
	c.Scale = 1
	e := mustNew(t, c)
	for _, n := range []int{100, 450, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i + 1)
		}
		mirrored := func(j int) float32 {
			m := ((j % (2 * n)) + 2*n) % (2 * n)
			if m < n {
				return x[m]
			}
			return x[2*n-1-m]
		}
		f := e.newFramer()
		for fr := 0; fr < e.NumFrames(n); fr++ {
			f.prepare(f.buf, x, fr)
			start := fr*160 + 80 - 200 // Kaldi's FirstSampleOfFrame
			for i := 0; i < 400; i++ {
				if got, want := f.buf[i], float64(mirrored(start+i)); got != want {
					t.Fatalf("n=%d frame %d sample %d: %v, want %v", n, fr, i, got, want)
				}
			}
		}
	}
}

func TestMelScale(t *testing.T) {
	// 1127·ln(1 + f/700): 700 Hz is 1127·ln 2 mels.
	if got, want := MelScale(700), 1127*math.Ln2; math.Abs(got-want) > 1e-12 {
		t.Errorf("MelScale(700) = %v, want %v", got, want)
	}
	for _, f := range []float64{0, 20, 440, 8000} {
		if back := InverseMelScale(MelScale(f)); math.Abs(back-f) > 1e-9 {
			t.Errorf("InverseMelScale(MelScale(%v)) = %v", f, back)
		}
	}
}
