package features

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoStats is returned when normalising with CMVN statistics of no
// frames.
var ErrNoStats = errors.New("features: CMVN statistics hold no frames")

// varianceFloor is Kaldi's floor on the variance in apply-cmvn.
const varianceFloor = 1e-20

// CMVN holds cepstral mean and variance normalisation statistics (Kaldi's
// cmvn stats): the number of frames and, per dimension, the sum and the
// sum of squares of the features, in float64. Accumulate over one
// utterance for per-utterance normalisation, or over many (a speaker, a
// training set) for global statistics, then Apply. The zero value is
// ready to use: its dimension is set by the first Accumulate. A CMVN is
// not safe for concurrent mutation; Merge combines statistics gathered
// in parallel.
type CMVN struct {
	Count float64
	Sum   []float64
	SumSq []float64
}

// NewCMVN returns empty statistics for dim-dimensional features.
func NewCMVN(dim int) *CMVN {
	return &CMVN{Sum: make([]float64, dim), SumSq: make([]float64, dim)}
}

// Dim returns the feature dimension (0 before the first Accumulate of a
// zero CMVN).
func (c *CMVN) Dim() int { return len(c.Sum) }

func (c *CMVN) fit(dim int) error {
	if c.Sum == nil && c.SumSq == nil && c.Count == 0 {
		c.Sum, c.SumSq = make([]float64, dim), make([]float64, dim)
	}
	if len(c.Sum) != dim || len(c.SumSq) != dim {
		return fmt.Errorf("features: CMVN of dimension %d given %d-dimensional features", len(c.Sum), dim)
	}
	return nil
}

// Accumulate adds the frames of feats to the statistics.
func (c *CMVN) Accumulate(feats Matrix) error {
	if err := feats.check("cmvn accumulate"); err != nil {
		return err
	}
	if err := c.fit(feats.Cols); err != nil {
		return err
	}
	for t := 0; t < feats.Rows; t++ {
		for d, v := range feats.Row(t) {
			x := float64(v)
			c.Sum[d] += x
			c.SumSq[d] += x * x
		}
	}
	c.Count += float64(feats.Rows)
	return nil
}

// Merge adds the statistics of o.
func (c *CMVN) Merge(o *CMVN) error {
	if len(o.Sum) != len(o.SumSq) {
		return fmt.Errorf("features: malformed CMVN statistics (%d sums, %d sums of squares)", len(o.Sum), len(o.SumSq))
	}
	if err := c.fit(len(o.Sum)); err != nil {
		return err
	}
	for d := range o.Sum {
		c.Sum[d] += o.Sum[d]
		c.SumSq[d] += o.SumSq[d]
	}
	c.Count += o.Count
	return nil
}

// Mean returns the per-dimension mean.
func (c *CMVN) Mean() []float64 {
	m := make([]float64, len(c.Sum))
	for d, s := range c.Sum {
		m[d] = s / c.Count
	}
	return m
}

// Apply normalises feats with the statistics, as Kaldi's apply-cmvn:
// x − mean, and with normVars (x − mean)/σ, σ² = E[x²] − mean² floored
// at 1e-20. The result is written into dst when its capacity suffices
// (see Matrix); dst may be feats itself. It returns ErrNoStats for empty
// statistics and an error for features of another dimension.
func (c *CMVN) Apply(dst, feats Matrix, normVars bool) (Matrix, error) {
	if err := feats.check("cmvn apply"); err != nil {
		return Matrix{}, err
	}
	if !(c.Count > 0) {
		return Matrix{}, ErrNoStats
	}
	if len(c.Sum) != feats.Cols || len(c.SumSq) != feats.Cols {
		return Matrix{}, fmt.Errorf("features: CMVN of dimension %d applied to %d-dimensional features", len(c.Sum), feats.Cols)
	}
	D := feats.Cols
	offset, scale := make([]float64, D), make([]float64, D)
	for d := 0; d < D; d++ {
		mean := c.Sum[d] / c.Count
		s := 1.0
		if normVars {
			v := c.SumSq[d]/c.Count - mean*mean
			s = 1 / math.Sqrt(math.Max(v, varianceFloor))
		}
		scale[d], offset[d] = s, -mean*s
	}
	out := reuse(dst, feats.Rows, D)
	for t := 0; t < feats.Rows; t++ {
		src, row := feats.Row(t), out.Row(t)
		for d, v := range src {
			row[d] = float32(float64(v)*scale[d] + offset[d])
		}
	}
	return out, nil
}

// NormalizeUtterance applies per-utterance CMVN to feats: statistics of
// feats alone, then Apply. An utterance with no frames is returned empty.
func NormalizeUtterance(dst, feats Matrix, normVars bool) (Matrix, error) {
	if err := feats.check("cmvn"); err != nil {
		return Matrix{}, err
	}
	if feats.Rows == 0 {
		return reuse(dst, 0, feats.Cols), nil
	}
	st := NewCMVN(feats.Cols)
	if err := st.Accumulate(feats); err != nil {
		return Matrix{}, err
	}
	return st.Apply(dst, feats, normVars)
}
