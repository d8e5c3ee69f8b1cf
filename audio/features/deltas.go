package features

import (
	"fmt"
)

// DeltaConfig sets the dynamic features of Deltas (Kaldi's compute-deltas
// options --delta-order and --delta-window).
type DeltaConfig struct {
	// Order is the highest derivative appended: 1 for deltas, 2 (Kaldi's
	// default) for deltas and delta-deltas.
	Order int
	// Window is the half-width N of the regression window (Kaldi 2).
	Window int
}

// DefaultDeltaConfig returns Kaldi's defaults: order 2, window 2.
func DefaultDeltaConfig() DeltaConfig { return DeltaConfig{Order: 2, Window: 2} }

// Validate reports an order outside [0, 10) or a window outside [1, 100).
func (c DeltaConfig) Validate() error {
	if c.Order < 0 || c.Order >= 10 {
		return fmt.Errorf("%w: delta Order %d outside [0, 10)", ErrInvalidConfig, c.Order)
	}
	if c.Window < 1 || c.Window >= 100 {
		return fmt.Errorf("%w: delta Window %d outside [1, 100)", ErrInvalidConfig, c.Window)
	}
	return nil
}

// deltaScales returns Kaldi's DeltaFeatures scales: scales[0] = [1], and
// scales[i] is scales[i−1] convolved with [−N..N]/Σj², Σ over j = −N..N.
func deltaScales(c DeltaConfig) [][]float64 {
	scales := make([][]float64, c.Order+1)
	scales[0] = []float64{1}
	var norm float64
	for j := -c.Window; j <= c.Window; j++ {
		norm += float64(j * j)
	}
	for i := 1; i <= c.Order; i++ {
		prev := scales[i-1]
		po := (len(prev) - 1) / 2
		co := po + c.Window
		cur := make([]float64, len(prev)+2*c.Window)
		for j := -c.Window; j <= c.Window; j++ {
			for k := -po; k <= po; k++ {
				cur[j+k+co] += float64(j) * prev[k+po]
			}
		}
		for j := range cur {
			cur[j] /= norm
		}
		scales[i] = cur
	}
	return scales
}

// Deltas appends dynamic features to feats, as Kaldi's compute-deltas:
// the result has feats.Cols·(Order+1) columns, the features themselves
// first, then for each order i the regression
//
//	Δ^i x_t = Σ_j s_i[j]·x_{t+j},  s_1[j] = j / Σ_{k=−N..N} k²,  s_i = s_{i−1} ∗ s_1,
//
// with frames before the first or past the last read as the first or last
// (so for N = 2 the delta of x_t = t is 1 away from the edges, and the
// delta-delta of x_t = t² is 2). The result is written into dst when its
// capacity suffices (see Matrix); dst must not share storage with feats.
func Deltas(dst, feats Matrix, cfg DeltaConfig) (Matrix, error) {
	if err := cfg.Validate(); err != nil {
		return Matrix{}, err
	}
	if err := feats.check("deltas"); err != nil {
		return Matrix{}, err
	}
	T, D := feats.Rows, feats.Cols
	out := reuse(dst, T, D*(cfg.Order+1))
	scales := deltaScales(cfg)
	acc := make([]float64, D)
	for t := 0; t < T; t++ {
		row := out.Row(t)
		for i, s := range scales {
			half := (len(s) - 1) / 2
			clear(acc)
			for j := -half; j <= half; j++ {
				w := s[j+half]
				if w == 0 {
					continue
				}
				src := feats.Row(min(max(t+j, 0), T-1))
				for d, v := range src {
					acc[d] += w * float64(v)
				}
			}
			for d, v := range acc {
				row[i*D+d] = float32(v)
			}
		}
	}
	return out, nil
}
