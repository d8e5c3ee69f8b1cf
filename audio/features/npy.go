package features

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// ErrNPYFormat is wrapped by ReadNPY's errors about the file's contents
// (as opposed to I/O errors).
var ErrNPYFormat = errors.New("features: unsupported .npy file")

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// WriteNPY writes m as a NumPy .npy file (format version 1.0): a 2-D
// array of little-endian float32 ('<f4') in C order, shape (Rows, Cols),
// which numpy.load reads back. The header is padded to 64 bytes, as NumPy
// writes it.
func WriteNPY(w io.Writer, m Matrix) error {
	if err := m.check("write npy"); err != nil {
		return err
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", m.Rows, m.Cols)
	// magic (6) + version (2) + header length (2) + dict + padding + '\n'
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	if hlen > math.MaxUint16 {
		return fmt.Errorf("features: write npy: header of %d bytes", hlen)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(npyMagic)
	bw.Write([]byte{1, 0, byte(hlen), byte(hlen >> 8)})
	bw.WriteString(dict)
	bw.WriteString(strings.Repeat(" ", pad))
	bw.WriteByte('\n')
	var b [4]byte
	for _, v := range m.Data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("features: write npy: %w", err)
	}
	return nil
}

// WriteNPYFile writes m to the file path (see WriteNPY).
func WriteNPYFile(path string, m Matrix) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("features: %w", cerr)
		}
	}()
	return WriteNPY(f, m)
}

// Limits on what ReadNPY accepts.
const (
	maxNPYHeader = 1 << 16 // bytes of header dictionary
	maxNPYValues = 1 << 31 // elements of the array
)

// ReadNPY reads a NumPy .npy file holding a 2-D little-endian float32
// ('<f4') array in C order (format versions 1.0, 2.0 and 3.0), as written
// by WriteNPY or numpy.save. Any other dtype, rank or Fortran order is an
// error wrapping ErrNPYFormat, as is a malformed header or a file shorter
// than its shape says; data after the array is ignored. Memory grows with
// the data actually read, not with the shape the header claims.
func ReadNPY(r io.Reader) (Matrix, error) {
	bad := func(format string, args ...any) (Matrix, error) {
		return Matrix{}, fmt.Errorf("%w: "+format, append([]any{ErrNPYFormat}, args...)...)
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return bad("short preamble: %v", err)
	}
	if string(pre[:6]) != npyMagic {
		return bad("bad magic %q", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return bad("short header length: %v", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return bad("short header length: %v", err)
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxNPYHeader {
			return bad("header of %d bytes", n)
		}
		hlen = int(n)
	default:
		return bad("format version %d.%d", pre[6], pre[7])
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return bad("short header: %v", err)
	}
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return bad("%v", err)
	}
	if h.descr != "<f4" {
		return bad("dtype %q, want '<f4' (little-endian float32)", h.descr)
	}
	if h.fortran {
		return bad("Fortran order")
	}
	if len(h.shape) != 2 {
		return bad("shape %v, want 2-D", h.shape)
	}
	rows, cols := h.shape[0], h.shape[1]
	if rows > maxNPYValues || cols > maxNPYValues || (cols > 0 && rows > maxNPYValues/cols) {
		return bad("shape %v too large", h.shape)
	}
	n := rows * cols
	data := make([]float32, 0, min(n, 1<<16))
	buf := make([]byte, 4*min(n, 1<<14))
	for len(data) < n {
		k := min(n-len(data), len(buf)/4)
		if _, err := io.ReadFull(r, buf[:4*k]); err != nil {
			return bad("data ends after %d of %d values: %v", len(data), n, err)
		}
		for i := 0; i < k; i++ {
			data = append(data, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
		}
	}
	return Matrix{Rows: rows, Cols: cols, Data: data}, nil
}

// ReadNPYFile reads the .npy file path (see ReadNPY).
func ReadNPYFile(path string) (Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return Matrix{}, fmt.Errorf("features: %w", err)
	}
	defer f.Close() // read-only: a close error loses nothing
	m, err := ReadNPY(bufio.NewReader(f))
	if err != nil {
		return Matrix{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// npyHeader is the parsed header dictionary.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the Python dict literal of a .npy header:
// {'descr': str, 'fortran_order': bool, 'shape': tuple of ints}, keys in
// any order, trailing comma and whitespace allowed.
func parseNPYHeader(s string) (npyHeader, error) {
	p := &pyParser{s: s}
	var h npyHeader
	seen := map[string]bool{}
	if !p.eat('{') {
		return h, errors.New("header is not a dict")
	}
	for {
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return h, fmt.Errorf("no ':' after key %q", key)
		}
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, err
			}
		case "fortran_order":
			if h.fortran, err = p.boolean(); err != nil {
				return h, err
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, err
			}
		default:
			return h, fmt.Errorf("unknown key %q", key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return h, errors.New("expected ',' or '}'")
			}
			break
		}
	}
	if strings.TrimSpace(p.s[p.i:]) != "" {
		return h, errors.New("text after the header dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("header has no %q", k)
		}
	}
	return h, nil
}

// pyParser reads the few Python literals a .npy header holds.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// eat consumes c (after whitespace) if it comes next.
func (p *pyParser) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("expected a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

func (p *pyParser) boolean() (bool, error) {
	p.skip()
	for _, b := range []struct {
		lit string
		v   bool
	}{{"True", true}, {"False", false}} {
		if strings.HasPrefix(p.s[p.i:], b.lit) {
			p.i += len(b.lit)
			return b.v, nil
		}
	}
	return false, errors.New("expected True or False")
}

// tuple reads a tuple of non-negative ints: (), (n,), (n, m), ...
func (p *pyParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("expected a tuple")
	}
	dims := []int{}
	for {
		if p.eat(')') {
			return dims, nil
		}
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 12 {
			return nil, errors.New("expected a dimension")
		}
		d, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, err
		}
		dims = append(dims, d)
		p.i = j
		if len(dims) > 32 {
			return nil, errors.New("too many dimensions")
		}
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, errors.New("expected ',' or ')' in shape")
			}
			return dims, nil
		}
	}
}
