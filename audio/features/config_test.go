package features

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPresets(t *testing.T) {
	k, ta := Kaldi(), Torchaudio()
	for _, c := range []Config{k, ta, DefaultConfig()} {
		if err := c.Validate(); err != nil {
			t.Fatalf("preset does not validate: %v", err)
		}
	}
	if DefaultConfig() != k {
		t.Errorf("DefaultConfig() != Kaldi()")
	}
	// Kaldi's defaults (feature-window.h FrameExtractionOptions,
	// feature-mfcc.h MfccOptions): dither 1, energy floor 0, MFCC energy.
	if k.Dither != 1 || k.EnergyFloor != 0 || !k.MFCC.UseEnergy || k.UseEnergy {
		t.Errorf("Kaldi() = %+v", k)
	}
	// torchaudio.compliance.kaldi 0.13 defaults: dither 0.0,
	// energy_floor 1.0, use_energy False (fbank and mfcc).
	if ta.Dither != 0 || ta.EnergyFloor != 1 || ta.MFCC.UseEnergy || ta.UseEnergy {
		t.Errorf("Torchaudio() = %+v", ta)
	}
	// Shared: 25/10 ms povey frames, snip-edges, 0.97, 23 bins from 20 Hz,
	// 13 ceps, lifter 22, round to a power of two, raw energy, DC removal.
	for _, c := range []Config{k, ta} {
		if c.FrameLength != 25*time.Millisecond || c.FrameShift != 10*time.Millisecond || !c.SnipEdges ||
			c.Preemphasis != 0.97 || c.Window != Povey || c.MelBins != 23 || c.LowFreq != 20 || c.HighFreq != 0 ||
			c.MFCC.NumCeps != 13 || c.MFCC.Lifter != 22 || !c.RoundToPowerOfTwo || !c.RawEnergy || !c.RemoveDCOffset ||
			!c.UsePower || c.Scale != 32768 || c.BlackmanCoeff != 0.42 || c.HTKCompat {
			t.Errorf("preset %+v differs from the shared Kaldi defaults", c)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"zero_rate", func(c *Config) { c.SampleRate = 0 }},
		{"negative_rate", func(c *Config) { c.SampleRate = -16000 }},
		{"zero_frame_length", func(c *Config) { c.FrameLength = 0 }},
		{"long_frame", func(c *Config) { c.FrameLength = 2 * time.Second }},
		{"zero_shift", func(c *Config) { c.FrameShift = 0 }},
		{"one_sample_frame", func(c *Config) { c.SampleRate = 40 }}, // 25 ms at 40 Hz: 1 sample
		{"sub_sample_shift", func(c *Config) { c.FrameShift = 50 * time.Microsecond }},
		{"odd_fft", func(c *Config) { c.RoundToPowerOfTwo = false; c.SampleRate = 8040 }}, // 201 samples
		{"zero_scale", func(c *Config) { c.Scale = 0 }},
		{"negative_dither", func(c *Config) { c.Dither = -1 }},
		{"nan_dither", func(c *Config) { c.Dither = nan() }},
		{"preemphasis_above_1", func(c *Config) { c.Preemphasis = 1.5 }},
		{"negative_preemphasis", func(c *Config) { c.Preemphasis = -0.1 }},
		{"unknown_window", func(c *Config) { c.Window = Window(42) }},
		{"nan_blackman", func(c *Config) { c.BlackmanCoeff = nan() }},
		{"negative_energy_floor", func(c *Config) { c.EnergyFloor = -1 }},
		{"two_mel_bins", func(c *Config) { c.MelBins = 2 }},
		{"low_above_nyquist", func(c *Config) { c.LowFreq = 8000 }},
		{"negative_low", func(c *Config) { c.LowFreq = -1 }},
		{"high_above_nyquist", func(c *Config) { c.HighFreq = 8001 }},
		{"high_offset_below_low", func(c *Config) { c.HighFreq = -7990 }},
		{"low_above_high", func(c *Config) { c.LowFreq = 4000; c.HighFreq = 3000 }},
		{"inf_high", func(c *Config) { c.HighFreq = inf() }},
		{"zero_ceps", func(c *Config) { c.MFCC.NumCeps = 0 }},
		{"more_ceps_than_bins", func(c *Config) { c.MFCC.NumCeps = 24 }},
		{"negative_lifter", func(c *Config) { c.MFCC.Lifter = -22 }},
		// Kaldi's MelBanks: "Too many mel bins" when a bin holds no FFT bin.
		{"empty_mel_bin", func(c *Config) { c.SampleRate = 8000; c.MelBins = 128 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Kaldi()
			tc.mod(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
			t.Log(err)
			if _, err := New(c); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New() = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestWindowNames(t *testing.T) {
	for w := Povey; w <= Rectangular; w++ {
		got, err := ParseWindow(w.String())
		if err != nil || got != w {
			t.Errorf("ParseWindow(%q) = %v, %v", w.String(), got, err)
		}
	}
	if w, err := ParseWindow("Hamming"); err != nil || w != Hamming {
		t.Errorf("ParseWindow is case-sensitive: %v, %v", w, err)
	}
	if _, err := ParseWindow("hann"); err == nil {
		t.Errorf("ParseWindow(hann): no error")
	}
	if s := Window(9).String(); s != "Window(9)" {
		t.Errorf("Window(9).String() = %q", s)
	}
	if _, err := Window(9).MarshalText(); err == nil {
		t.Errorf("MarshalText of an unknown window: no error")
	}
}

// TestConfigJSON checks that a config survives JSON, with the window by
// name, as it is saved next to model weights.
func TestConfigJSON(t *testing.T) {
	c := Kaldi()
	c.Window = Blackman
	c.SnipEdges = false
	c.MFCC.NumCeps = 20
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Window":"blackman"`) {
		t.Errorf("JSON %s does not name the window", b)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Fatalf("round trip: %+v, want %+v", back, c)
	}
	if err := json.Unmarshal([]byte(`{"Window":"welch"}`), &back); err == nil {
		t.Fatalf("unknown window name accepted")
	}
}
