package features

import "fmt"

// Matrix is a dense row-major float32 matrix. Features are frames × dims:
// row t is frame t, Data[t·Cols+j] its coefficient j. The zero Matrix is
// an empty one.
//
// Functions that take a dst Matrix write into dst.Data when its capacity
// suffices and allocate otherwise (a zero dst always allocates); they
// return the result, whose Data may alias dst.Data.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// NewMatrix returns a zeroed rows × cols matrix. It panics if a dimension
// is negative.
func NewMatrix(rows, cols int) Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("features: NewMatrix(%d, %d): negative dimension", rows, cols))
	}
	return Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// Row returns row i as a slice of Data (no copy). It panics if i is out of
// range.
func (m Matrix) Row(i int) []float32 {
	if i < 0 || i >= m.Rows {
		panic(fmt.Sprintf("features: row %d of a %d-row matrix", i, m.Rows))
	}
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// At returns element (i, j).
func (m Matrix) At(i, j int) float32 { return m.Row(i)[j] }

// Slices returns the rows as slices of Data (views, no copy).
func (m Matrix) Slices() [][]float32 {
	s := make([][]float32, m.Rows)
	for i := range s {
		s[i] = m.Row(i)
	}
	return s
}

// check reports a matrix whose Data does not hold Rows·Cols values.
func (m Matrix) check(what string) error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("features: %s: malformed matrix (%d×%d with %d values)", what, m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

// reuse returns a rows × cols matrix on dst's storage when it is large
// enough, else a new one. The contents are not cleared.
func reuse(dst Matrix, rows, cols int) Matrix {
	n := rows * cols
	if cap(dst.Data) >= n {
		return Matrix{Rows: rows, Cols: cols, Data: dst.Data[:n]}
	}
	return Matrix{Rows: rows, Cols: cols, Data: make([]float32, n)}
}
