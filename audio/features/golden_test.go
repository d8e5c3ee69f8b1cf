package features

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-ai/parley/audio"
)

// goldenCase is one entry of testdata/cases.json: a torchaudio call and
// the test signals it was run on (by testdata/make_golden.py).
type goldenCase struct {
	Name    string         `json:"name"`
	Func    string         `json:"func"` // fbank, mfcc or spectrogram
	Signals []string       `json:"signals"`
	Args    map[string]any `json:"args"`
}

func loadCases(t *testing.T) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// kaldiConfig maps torchaudio.compliance.kaldi keyword arguments (Kaldi's
// option names) onto the Torchaudio() preset, as make_golden.py passes
// them on top of torchaudio's defaults. use_energy is MFCC.UseEnergy for
// mfcc and UseEnergy otherwise, as in the two Kaldi binaries.
func kaldiConfig(fn string, rate int, args map[string]any) (Config, error) {
	c := Torchaudio()
	c.SampleRate = rate
	ms := func(v float64) time.Duration { return time.Duration(math.Round(v * float64(time.Millisecond))) }
	for k, v := range args {
		f, isNum := v.(float64)
		b, isBool := v.(bool)
		s, isStr := v.(string)
		ok := true
		switch k {
		case "num_mel_bins":
			c.MelBins, ok = int(f), isNum
		case "num_ceps":
			c.MFCC.NumCeps, ok = int(f), isNum
		case "cepstral_lifter":
			c.MFCC.Lifter, ok = f, isNum
		case "energy_floor":
			c.EnergyFloor, ok = f, isNum
		case "low_freq":
			c.LowFreq, ok = f, isNum
		case "high_freq":
			c.HighFreq, ok = f, isNum
		case "blackman_coeff":
			c.BlackmanCoeff, ok = f, isNum
		case "preemphasis_coefficient":
			c.Preemphasis, ok = f, isNum
		case "frame_length":
			c.FrameLength, ok = ms(f), isNum
		case "frame_shift":
			c.FrameShift, ok = ms(f), isNum
		case "dither":
			c.Dither, ok = f, isNum
		case "snip_edges":
			c.SnipEdges, ok = b, isBool
		case "raw_energy":
			c.RawEnergy, ok = b, isBool
		case "use_power":
			c.UsePower, ok = b, isBool
		case "remove_dc_offset":
			c.RemoveDCOffset, ok = b, isBool
		case "round_to_power_of_two":
			c.RoundToPowerOfTwo, ok = b, isBool
		case "htk_compat":
			c.HTKCompat, ok = b, isBool
		case "use_energy":
			if fn == "mfcc" {
				c.MFCC.UseEnergy, ok = b, isBool
			} else {
				c.UseEnergy, ok = b, isBool
			}
		case "window_type":
			if !isStr {
				return c, fmt.Errorf("window_type %v", v)
			}
			w, err := ParseWindow(s)
			if err != nil {
				return c, err
			}
			c.Window = w
		default:
			return c, fmt.Errorf("unmapped option %s", k)
		}
		if !ok {
			return c, fmt.Errorf("option %s: bad value %v", k, v)
		}
	}
	return c, nil
}

// compute runs the case's feature function.
func compute(e *Extractor, fn string, sig audio.Signal) (Matrix, error) {
	switch fn {
	case "fbank":
		return e.Fbank(Matrix{}, sig)
	case "mfcc":
		return e.MFCC(Matrix{}, sig)
	case "spectrogram":
		return e.Spectrogram(Matrix{}, sig)
	}
	return Matrix{}, fmt.Errorf("unknown function %q", fn)
}

// maxAbsDiff returns the largest |a−b| (a and b of equal size).
func maxAbsDiff(a, b []float32) float64 {
	var worst float64
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if !(d <= worst) { // NaN counts as the worst
			worst = d
		}
	}
	return worst
}

// TestGolden compares every case of testdata/cases.json with the
// features torchaudio.compliance.kaldi 0.13.1 computed (in float64) from
// the same samples (testdata/make_golden.py): log-mel energies, MFCCs and
// log spectra must agree within 1e-3 absolute.
func TestGolden(t *testing.T) {
	const tol = 1e-3
	for _, gc := range loadCases(t) {
		for _, name := range gc.Signals {
			t.Run(gc.Name+"/"+name, func(t *testing.T) {
				sig := loadSignal(t, name)
				cfg, err := kaldiConfig(gc.Func, sig.Rate, gc.Args)
				if err != nil {
					t.Fatal(err)
				}
				e, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				got, err := compute(e, gc.Func, sig)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ReadNPYFile(filepath.Join("testdata", "TestGolden", gc.Name+"_"+name+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				if got.Rows != want.Rows || got.Cols != want.Cols {
					t.Fatalf("shape %d×%d, torchaudio %d×%d", got.Rows, got.Cols, want.Rows, want.Cols)
				}
				d := maxAbsDiff(got.Data, want.Data)
				t.Logf("max abs error vs torchaudio: %.3g", d)
				if !(d <= tol) {
					for r := 0; r < got.Rows; r++ {
						if e := maxAbsDiff(got.Row(r), want.Row(r)); !(e <= tol) {
							t.Errorf("frame %d: max abs error %.3g\n got %v\nwant %v", r, e, got.Row(r), want.Row(r))
							break
						}
					}
					t.Fatalf("max abs error %.3g > %g", d, tol)
				}
			})
		}
	}
}
