package checkpoint

import "math"

// f16FromFloat64 converts x to IEEE 754 binary16 bits, rounding to nearest
// with ties to even. Magnitudes that round beyond the largest half (65504)
// become ±Inf, magnitudes below half the smallest subnormal (2^-25) become
// ±0, NaNs stay NaN (quiet, with the top payload bits kept). Converting
// from float64 directly (rather than via float32) avoids double rounding;
// a float32 argument converts to float64 exactly.
func f16FromFloat64(x float64) uint16 {
	b := math.Float64bits(x)
	sign := uint16(b>>48) & 0x8000
	exp := int(b>>52) & 0x7ff
	mant := b & (1<<52 - 1)
	if exp == 0x7ff { // Inf or NaN
		if mant == 0 {
			return sign | 0x7c00
		}
		return sign | 0x7e00 | uint16(mant>>42)
	}
	e := exp - 1023 // unbiased exponent (float64 subnormals are far below half's range)
	if e >= -14 {
		// Normal half: keep 10 of 52 mantissa bits.
		m := mant >> 42
		rem := mant & (1<<42 - 1)
		if rem > 1<<41 || (rem == 1<<41 && m&1 == 1) {
			m++
		}
		h := uint64(e+15)<<10 + m // a mantissa carry bumps the exponent
		if h >= 0x7c00 {
			return sign | 0x7c00 // overflow
		}
		return sign | uint16(h)
	}
	// Subnormal half: value in units of 2^-24 is sig·2^(e-52+24).
	shift := uint(28 - e) // e ≤ -15, so shift ≥ 43
	if shift > 53 {
		return sign // below half the smallest subnormal (also ±0)
	}
	sig := mant | 1<<52
	m := sig >> shift
	rem := sig & (1<<shift - 1)
	half := uint64(1) << (shift - 1)
	if rem > half || (rem == half && m&1 == 1) {
		m++ // may carry into the smallest normal, 0x0400, which is right
	}
	return sign | uint16(m)
}

// f16ToFloat32 converts IEEE 754 binary16 bits to float32 (exactly).
func f16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		f := float32(mant) * (1.0 / (1 << 24)) // ±0 and subnormals, exact
		return math.Float32frombits(math.Float32bits(f) | sign)
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13) // Inf, NaN
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// bf16ToFloat32 converts bfloat16 bits (the top half of a float32) to float32.
func bf16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }
