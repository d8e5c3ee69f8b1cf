package features

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// randomFeats returns T×D features with per-dimension offsets and scales.
func randomFeats(T, D int, seed uint64) Matrix {
	rng := rand.New(rand.NewPCG(seed, 9))
	m := NewMatrix(T, D)
	for t := 0; t < T; t++ {
		for d := range m.Row(t) {
			m.Row(t)[d] = float32(10*float64(d) - 3 + float64(d+1)*rng.NormFloat64())
		}
	}
	return m
}

// moments returns the per-dimension mean and (biased) variance.
func moments(m Matrix) (mean, vari []float64) {
	mean, vari = make([]float64, m.Cols), make([]float64, m.Cols)
	for t := 0; t < m.Rows; t++ {
		for d, v := range m.Row(t) {
			mean[d] += float64(v)
		}
	}
	for d := range mean {
		mean[d] /= float64(m.Rows)
	}
	for t := 0; t < m.Rows; t++ {
		for d, v := range m.Row(t) {
			vari[d] += (float64(v) - mean[d]) * (float64(v) - mean[d])
		}
	}
	for d := range vari {
		vari[d] /= float64(m.Rows)
	}
	return mean, vari
}

func TestNormalizeUtterance(t *testing.T) {
	feats := randomFeats(200, 5, 1)
	for _, normVars := range []bool{false, true} {
		out, err := NormalizeUtterance(Matrix{}, feats, normVars)
		if err != nil {
			t.Fatal(err)
		}
		mean, vari := moments(out)
		_, inVar := moments(feats)
		for d := range mean {
			wantVar := inVar[d]
			if normVars {
				wantVar = 1
			}
			if math.Abs(mean[d]) > 1e-5 || math.Abs(vari[d]-wantVar) > 1e-4*wantVar {
				t.Errorf("normVars=%v dim %d: mean %g, variance %g (want 0, %g)", normVars, d, mean[d], vari[d], wantVar)
			}
		}
	}
	empty, err := NormalizeUtterance(Matrix{}, Matrix{Cols: 4}, true)
	if err != nil || empty.Rows != 0 || empty.Cols != 4 {
		t.Errorf("empty utterance: %d×%d, %v", empty.Rows, empty.Cols, err)
	}
}

// TestGlobalCMVN: statistics accumulated over several utterances (in two
// halves, merged) equal those of their concatenation, and normalise the
// whole set to zero mean and unit variance.
func TestGlobalCMVN(t *testing.T) {
	utts := []Matrix{randomFeats(50, 3, 1), randomFeats(120, 3, 2), randomFeats(7, 3, 3), randomFeats(0, 3, 4)}
	var a, b CMVN // zero values take the dimension of the first features
	for i, u := range utts {
		half := &a
		if i%2 == 1 {
			half = &b
		}
		if err := half.Accumulate(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Merge(&b); err != nil {
		t.Fatal(err)
	}
	all := NewMatrix(0, 3)
	for _, u := range utts {
		all.Data = append(all.Data, u.Data...)
		all.Rows += u.Rows
	}
	whole := NewCMVN(3)
	if err := whole.Accumulate(all); err != nil {
		t.Fatal(err)
	}
	if a.Count != whole.Count || a.Dim() != 3 {
		t.Fatalf("count %v, dim %d; want %v, 3", a.Count, a.Dim(), whole.Count)
	}
	for d := 0; d < 3; d++ {
		if math.Abs(a.Sum[d]-whole.Sum[d]) > 1e-9*math.Abs(whole.Sum[d]) || math.Abs(a.SumSq[d]-whole.SumSq[d]) > 1e-9*whole.SumSq[d] {
			t.Fatalf("dim %d: merged stats differ from the concatenation's", d)
		}
		if m := a.Mean()[d]; math.Abs(m-whole.Sum[d]/whole.Count) > 1e-12 {
			t.Fatalf("Mean()[%d] = %g", d, m)
		}
	}
	out, err := a.Apply(all, all, true) // in place
	if err != nil {
		t.Fatal(err)
	}
	mean, vari := moments(out)
	for d := range mean {
		if math.Abs(mean[d]) > 1e-5 || math.Abs(vari[d]-1) > 1e-4 {
			t.Errorf("dim %d: mean %g, variance %g", d, mean[d], vari[d])
		}
	}
}

// TestCMVNConstantDim: a dimension with zero variance is floored (Kaldi's
// 1e-20), giving zeros, not NaN or Inf.
func TestCMVNConstantDim(t *testing.T) {
	m := NewMatrix(10, 2)
	for t := 0; t < 10; t++ {
		m.Row(t)[0], m.Row(t)[1] = 3, float32(t)
	}
	out, err := NormalizeUtterance(Matrix{}, m, true)
	if err != nil {
		t.Fatal(err)
	}
	for t2 := 0; t2 < 10; t2++ {
		if v := out.At(t2, 0); v != 0 {
			t.Fatalf("constant dimension normalised to %v", v)
		}
	}
}

func TestCMVNErrors(t *testing.T) {
	var empty CMVN
	if _, err := empty.Apply(Matrix{}, randomFeats(3, 2, 1), false); !errors.Is(err, ErrNoStats) {
		t.Errorf("Apply with no frames: %v, want ErrNoStats", err)
	}
	st := NewCMVN(2)
	if err := st.Accumulate(randomFeats(3, 3, 1)); err == nil {
		t.Errorf("Accumulate of another dimension: no error")
	}
	if err := st.Accumulate(randomFeats(3, 2, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(Matrix{}, randomFeats(3, 4, 1), true); err == nil {
		t.Errorf("Apply to another dimension: no error")
	}
	if err := st.Merge(NewCMVN(5)); err == nil {
		t.Errorf("Merge of another dimension: no error")
	}
	if err := st.Merge(&CMVN{Sum: []float64{1, 2}}); err == nil {
		t.Errorf("Merge of malformed stats: no error")
	}
	bad := Matrix{Rows: 3, Cols: 2, Data: make([]float32, 2)}
	if err := st.Accumulate(bad); err == nil {
		t.Errorf("Accumulate of a malformed matrix: no error")
	}
	if _, err := NormalizeUtterance(Matrix{}, bad, true); err == nil {
		t.Errorf("NormalizeUtterance of a malformed matrix: no error")
	}
}
