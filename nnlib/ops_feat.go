package nnlib

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// Kernels for feature extraction (audio/features runs its matrix steps,
// filterbank and DCT products, on nnlib graphs).

// ------------------------------------------------------------------ Log

// logK is y = log(max(x, floor)) element-wise. Its gradient is 1/x where
// x > floor and 0 where the floor applies.
type logK[T Float] struct {
	n     int
	floor float64
}

func (k *logK[T]) name() string { return "log" }

func (k *logK[T]) forward(in, out []*tensor.Dense) error {
	x, y := data[T](in[0]), data[T](out[0])
	for i, v := range x {
		f := float64(v)
		if f <= k.floor { // false for NaN, which stays NaN
			f = k.floor
		}
		y[i] = T(math.Log(f))
	}
	return nil
}

func (k *logK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	x, gy, gx := data[T](in[0]), data[T](gout[0]), data[T](gin[0])
	if gx == nil {
		return nil
	}
	for i, v := range x {
		if float64(v) > k.floor {
			gx[i] += gy[i] / v
		}
	}
	return nil
}

// Log returns log(max(x, floor)) element-wise, x of any shape: the floored
// logarithm of filterbank energies (Kaldi floors them at the float32
// machine epsilon, 1.1920929e-07, before the log). The gradient is 1/x
// where x > floor and 0 where the floor applies; NaN inputs stay NaN.
// floor must be positive and finite; otherwise it is a build error.
func (g *Graph) Log(x *Node, floor float64) *Node {
	if !g.ok(x) {
		return g.dead()
	}
	if x == nil {
		return g.fail(fmt.Errorf("nnlib: log: nil input"))
	}
	if !(floor > 0) || math.IsInf(floor, 1) {
		return g.fail(fmt.Errorf("nnlib: log: floor %v must be positive and finite", floor))
	}
	n := prod(x.shape)
	k := pick(g, &logK[float32]{n: n, floor: floor}, &logK[float64]{n: n, floor: floor})
	return g.apply(k, []bool{true}, [][]int{append([]int(nil), x.shape...)}, x)[0]
}

// ----------------------------------------------------------- BandLinear

// bandLinearK is y = x·w for w (in, out) restricted to a band: column j
// only has rows lo[j] ≤ i < hi[j]. Forward packs each column's band
// contiguously (w may change between runs) and takes one dot product per
// output, accumulated in float64.
type bandLinearK[T Float] struct {
	n, in, out int
	lo, hi     []int
	off        []int // start of column j's band in wb; off[out] = total
	wb         []T   // packed band weights
}

func (k *bandLinearK[T]) name() string { return "band_linear" }

func (k *bandLinearK[T]) pack(w []T) {
	for j := 0; j < k.out; j++ {
		band := k.wb[k.off[j]:k.off[j+1]]
		for i := range band {
			band[i] = w[(k.lo[j]+i)*k.out+j]
		}
	}
}

func (k *bandLinearK[T]) forward(in, out []*tensor.Dense) error {
	x, y := data[T](in[0]), data[T](out[0])
	k.pack(data[T](in[1]))
	for r := 0; r < k.n; r++ {
		xr, yr := x[r*k.in:(r+1)*k.in], y[r*k.out:(r+1)*k.out]
		for j := range yr {
			band, xs := k.wb[k.off[j]:k.off[j+1]], xr[k.lo[j]:k.hi[j]]
			var s float64
			for i, v := range band {
				s += float64(v) * float64(xs[i])
			}
			yr[j] = T(s)
		}
	}
	return nil
}

func (k *bandLinearK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	x, gy := data[T](in[0]), data[T](gout[0])
	gx, gw := data[T](gin[0]), data[T](gin[1])
	k.pack(data[T](in[1]))
	for r := 0; r < k.n; r++ {
		xr, gyr := x[r*k.in:(r+1)*k.in], gy[r*k.out:(r+1)*k.out]
		for j, g := range gyr {
			if g == 0 {
				continue
			}
			lo, band := k.lo[j], k.wb[k.off[j]:k.off[j+1]]
			if gx != nil {
				gxr := gx[r*k.in+lo : r*k.in+k.hi[j]]
				for i, v := range band {
					gxr[i] += g * v
				}
			}
			if gw != nil {
				for i := range band {
					gw[(lo+i)*k.out+j] += g * xr[lo+i]
				}
			}
		}
	}
	return nil
}

// BandLinear returns x·w over the last axis of x, as Linear without a
// bias, for a weight matrix w (in, out) that is zero outside a band:
// column j is read only in rows lo[j] ≤ i < hi[j]; its values outside
// are ignored (taken as 0) and get no gradient. A row then costs
// Σ_j (hi[j]−lo[j]) multiply-adds instead of in·out: a mel filterbank
// (each FFT bin in at most two triangles) needs about 2·in instead of
// in·out (80 bins: 40× fewer). Sums are accumulated in float64. x is
// (..., in); the result is (..., out). Bands that do not fit w are a
// build error.
func (g *Graph) BandLinear(x, w *Node, lo, hi []int) *Node {
	if !g.ok(x, w) {
		return g.dead()
	}
	if x == nil || w == nil {
		return g.fail(fmt.Errorf("nnlib: band linear: nil input"))
	}
	if len(w.shape) != 2 || len(x.shape) == 0 || x.shape[len(x.shape)-1] != w.shape[0] {
		return g.fail(&ShapeError{Op: "band linear", Want: fmt.Sprintf("x (..., %d) for w %v", firstDim(w.shape), w.shape), Got: x.shape})
	}
	in, out := w.shape[0], w.shape[1]
	if len(lo) != out || len(hi) != out {
		return g.fail(fmt.Errorf("nnlib: band linear: %d and %d band limits for %d columns", len(lo), len(hi), out))
	}
	off := make([]int, out+1)
	for j := range lo {
		if lo[j] < 0 || lo[j] > hi[j] || hi[j] > in {
			return g.fail(fmt.Errorf("nnlib: band linear: column %d band [%d, %d) outside [0, %d)", j, lo[j], hi[j], in))
		}
		off[j+1] = off[j] + hi[j] - lo[j]
	}
	n := prod(x.shape) / in
	lo, hi = append([]int(nil), lo...), append([]int(nil), hi...)
	oshape := append(append([]int(nil), x.shape[:len(x.shape)-1]...), out)
	k := pick(g,
		&bandLinearK[float32]{n: n, in: in, out: out, lo: lo, hi: hi, off: off, wb: make([]float32, off[out])},
		&bandLinearK[float64]{n: n, in: in, out: out, lo: lo, hi: hi, off: off, wb: make([]float64, off[out])})
	return g.apply(k, []bool{true, true}, [][]int{oshape}, x, w)[0]
}
