package features

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-ai/parley/audio"
)

var update = flag.Bool("update", false, "rewrite the test WAVs in testdata (then run testdata/make_golden.py)")

// testSignal is one generated test input, stored as a 16-bit WAV in
// testdata so that the golden features (made by make_golden.py with
// torchaudio) were computed from exactly these samples.
type testSignal struct {
	name string
	rate int
	gen  func() []int16
}

// testSignals are short: 0.15 to 0.35 s, lengths that are not multiples of
// the frame shift, so the last frames and the reflection padding without
// snip-edges are exercised.
var testSignals = []testSignal{
	// A linear chirp 100 Hz → 6 kHz at half scale: a wide dynamic range
	// across the filterbank within each frame.
	{"chirp16k", 16000, func() []int16 {
		const n, f0, f1 = 4821, 100.0, 6000.0
		x := make([]float64, n)
		T := float64(n) / 16000
		for i := range x {
			t := float64(i) / 16000
			x[i] = 0.5 * math.Sin(2*math.Pi*(f0*t+(f1-f0)*t*t/(2*T)))
		}
		return quantize(x)
	}},
	// Two tones and white noise after 50 ms of digital silence (silent
	// frames reach the log floors and the energy floor).
	{"tones16k", 16000, func() []int16 {
		const n = 5601
		rng := rand.New(rand.NewPCG(1, 2))
		x := make([]float64, n)
		for i := 800; i < n; i++ {
			t := float64(i) / 16000
			x[i] = 0.3*math.Sin(2*math.Pi*440*t) + 0.2*math.Sin(2*math.Pi*1250*t+0.3) + 0.02*rng.NormFloat64()
		}
		return quantize(x)
	}},
	// Narrow-band audio: two tones and noise at 8 kHz, fading in.
	{"tones8k", 8000, func() []int16 {
		const n = 2403
		rng := rand.New(rand.NewPCG(3, 4))
		x := make([]float64, n)
		for i := range x {
			t := float64(i) / 8000
			fade := math.Min(1, float64(i)/1200)
			x[i] = fade*(0.25*math.Sin(2*math.Pi*300*t)+0.25*math.Sin(2*math.Pi*2100*t)) + 0.01*rng.NormFloat64()
		}
		return quantize(x)
	}},
}

// quantize converts full-scale samples to int16, rounding and clipping.
func quantize(x []float64) []int16 {
	q := make([]int16, len(x))
	for i, v := range x {
		q[i] = int16(math.Max(-32768, math.Min(32767, math.Round(v*32768))))
	}
	return q
}

// toSignal returns samples/32768 as a Signal, the way a WAV reader maps
// 16-bit PCM to full scale.
func toSignal(q []int16, rate int) audio.Signal {
	s := make([]float32, len(q))
	for i, v := range q {
		s[i] = float32(v) / 32768
	}
	return audio.Signal{Samples: s, Rate: rate}
}

// encodeWAV returns a canonical 44-byte-header 16-bit mono PCM WAV.
func encodeWAV(q []int16, rate int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) } // bytes.Buffer writes cannot fail
	b.WriteString("RIFF")
	w(uint32(36 + 2*len(q)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(1)) // mono
	w(uint32(rate))
	w(uint32(2 * rate))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(2 * len(q)))
	w(q)
	return b.Bytes()
}

// decodeWAV reads what encodeWAV writes (and nothing else: the test WAVs
// only).
func decodeWAV(b []byte) ([]int16, int, error) {
	le := binary.LittleEndian
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" ||
		le.Uint16(b[20:]) != 1 || le.Uint16(b[22:]) != 1 || le.Uint16(b[34:]) != 16 {
		return nil, 0, errors.New("not a canonical 16-bit mono PCM WAV")
	}
	n := int(le.Uint32(b[40:]))
	if n%2 != 0 || 44+n > len(b) {
		return nil, 0, errors.New("bad data chunk size")
	}
	q := make([]int16, n/2)
	for i := range q {
		q[i] = int16(le.Uint16(b[44+2*i:]))
	}
	return q, int(le.Uint32(b[24:])), nil
}

// loadSignal reads testdata/<name>.wav.
func loadSignal(t testing.TB, name string) audio.Signal {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	q, rate, err := decodeWAV(b)
	if err != nil {
		t.Fatalf("%s.wav: %v", name, err)
	}
	return toSignal(q, rate)
}

// TestSignalsMatchTestdata checks that the generators still produce the
// committed WAVs the golden features were made from; -update rewrites
// them.
func TestSignalsMatchTestdata(t *testing.T) {
	for _, ts := range testSignals {
		t.Run(ts.name, func(t *testing.T) {
			want := encodeWAV(ts.gen(), ts.rate)
			path := filepath.Join("testdata", ts.name+".wav")
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from its generator (run with -update, then make_golden.py)", path)
			}
		})
	}
}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }
