package nnlib

import (
	"math"
	"unsafe"
)

// f32s views a []T as []float32; call only when T is float32.
func f32s[T Float](x []T) []float32 {
	if x == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// tanhRow sets u[j] = tanh(a[j] + b[j] (+ c[j] when c is not nil)) and
// returns Σ_j v[j]·u[j]: the energy of one additive-attention score. The
// float32 path uses the vector tanh (tanhInPlace32).
func tanhRow[T Float](a, b, c, u, v []T) T {
	if unsafe.Sizeof(a[0]) == 4 {
		return T(tanhRow32(f32s(a), f32s(b), f32s(c), f32s(u), f32s(v)))
	}
	var dot T
	for j := range u {
		s := a[j] + b[j]
		if c != nil {
			s += c[j]
		}
		x := T(math.Tanh(float64(s)))
		u[j] = x
		dot += v[j] * x
	}
	return dot
}

func tanhRow32(a, b, c, u, v []float32) float32 {
	n := len(u)
	a, b, v = a[:n], b[:n], v[:n]
	if c != nil {
		c = c[:n]
		for j := range u {
			u[j] = a[j] + b[j] + c[j]
		}
	} else {
		for j := range u {
			u[j] = a[j] + b[j]
		}
	}
	tanhInPlace32(u, 1, 1, 0)
	// four accumulators, so the additions do not wait on each other
	var d0, d1, d2, d3 float32
	j := 0
	for ; j+4 <= n; j += 4 {
		d0 += v[j] * u[j]
		d1 += v[j+1] * u[j+1]
		d2 += v[j+2] * u[j+2]
		d3 += v[j+3] * u[j+3]
	}
	for ; j < n; j++ {
		d0 += v[j] * u[j]
	}
	return (d0 + d1) + (d2 + d3)
}

// tanhInPlace32 sets x[j] = mul·tanh32(scale·x[j]) + add (which gives the
// logistic function as ½·tanh(x/2) + ½). On amd64 with AVX2 and FMA an
// assembly kernel does eight elements at a time (activ_amd64.s; build tag
// purego turns it off); tanh32 does the rest.
func tanhInPlace32(x []float32, scale, mul, add float32) {
	k := [16]float32{scale, mul, add, 7.90531110763549805, -7.90531110763549805,
		-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
		1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03,
		1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03}
	done := tanhVec32(x, &k) // AVX2 + FMA where the processor has them
	x = x[done:]
	for j, v := range x {
		x[j] = mul*tanh32(scale*v) + add
	}
}

// lstmGates32 applies the LSTM nonlinearities to one row of gate
// pre-activations z = [i f g o] (4H) in place and updates the cell and
// hidden state: c = f⊙c + i⊙g, tc = tanh(c), h = o⊙tc, copied to hOut.
func lstmGates32(z, c, h, hOut, tc []float32, H int) {
	tanhInPlace32(z[:2*H], 0.5, 0.5, 0.5) // i, f: σ(x) = ½·tanh(x/2) + ½
	tanhInPlace32(z[2*H:3*H], 1, 1, 0)    // g
	tanhInPlace32(z[3*H:4*H], 0.5, 0.5, 0.5)
	zi, zf, zg := z[:H], z[H:2*H], z[2*H:3*H]
	c, tc = c[:H], tc[:H]
	for j := range c {
		c[j] = zf[j]*c[j] + zi[j]*zg[j]
		tc[j] = c[j]
	}
	tanhInPlace32(tc, 1, 1, 0)
	zo := z[3*H : 4*H]
	h = h[:H]
	for j := range h {
		h[j] = zo[j] * tc[j]
	}
	copy(hOut[:H], h)
}
