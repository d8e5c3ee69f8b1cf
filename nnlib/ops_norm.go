package nnlib

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// layerNormK normalises the rows of x (N,D). Inputs: x, then gain (D) if
// gi >= 0 and bias (D) if bi >= 0. Output: y like x.
type layerNormK[T Float] struct {
	n, d   int
	eps    float64
	gi, bi int // input index of gain and bias, -1 when absent
	xhat   []T // (N,D), from forward, reused across runs
	rstd   []T // (N): 1/sqrt(var+eps)
}

func (k *layerNormK[T]) name() string { return "layer_norm" }

func (k *layerNormK[T]) forward(in, out []*tensor.Dense) error {
	x, y := data[T](in[0]), data[T](out[0])
	D := k.d
	if len(k.xhat) != k.n*D {
		k.xhat = make([]T, k.n*D)
		k.rstd = make([]T, k.n)
	}
	var gain, bias []T
	if k.gi >= 0 {
		gain = data[T](in[k.gi])
	}
	if k.bi >= 0 {
		bias = data[T](in[k.bi])
	}
	for r := 0; r < k.n; r++ {
		xr, hr, yr := x[r*D:(r+1)*D], k.xhat[r*D:(r+1)*D], y[r*D:(r+1)*D]
		// Two passes in float64: mean, then the centred variance.
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		mu := s / float64(D)
		var ss float64
		for _, v := range xr {
			d := float64(v) - mu
			ss += d * d
		}
		rs := 1 / math.Sqrt(ss/float64(D)+k.eps)
		k.rstd[r] = T(rs)
		for j, v := range xr {
			h := T((float64(v) - mu) * rs)
			hr[j] = h
			if gain != nil {
				h *= gain[j]
			}
			if bias != nil {
				h += bias[j]
			}
			yr[j] = h
		}
	}
	return nil
}

func (k *layerNormK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	gy := data[T](gout[0])
	D := k.d
	var gain, ggain, gbias []T
	if k.gi >= 0 {
		gain, ggain = data[T](in[k.gi]), data[T](gin[k.gi])
	}
	if k.bi >= 0 {
		gbias = data[T](gin[k.bi])
	}
	gx := data[T](gin[0])
	for r := 0; r < k.n; r++ {
		gr, hr := gy[r*D:(r+1)*D], k.xhat[r*D:(r+1)*D]
		if ggain != nil {
			for j, v := range gr {
				ggain[j] += v * hr[j]
			}
		}
		if gbias != nil {
			for j, v := range gr {
				gbias[j] += v
			}
		}
		if gx == nil {
			continue
		}
		// With ĝ = gy⊙gain: gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)).
		var m1, m2 float64
		for j, v := range gr {
			gh := float64(v)
			if gain != nil {
				gh *= float64(gain[j])
			}
			m1 += gh
			m2 += gh * float64(hr[j])
		}
		m1 /= float64(D)
		m2 /= float64(D)
		rs := float64(k.rstd[r])
		gxr := gx[r*D : (r+1)*D]
		for j, v := range gr {
			gh := float64(v)
			if gain != nil {
				gh *= float64(gain[j])
			}
			gxr[j] += T(rs * (gh - m1 - float64(hr[j])*m2))
		}
	}
	return nil
}

// LayerNorm normalises x (..., D) over its last axis (Ba et al. 2016,
// "Layer Normalization"):
//
//	y = (x − mean(x)) / sqrt(var(x) + eps) ⊙ gain + bias
//
// with the biased variance, as PyTorch's LayerNorm. gain and bias are (D);
// either may be nil (gain 1, bias 0). The result has x's shape. eps must
// be non-negative; PyTorch's default is 1e-5. A shape mismatch or a bad
// eps is a build error.
func (g *Graph) LayerNorm(x, gain, bias *Node, eps float64) *Node {
	if !g.ok(x, gain, bias) {
		return g.dead()
	}
	if x == nil {
		return g.fail(fmt.Errorf("nnlib: layer norm: nil input"))
	}
	if !(eps >= 0) || math.IsInf(eps, 1) {
		return g.fail(fmt.Errorf("nnlib: layer norm: eps %v must be finite and non-negative", eps))
	}
	if len(x.shape) == 0 {
		return g.fail(&ShapeError{Op: "layer norm", Want: "x (..., D)", Got: x.shape})
	}
	D := x.shape[len(x.shape)-1]
	ins := []*Node{x}
	diff := []bool{true}
	gi, bi := -1, -1
	for _, p := range []struct {
		n    *Node
		idx  *int
		what string
	}{{gain, &gi, "layer norm gain"}, {bias, &bi, "layer norm bias"}} {
		if p.n == nil {
			continue
		}
		if len(p.n.shape) != 1 || p.n.shape[0] != D {
			return g.fail(&ShapeError{Op: p.what, Want: fmt.Sprintf("(%d)", D), Got: p.n.shape})
		}
		*p.idx = len(ins)
		ins = append(ins, p.n)
		diff = append(diff, true)
	}
	n := prod(x.shape) / D
	k := pick(g,
		&layerNormK[float32]{n: n, d: D, eps: eps, gi: gi, bi: bi},
		&layerNormK[float64]{n: n, d: D, eps: eps, gi: gi, bi: bi})
	return g.apply(k, diff, [][]int{append([]int(nil), x.shape...)}, ins...)[0]
}
