package nnlib

import (
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// xentK is softmax cross-entropy over integer targets with label
// smoothing. Inputs: logits (N,V), targets (N) float-encoded ids, where a
// negative id marks a padded position that is ignored. Output: (1) the
// mean loss over the counted positions.
type xentK[T Float] struct {
	n, v   int
	smooth float64
	probs  []T
}

func (k *xentK[T]) name() string { return "cross_entropy" }

func (k *xentK[T]) targets(in []*tensor.Dense) ([]int, int, error) {
	raw := data[T](in[1])
	ids := make([]int, len(raw))
	count := 0
	for i, f := range raw {
		id := int(f)
		if T(id) != f || id >= k.v {
			return nil, 0, fmt.Errorf("target %v at row %d outside [0,%d)", f, i, k.v)
		}
		if id < 0 {
			id = -1
		} else {
			count++
		}
		ids[i] = id
	}
	return ids, count, nil
}

func (k *xentK[T]) forward(in, out []*tensor.Dense) error {
	ids, count, err := k.targets(in)
	if err != nil {
		return err
	}
	x := data[T](in[0])
	if len(k.probs) != k.n*k.v {
		k.probs = make([]T, k.n*k.v)
	}
	V := k.v
	var total float64
	for i, id := range ids {
		if id < 0 {
			continue
		}
		row := x[i*V : (i+1)*V]
		p := k.probs[i*V : (i+1)*V]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum, sumx float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			p[j] = T(e)
			sum += e
			sumx += float64(v)
		}
		lse := float64(mx) + math.Log(sum)
		inv := T(1 / sum)
		for j := range p {
			p[j] *= inv
		}
		// loss = -(1-ε)·logp[y] - ε/V·Σ logp
		nll := lse - float64(row[id])
		uni := lse - sumx/float64(V)
		total += (1-k.smooth)*nll + k.smooth*uni
	}
	if count > 0 {
		total /= float64(count)
	}
	data[T](out[0])[0] = T(total)
	return nil
}

func (k *xentK[T]) backward(in, out, gout, gin []*tensor.Dense) error {
	ids, count, err := k.targets(in)
	if err != nil {
		return err
	}
	if count == 0 {
		return nil
	}
	gx := data[T](gin[0])
	scale := data[T](gout[0])[0] / T(count)
	V := k.v
	off := T(k.smooth / float64(V))
	for i, id := range ids {
		if id < 0 {
			continue
		}
		p := k.probs[i*V : (i+1)*V]
		g := gx[i*V : (i+1)*V]
		for j, v := range p {
			g[j] += scale * (v - off)
		}
		g[id] -= scale * T(1-k.smooth)
	}
	return nil
}

// CrossEntropy returns the mean softmax cross-entropy of logits (N,V)
// against integer targets (N) (float-encoded; a negative id marks padding
// and is not counted), as a scalar node. With smoothing ε > 0 the target
// distribution is (1−ε)·onehot + ε/V (label smoothing, Szegedy et al.
// 2016). The softmax is fused in, so the (N,V) one-hot matrix of the
// gorgonia idiom is never built.
func (g *Graph) CrossEntropy(logits, targets *Node, smoothing float64) *Node {
	if !g.ok(logits, targets) {
		return g.dead()
	}
	if len(logits.shape) != 2 {
		return g.fail(&ShapeError{Op: "cross entropy", Want: "logits (N, V)", Got: logits.shape})
	}
	N, V := logits.shape[0], logits.shape[1]
	if !slices.Equal(targets.shape, []int{N}) {
		return g.fail(&ShapeError{Op: "cross entropy", Want: fmt.Sprintf("targets (%d)", N), Got: targets.shape})
	}
	if smoothing < 0 || smoothing >= 1 {
		return g.fail(fmt.Errorf("nnlib: cross entropy: label smoothing %v outside [0,1)", smoothing))
	}
	k := pick(g, &xentK[float32]{n: N, v: V, smooth: smoothing}, &xentK[float64]{n: N, v: V, smooth: smoothing})
	l := g.apply(k, []bool{true, false}, [][]int{{1}}, logits, targets)[0]
	return g.Sum(l)
}
