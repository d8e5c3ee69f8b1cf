package checkpoint

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestF16FromFloat64(t *testing.T) {
	cases := []struct {
		name string
		x    float64
		want uint16
	}{
		// IEEE 754 binary16: sign, 5 exponent bits (bias 15), 10 mantissa bits.
		{"one", 1, 0x3c00},
		{"minus_two", -2, 0xc000},
		{"zero", 0, 0x0000},
		{"minus_zero", math.Copysign(0, -1), 0x8000},
		{"max", 65504, 0x7bff},
		{"below_overflow_tie", 65519.99, 0x7bff},
		{"overflow_tie_to_inf", 65520, 0x7c00}, // half way to 65536 rounds to even, 2^16 = Inf
		{"overflow", 1e6, 0x7c00},
		{"minus_overflow", -1e300, 0xfc00},
		{"inf", math.Inf(1), 0x7c00},
		{"minus_inf", math.Inf(-1), 0xfc00},
		{"smallest_normal", 0x1p-14, 0x0400},
		{"largest_subnormal", 1023 * 0x1p-24, 0x03ff},
		{"subnormal_rounds_to_normal", 1023.5 * 0x1p-24, 0x0400}, // tie, 1023 odd → 1024
		{"smallest_subnormal", 0x1p-24, 0x0001},
		{"half_smallest_subnormal_tie_to_zero", 0x1p-25, 0x0000},
		{"above_half_smallest_subnormal", 0x1.000001p-25, 0x0001},
		{"subnormal_tie_to_even", 1.5 * 0x1p-24, 0x0002},
		{"subnormal_tie_to_even_down", 2.5 * 0x1p-24, 0x0002},
		{"tiny", 1e-30, 0x0000},
		{"minus_tiny", -1e-30, 0x8000},
		{"float64_subnormal", 5e-324, 0x0000},
		{"tie_to_even_down", 1 + 0x1p-11, 0x3c00},     // between 0x3c00 and 0x3c01
		{"tie_to_even_up", 1 + 3*0x1p-11, 0x3c02},     // between 0x3c01 and 0x3c02
		{"above_tie", 1 + 0x1.0000000001p-11, 0x3c01}, // just above a tie
		{"one_third", 1.0 / 3, 0x3555},
		{"point_one", 0.1, 0x2e66},
		{"pi", math.Pi, 0x4248},
		{"mantissa_carry", 2047.9, 0x6800}, // rounds up to 2048, exponent bumps
	}
	for _, c := range cases {
		if got := f16FromFloat64(c.x); got != c.want {
			t.Errorf("%s: f16(%g) = %#04x, want %#04x", c.name, c.x, got, c.want)
		}
	}
	for _, x := range []float64{math.NaN(), -math.NaN()} {
		h := f16FromFloat64(x)
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
			t.Errorf("f16(NaN) = %#04x, not a NaN", h)
		}
	}
}

func TestF16ToFloat32(t *testing.T) {
	cases := map[uint16]float32{
		0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0400: 0x1p-14, 0x0001: 0x1p-24,
		0x03ff: 1023 * 0x1p-24, 0x3555: 0.333251953125, 0x0000: 0,
	}
	for h, want := range cases {
		if got := f16ToFloat32(h); got != want {
			t.Errorf("f32(%#04x) = %g, want %g", h, got, want)
		}
	}
	if got := f16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("f32(0x8000) = %g, want -0", got)
	}
	if got := f16ToFloat32(0xfc00); !math.IsInf(float64(got), -1) {
		t.Errorf("f32(0xfc00) = %g, want -Inf", got)
	}
	if got := f16ToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("f32(0x7e00) = %g, want NaN", got)
	}
	if got := bf16ToFloat32(0x3f80); got != 1 {
		t.Errorf("bf16 0x3f80 = %g, want 1", got)
	}
}

// TestF16RoundTripAll converts every half value to float32 and back.
func TestF16RoundTripAll(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := f16ToFloat32(h)
		back := f16FromFloat64(float64(f))
		if math.IsNaN(float64(f)) {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Errorf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != h {
			t.Errorf("%#04x → %g → %#04x", h, f, back)
		}
	}
}

// TestF16Nearest checks on random float32 values that the result is the
// nearest half, ties to even, by comparing with its neighbours.
func TestF16Nearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		// Exponents from deep subnormal to beyond the half range.
		x := float32((rng.Float64()*2 - 1) * math.Ldexp(1, rng.IntN(46)-30))
		h := f16FromFloat64(float64(x))
		got := float64(f16ToFloat32(h))
		if math.IsInf(got, 0) {
			if math.Abs(float64(x)) < 65520 {
				t.Fatalf("f16(%g) = Inf, want finite", x)
			}
			continue
		}
		d := math.Abs(float64(x) - got)
		for _, nb := range []uint16{h - 1, h + 1} {
			if nb&0x7fff >= 0x7c00 || (nb^h)&0x8000 != 0 {
				continue // past Inf or across the sign
			}
			nd := math.Abs(float64(x) - float64(f16ToFloat32(nb)))
			if nd < d || (nd == d && h&1 == 1) {
				t.Fatalf("f16(%g) = %#04x (%g), neighbour %#04x is nearer or even", x, h, got, nb)
			}
		}
	}
}
