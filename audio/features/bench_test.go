package features

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/mjibson/go-dsp/fft"
	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/parley-ai/parley/audio"
)

// reportRT reports the real-time factor: seconds of audio per second of
// computation.
func reportRT(b *testing.B, audioSeconds float64) {
	b.ReportMetric(audioSeconds*float64(b.N)/b.Elapsed().Seconds(), "xRT")
}

// BenchmarkFbank: 80-bin log-mel fbank (Kaldi defaults otherwise, dither
// on) of 16 kHz noise, one signal per call, dst reused.
func BenchmarkFbank(b *testing.B) {
	c := Kaldi()
	c.MelBins = 80
	e := mustNew(b, c)
	for _, sec := range []int{1, 10} {
		b.Run(fmt.Sprintf("%ds", sec), func(b *testing.B) {
			sig := noise(sec*16000, 16000, 1)
			dst := NewMatrix(e.NumFrames(len(sig.Samples)), 80)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if dst, err = e.Fbank(dst, sig); err != nil {
					b.Fatal(err)
				}
			}
			reportRT(b, float64(sec))
		})
	}
}

// BenchmarkFbankBatch: 16 one-second signals per call.
func BenchmarkFbankBatch(b *testing.B) {
	c := Kaldi()
	c.MelBins = 80
	e := mustNew(b, c)
	sigs := make([]audio.Signal, 16)
	for i := range sigs {
		sigs[i] = noise(16000, 16000, uint64(i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.FbankBatch(ctx, sigs); err != nil {
			b.Fatal(err)
		}
	}
	reportRT(b, float64(len(sigs)))
}

// BenchmarkMFCC: 13 MFCCs over 23 bins of one second.
func BenchmarkMFCC(b *testing.B) {
	e := mustNew(b, Kaldi())
	sig := noise(16000, 16000, 1)
	dst := NewMatrix(e.NumFrames(16000), 13)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if dst, err = e.MFCC(dst, sig); err != nil {
			b.Fatal(err)
		}
	}
	reportRT(b, 1)
}

// BenchmarkStages splits the fbank of one second (98 frames, FFT 512)
// into its parts: framing with the FFT (the FFT alone is
// BenchmarkFbankFFT/godsp/fft_only), go-dsp's full-size FFTReal as a
// baseline for the half-size packing, and the network run.
func BenchmarkStages(b *testing.B) {
	c := Kaldi()
	c.MelBins = 80
	e := mustNew(b, c)
	sig := noise(16000, 16000, 1)
	frames := e.NumFrames(16000)
	b.Run("frames+fft", func(b *testing.B) {
		f := e.newFramer()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			f.reset()
			for t := 0; t < frames; t++ {
				f.frame(sig.Samples, t)
			}
		}
		reportRT(b, 1)
	})
	x := make([]float64, 512)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	b.Run("fft_FFTReal", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for t := 0; t < frames; t++ {
				fft.FFTReal(x)
			}
		}
		reportRT(b, 1)
	})
	b.Run("network", func(b *testing.B) {
		rows := bucket(frames)
		spec := make([]float32, rows*e.mel.nbins)
		for i := range spec {
			spec[i] = float32(i % 1000)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := e.network(ctx, fbankKind, rows, spec); err != nil {
				b.Fatal(err)
			}
		}
		reportRT(b, 1)
	})
}

// gonumFFT and radix2 are alternatives to go-dsp's FFT for fftPlan, used
// only here, to measure what go-dsp costs the pipeline (go-dsp starts
// GOMAXPROCS goroutines, sends one channel message per block and stage
// and allocates about 20 times on every call); the package uses go-dsp.

// gonumFFT is gonum's FFTPACK port (gonum.org/v1/gonum/dsp/fourier,
// already a dependency of the module): a plan that allocates nothing per
// call.
func gonumFFT(n int) func([]complex128) []complex128 {
	p, dst := fourier.NewCmplxFFT(n), make([]complex128, n)
	return func(z []complex128) []complex128 { return p.Coefficients(dst, z) }
}

// radix2 is a minimal iterative radix-2 FFT with precomputed twiddles
// and bit reversal, for powers of two.
func radix2(n int) func([]complex128) []complex128 {
	rev, tw, y := make([]int, n), make([]complex128, n/2), make([]complex128, n)
	bits := 0
	for 1<<bits < n {
		bits++
	}
	for i := range rev {
		for b := 0; b < bits; b++ {
			if i&(1<<b) != 0 {
				rev[i] |= 1 << (bits - 1 - b)
			}
		}
	}
	for k := range tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		tw[k] = complex(c, s)
	}
	return func(x []complex128) []complex128 {
		for i, j := range rev {
			y[j] = x[i]
		}
		for size := 2; size <= n; size <<= 1 {
			half, step := size/2, n/size
			for start := 0; start < n; start += size {
				for k := 0; k < half; k++ {
					a, b := y[start+k], y[start+k+half]*tw[k*step]
					y[start+k], y[start+k+half] = a+b, a-b
				}
			}
		}
		return y
	}
}

func TestAlternativeFFTsMatchGoDSP(t *testing.T) {
	x := make([]complex128, 256)
	for i := range x {
		x[i] = complex(math.Sin(float64(i)), math.Cos(float64(3*i)))
	}
	want := fft.FFT(x)
	for name, f := range map[string]func([]complex128) []complex128{"gonum": gonumFFT(256), "radix2": radix2(256)} {
		got := f(x)
		for k := range want {
			if d := got[k] - want[k]; math.Hypot(real(d), imag(d)) > 1e-9 {
				t.Fatalf("%s bin %d: %v, go-dsp %v", name, k, got[k], want[k])
			}
		}
	}
}

// BenchmarkFbankFFT is BenchmarkFbank/1s with the half-size FFT done by
// go-dsp (as the package does), gonum or radix2, with and without dither,
// and the FFT alone per second of audio (98 frames).
func BenchmarkFbankFFT(b *testing.B) {
	for _, lib := range []string{"godsp", "gonum", "radix2"} {
		for _, dither := range []float64{1, 0} {
			b.Run(fmt.Sprintf("%s/dither%g", lib, dither), func(b *testing.B) {
				c := Kaldi()
				c.MelBins = 80
				c.Dither = dither
				e := mustNew(b, c)
				switch lib {
				case "gonum":
					e.fft.transform = gonumFFT(e.FFTSize() / 2)
				case "radix2":
					e.fft.transform = radix2(e.FFTSize() / 2)
				}
				sig := noise(16000, 16000, 1)
				dst := NewMatrix(e.NumFrames(16000), 80)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var err error
					if dst, err = e.Fbank(dst, sig); err != nil {
						b.Fatal(err)
					}
				}
				reportRT(b, 1)
			})
		}
		b.Run(lib+"/fft_only", func(b *testing.B) {
			p := newFFTPlan(512)
			switch lib {
			case "gonum":
				p.transform = gonumFFT(256)
			case "radix2":
				p.transform = radix2(256)
			}
			x, z, dst := make([]float64, 512), make([]complex128, 256), make([]float64, 257)
			for i := range x {
				x[i] = math.Sin(float64(i))
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for t := 0; t < 98; t++ {
					p.power(dst, x, z)
				}
			}
			reportRT(b, 1)
		})
	}
}
