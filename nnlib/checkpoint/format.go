package checkpoint

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// MaxHeaderSize is the largest header (JSON) length accepted, 100 MB, the
// limit of the reference implementation.
const MaxHeaderSize = 100 << 20

// Errors wrapped by the functions of this package. Test them with errors.Is.
var (
	// ErrFormat means the input is not a well-formed safetensors file:
	// truncated, foreign, or with an inconsistent header.
	ErrFormat = errors.New("checkpoint: not a valid safetensors file")
	// ErrUnsupported means a well-formed file uses a dtype this package
	// cannot convert or a newer format version.
	ErrUnsupported = errors.New("checkpoint: unsupported safetensors content")
	// ErrMismatch means the file's tensors do not fit the parameter set
	// (or the optimiser state does not fit its kind).
	ErrMismatch = errors.New("checkpoint: file does not match the model")
)

// problem is an error that reads as its message alone and unwraps to one
// of the sentinels, so that wrapped messages carry the package prefix once.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }

func errorf(kind error, format string, args ...any) error {
	return &problem{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Dtype is the element type of a stored tensor.
type Dtype int

// The dtypes this package reads; it writes F16, F32, F64 and I8 (int8
// weights with a per-row scale tensor, see SaveOptions.Int8).
const (
	F16 Dtype = iota + 1
	BF16
	F32
	F64
	I8
)

var dtypeNames = map[Dtype]string{F16: "F16", BF16: "BF16", F32: "F32", F64: "F64", I8: "I8"}

// otherDtypes are valid safetensors dtypes this package does not convert.
var otherDtypes = []string{"BOOL", "U8", "F8_E5M2", "F8_E4M3", "I16", "U16", "I32", "U32", "I64", "U64"}

// String returns the safetensors name of d ("F32").
func (d Dtype) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return "Dtype(" + strconv.Itoa(int(d)) + ")"
}

// Size returns the size of one element in bytes.
func (d Dtype) Size() int {
	switch d {
	case I8:
		return 1
	case F16, BF16:
		return 2
	case F32:
		return 4
	case F64:
		return 8
	}
	return 0
}

func parseDtype(s string) (Dtype, error) {
	for d, name := range dtypeNames {
		if name == s {
			return d, nil
		}
	}
	if slices.Contains(otherDtypes, s) {
		return 0, errorf(ErrUnsupported, "dtype %s is not supported (want F16, BF16, F32, F64 or I8)", s)
	}
	return 0, errorf(ErrFormat, "unknown dtype %q", s)
}

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name  string
	Dtype Dtype
	Shape []int
	// Begin and End are the tensor's byte range in the data section.
	Begin, End int64
}

// Len returns the number of elements.
func (t TensorInfo) Len() int64 { return (t.End - t.Begin) / int64(t.Dtype.Size()) }

// Info is the header of a file: its metadata and its tensors in data order.
type Info struct {
	Meta    Meta
	Tensors []TensorInfo
	// HeaderSize is N, the JSON header length; the data section starts at
	// byte 8+N.
	HeaderSize int64
	// DataSize is the length of the data section.
	DataSize int64
}

// header is a parsed header together with the raw metadata map.
type header struct {
	Info
	meta map[string]string
}

// remaining returns how many bytes r has left, or -1 if it cannot tell.
// It understands Len() (bytes.Reader, strings.Reader, bytes.Buffer) and
// io.Seeker (files); a seeker is restored to its position.
func remaining(r io.Reader) (int64, error) {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), nil
	case io.Seeker:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1, nil // a pipe or similar: size unknown
		}
		end, err := v.Seek(0, io.SeekEnd)
		if err != nil {
			return -1, nil
		}
		if _, err := v.Seek(cur, io.SeekStart); err != nil {
			return -1, err
		}
		return end - cur, nil
	}
	return -1, nil
}

// readBounded reads exactly n bytes. The buffer grows with the data that
// actually arrives, so a lying length prefix cannot make it allocate more
// than the input holds (plus a small slack).
func readBounded(r io.Reader, n int64) ([]byte, error) {
	const direct = 1 << 20
	if n <= direct {
		buf := make([]byte, n)
		got, err := io.ReadFull(r, buf)
		return buf[:got], err
	}
	var b bytes.Buffer
	b.Grow(direct)
	got, err := io.CopyN(&b, r, n)
	if err == io.EOF && got < n {
		err = io.ErrUnexpectedEOF
	}
	return b.Bytes(), err
}

// readHeader reads the length prefix and the JSON header and validates
// them. size is the number of bytes r holds, or -1 if unknown; when known,
// the data section must end exactly at the end of the input.
func readHeader(r io.Reader, size int64) (*header, error) {
	var pre [8]byte
	if got, err := io.ReadFull(r, pre[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, errorf(ErrFormat, "truncated: %d bytes, a safetensors file starts with an 8-byte header length", got)
		}
		return nil, err
	}
	n64 := binary.LittleEndian.Uint64(pre[:])
	switch {
	case n64 > MaxHeaderSize:
		return nil, errorf(ErrFormat, "header length %d (bytes %x) exceeds the %d-byte limit: not a safetensors file", n64, pre, MaxHeaderSize)
	case size >= 0 && int64(n64) > size-8:
		return nil, errorf(ErrFormat, "header length %d exceeds the %d bytes that follow it: truncated or not a safetensors file", n64, max(size-8, 0))
	case n64 < 2:
		return nil, errorf(ErrFormat, "header length %d is too small for a JSON object", n64)
	}
	n := int64(n64)
	raw, err := readBounded(r, n)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, errorf(ErrFormat, "truncated header: %d of %d bytes", len(raw), n)
		}
		return nil, err
	}
	h, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	h.HeaderSize = n
	if size >= 0 {
		if have := size - 8 - n; have != h.DataSize {
			if have < h.DataSize {
				return nil, errorf(ErrFormat, "truncated: the tensors need %d data bytes, the file has %d", h.DataSize, have)
			}
			return nil, errorf(ErrFormat, "%d bytes after the last tensor", have-h.DataSize)
		}
	}
	return h, nil
}

// rawEntry is one tensor entry of the header; pointers tell missing fields.
type rawEntry struct {
	Dtype   *string   `json:"dtype"`
	Shape   *[]uint64 `json:"shape"`
	Offsets *[]uint64 `json:"data_offsets"`
}

// eachKey calls f for every key of the JSON object in data, rejecting
// duplicate keys and trailing data.
func eachKey(data []byte, what string, f func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errorf(ErrFormat, "%s is not a JSON object", what)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errorf(ErrFormat, "%s: invalid JSON: %v", what, err)
		}
		key, ok := tok.(string)
		if !ok {
			return errorf(ErrFormat, "%s: invalid JSON object key %v", what, tok)
		}
		if seen[key] {
			return errorf(ErrFormat, "%s: duplicate key %q", what, key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return errorf(ErrFormat, "%s: invalid JSON at %q: %v", what, key, err)
		}
		if err := f(key, val); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errorf(ErrFormat, "%s: invalid JSON: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(ErrFormat, "%s: data after the JSON object", what)
	}
	return nil
}

// maxBytes bounds tensor sizes so that offset arithmetic cannot overflow.
const maxBytes = 1 << 60

func parseHeader(raw []byte) (*header, error) {
	h := &header{}
	err := eachKey(raw, "header", func(key string, val json.RawMessage) error {
		if key == metadataKey {
			m, err := parseMetadata(val)
			h.meta = m
			return err
		}
		t, err := parseEntry(key, val)
		if err == nil {
			h.Tensors = append(h.Tensors, t)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// The byte ranges, sorted, must tile [0, DataSize) exactly.
	slices.SortStableFunc(h.Tensors, func(a, b TensorInfo) int {
		if c := cmp.Compare(a.Begin, b.Begin); c != 0 {
			return c
		}
		return cmp.Compare(a.End, b.End)
	})
	var at int64
	for i, t := range h.Tensors {
		switch {
		case t.Begin < at:
			return nil, errorf(ErrFormat, "%s: data_offsets [%d, %d] overlap %s", t.Name, t.Begin, t.End, h.Tensors[i-1].Name)
		case t.Begin > at:
			return nil, errorf(ErrFormat, "%s: data_offsets [%d, %d] leave %d bytes unused before it", t.Name, t.Begin, t.End, t.Begin-at)
		}
		at = t.End
	}
	h.DataSize = at
	if h.Meta, err = DecodeMeta(h.meta); err != nil {
		return nil, err
	}
	return h, nil
}

func parseMetadata(val json.RawMessage) (map[string]string, error) {
	m := map[string]string{}
	err := eachKey(val, metadataKey, func(key string, v json.RawMessage) error {
		var s string
		if err := json.Unmarshal(v, &s); err != nil || v[0] != '"' {
			return errorf(ErrFormat, "%s: value of %q is not a string", metadataKey, key)
		}
		m[key] = s
		return nil
	})
	return m, err
}

func parseEntry(name string, val json.RawMessage) (TensorInfo, error) {
	t := TensorInfo{Name: name}
	if name == "" {
		return t, errorf(ErrFormat, "empty tensor name")
	}
	var e rawEntry
	dec := json.NewDecoder(bytes.NewReader(val))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return t, errorf(ErrFormat, "%s: invalid tensor entry: %v", name, err)
	}
	if e.Dtype == nil || e.Shape == nil || e.Offsets == nil {
		return t, errorf(ErrFormat, "%s: tensor entry needs dtype, shape and data_offsets", name)
	}
	dt, err := parseDtype(*e.Dtype)
	if err != nil {
		return t, fmt.Errorf("%s: %w", name, err)
	}
	t.Dtype = dt
	n := uint64(1)
	for _, d := range *e.Shape {
		if d > maxBytes || (d != 0 && n > maxBytes/8/d) {
			return t, errorf(ErrFormat, "%s: shape %v is too large", name, *e.Shape)
		}
		n *= d
		t.Shape = append(t.Shape, int(d))
	}
	off := *e.Offsets
	if len(off) != 2 || off[0] > off[1] || off[1] > maxBytes {
		return t, errorf(ErrFormat, "%s: invalid data_offsets %v", name, off)
	}
	t.Begin, t.End = int64(off[0]), int64(off[1])
	if want := n * uint64(dt.Size()); off[1]-off[0] != want {
		return t, errorf(ErrFormat, "%s: data_offsets [%d, %d] hold %d bytes, shape %v of %s needs %d", name, off[0], off[1], off[1]-off[0], t.Shape, dt, want)
	}
	return t, nil
}

// tensorOut is one tensor to write.
type tensorOut struct {
	name  string
	dtype Dtype
	shape []int
	f32   []float32 // source data, exactly one of f32, f64, i8 set
	f64   []float64
	i8    []int8 // dtype I8
}

// writeFile writes a safetensors file: the tensors in order, the metadata
// first in the header. The header is padded with spaces to a multiple of
// 8 bytes, as the reference implementation does, so the data is aligned.
func writeFile(w io.Writer, meta map[string]string, ts []tensorOut) error {
	var hb bytes.Buffer
	hb.WriteByte('{')
	mb, err := json.Marshal(meta) // sorted keys
	if err != nil {
		return err
	}
	hb.WriteString(`"` + metadataKey + `":`)
	hb.Write(mb)
	var off int64
	for _, t := range ts {
		nb, err := json.Marshal(t.name)
		if err != nil {
			return err
		}
		size := int64(len(t.f32)+len(t.f64)+len(t.i8)) * int64(t.dtype.Size())
		hb.WriteByte(',')
		hb.Write(nb)
		fmt.Fprintf(&hb, `:{"dtype":"%s","shape":[`, t.dtype)
		for i, d := range t.shape {
			if i > 0 {
				hb.WriteByte(',')
			}
			hb.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&hb, `],"data_offsets":[%d,%d]}`, off, off+size)
		off += size
	}
	hb.WriteByte('}')
	for hb.Len()%8 != 0 {
		hb.WriteByte(' ')
	}
	var pre [8]byte
	binary.LittleEndian.PutUint64(pre[:], uint64(hb.Len()))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	if _, err := w.Write(hb.Bytes()); err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	for _, t := range ts {
		switch {
		case t.i8 != nil:
			err = writeInt8(w, buf, t.i8)
		case t.f32 != nil:
			err = writeData(w, buf, t.f32, t.dtype)
		default:
			err = writeData(w, buf, t.f64, t.dtype)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type float interface{ ~float32 | ~float64 }

// writeData encodes src as dt into buf-sized chunks and writes them.
func writeData[T float](w io.Writer, buf []byte, src []T, dt Dtype) error {
	le := binary.LittleEndian
	for len(src) > 0 {
		n := min(len(src), cap(buf)/8)
		b := buf[:0]
		for _, x := range src[:n] {
			switch dt {
			case F16:
				b = le.AppendUint16(b, f16FromFloat64(float64(x)))
			case F32:
				b = le.AppendUint32(b, math.Float32bits(float32(x)))
			case F64:
				b = le.AppendUint64(b, math.Float64bits(float64(x)))
			default:
				panic("checkpoint: cannot write " + dt.String()) // not reachable: callers choose dt
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		src = src[n:]
	}
	return nil
}

// writeInt8 writes src as bytes, in buf-sized chunks.
func writeInt8(w io.Writer, buf []byte, src []int8) error {
	for len(src) > 0 {
		n := min(len(src), cap(buf))
		b := buf[:n]
		for i, q := range src[:n] {
			b[i] = byte(q)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		src = src[n:]
	}
	return nil
}

// readData reads t's bytes from r and decodes them into dst, which holds
// t.Len() elements. buf is scratch space.
func readData[T float](r io.Reader, buf []byte, dst []T, t TensorInfo) error {
	size := t.Dtype.Size()
	le := binary.LittleEndian
	for len(dst) > 0 {
		n := min(len(dst), len(buf)/size)
		b := buf[:n*size]
		if got, err := io.ReadFull(r, b); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return errorf(ErrFormat, "%s: truncated data: %d bytes missing", t.Name, int64(len(dst)*size-got))
			}
			return err
		}
		for i := range dst[:n] {
			switch t.Dtype {
			case F16:
				dst[i] = T(f16ToFloat32(le.Uint16(b[2*i:])))
			case BF16:
				dst[i] = T(bf16ToFloat32(le.Uint16(b[2*i:])))
			case F32:
				dst[i] = T(math.Float32frombits(le.Uint32(b[4*i:])))
			case F64:
				dst[i] = T(math.Float64frombits(le.Uint64(b[8*i:])))
			case I8:
				dst[i] = T(int8(b[i]))
			}
		}
		dst = dst[n:]
	}
	return nil
}

// expectEOF checks that r has nothing left.
func expectEOF(r io.Reader) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	if n > 0 {
		return errorf(ErrFormat, "data after the last tensor")
	}
	if err != io.EOF {
		return err
	}
	return nil
}
