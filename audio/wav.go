package audio

// WAV input and output.
//
// # Why most of the reading is our own code
//
// The product card names github.com/go-audio/wav for WAV I/O. Its decoder
// does not fit a reader that must take any io.Reader, stay bounded in memory
// and never return silent garbage:
//
//   - wav.NewDecoder needs an io.ReadSeeker (it seeks back when chunks come
//     before "fmt "), so it cannot read stdin or a pipe;
//   - it swallows errors: FwdToPCM returns nil after a failed header read,
//     riff.Parser.IDnSize ignores a failed size read ("err != err"), the
//     decode loops call Read once instead of io.ReadFull, and errors are
//     formatted with %v, so callers cannot test them;
//   - it decodes neither IEEE float nor WAVE_FORMAT_EXTENSIBLE, returns
//     8-bit samples as 0..255 that its float conversion scales without
//     removing the 128 offset, counts the pad byte of an odd-sized data
//     chunk as audio, and trusts chunk sizes (riff's DecodeWavHeader
//     allocates whatever the fmt size says).
//
// So the RIFF chunk walk, the fmt parsing and the sample decoding below are
// written here, against the Microsoft RIFF/WAVE and WAVE_FORMAT_EXTENSIBLE
// specifications, with every field checked.
//
// go-audio/wav is used for what it does right: its Encoder writes the
// canonical 44-byte 16-bit PCM file, and WriteWAVFile uses it for PCM on the
// (seekable) temporary file. WriteWAV takes a plain io.Writer, which the
// Encoder cannot (it seeks back to patch sizes), so it writes the same
// header itself; the sizes are known up front. The tests check that both
// paths give identical bytes and that go-audio's decoder reads our files.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// Encoding is how a WAV file stores its samples.
type Encoding int

// The encodings a WAV file may use. The zero Encoding is invalid.
const (
	// PCM is linear integer PCM: 8-bit unsigned, or 16-, 24- or 32-bit
	// signed little-endian.
	PCM Encoding = iota + 1
	// Float is IEEE 754 floating point, 32 or 64 bits, little-endian.
	Float
)

// String returns "PCM" or "float".
func (e Encoding) String() string {
	switch e {
	case PCM:
		return "PCM"
	case Float:
		return "float"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Format describes the samples of a WAV file.
type Format struct {
	Rate     int // samples per second and channel, in Hz
	Channels int // interleaved channels per frame
	// Bits is the size of one stored sample: 8, 16, 24 or 32 for PCM, 32 or
	// 64 for Float. For WAVE_FORMAT_EXTENSIBLE files with fewer valid bits
	// (20 bits in 24, say) it is the container size.
	Bits     int
	Encoding Encoding
}

// String describes f, e.g. "16000 Hz, 1 channel, 16-bit PCM".
func (f Format) String() string {
	ch := "channels"
	if f.Channels == 1 {
		ch = "channel"
	}
	return fmt.Sprintf("%d Hz, %d %s, %d-bit %v", f.Rate, f.Channels, ch, f.Bits, f.Encoding)
}

// Errors a WAV reader or writer wraps; test for them with errors.Is.
var (
	// ErrNotWAV means the input is not a RIFF/WAVE file; the message names
	// the format found when it is a common one (MP3, FLAC, Ogg, AIFF, ...).
	ErrNotWAV = errors.New("audio: not a WAV file")
	// ErrTruncated means the input ends before the data its header
	// promises, or is empty.
	ErrTruncated = errors.New("audio: truncated WAV file")
	// ErrUnsupported means a valid WAV file in a format this package does
	// not decode or encode (A-law, µ-law, ADPCM, MP3-in-WAV, RF64, ...).
	ErrUnsupported = errors.New("audio: unsupported WAV format")
)

// FormatError reports a WAV input that cannot be read as audio. Every
// error about the contents of a file is a *FormatError; I/O errors of the
// underlying reader are not.
type FormatError struct {
	// File is the path given to ReadWAVFile or OpenWAV ("stdin" for "-");
	// it is empty for ReadWAV and NewWAVReader.
	File string
	// Field names the header field at fault, such as "channels" or
	// "format tag"; it is empty when the input as a whole is wrong.
	Field string
	// Value is the field's value as read: an int for numbers, a string
	// for chunk IDs and GUIDs; nil when Field is empty.
	Value any
	// Problem says what is wrong, for people.
	Problem string
	// Err is ErrNotWAV, ErrTruncated or ErrUnsupported, or nil for other
	// malformed headers (zero channels, a block align that does not match
	// the sample size, ...).
	Err error
}

// Error returns "audio: read FILE: PROBLEM", or "audio: PROBLEM" when the
// file is not known.
func (e *FormatError) Error() string {
	p := e.Problem
	if p == "" {
		p = fmt.Sprintf("invalid %s %v", e.Field, e.Value)
	}
	if e.File == "" {
		return "audio: " + p
	}
	return "audio: read " + e.File + ": " + p
}

// Unwrap returns e.Err.
func (e *FormatError) Unwrap() error { return e.Err }

// MixDown is the ReadOptions.Channel value that averages all channels.
const MixDown = 0

// ReadOptions says how to turn a WAV file into a mono Signal. The zero
// value mixes all channels down.
type ReadOptions struct {
	// Channel picks one channel, counted from 1 (in a stereo file 1 is
	// left, 2 is right). MixDown (0) averages all channels. A channel the
	// file does not have is an error.
	Channel int
	// Stdin is what ReadWAVFile and OpenWAV read for the path "-"; nil
	// means os.Stdin. Other functions ignore it.
	Stdin io.Reader
}

// Limits of the reader and writer.
const (
	// maxRate is the highest sample rate accepted, 2^24 Hz; no PCM audio
	// format comes near it, so a larger value means a corrupt header.
	maxRate = 1 << 24
	// maxEmptyReads is how many (0, nil) results in a row of the
	// underlying reader count as a broken reader (io.ErrNoProgress),
	// as in bufio.
	maxEmptyReads = 100
	// rawBufBytes bounds the read buffer of a WAVReader: it holds a whole
	// number of frames, at least one.
	rawBufBytes = 32 << 10
	// unknownSize is the data chunk size streaming writers (ffmpeg to a
	// pipe, for one) leave when they cannot seek back to patch it.
	unknownSize = 0xFFFFFFFF
)

// WAVE format tags (mmreg.h) and the tail that every KSDATAFORMAT_SUBTYPE
// GUID shares: {XXXXXXXX-0000-0010-8000-00AA00389B71}, stored in
// little-endian GUID byte order.
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagExtensible = 0xFFFE
)

var subtypeGUIDTail = [12]byte{0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// tagName names the common WAVE format tags this package does not decode.
func tagName(tag uint16) string {
	switch tag {
	case 0x0002:
		return "Microsoft ADPCM"
	case 0x0006:
		return "A-law"
	case 0x0007:
		return "µ-law"
	case 0x0011:
		return "IMA ADPCM"
	case 0x0031:
		return "GSM 6.10"
	case 0x0040:
		return "G.721 ADPCM"
	case 0x0050:
		return "MPEG audio"
	case 0x0055:
		return "MP3"
	case 0x00FF, 0x1610:
		return "AAC"
	case 0x0161, 0x0162, 0x0163:
		return "Windows Media Audio"
	}
	return "unknown codec"
}

// sampleKind is the storage of one sample, chosen once per file.
type sampleKind int

const (
	kindU8 sampleKind = iota
	kindS16
	kindS24
	kindS32
	kindF32
	kindF64
)

// WAVReader decodes the samples of a WAV file as it reads them, one mono
// stream (a mix of all channels or one chosen channel), with memory bounded
// by a 32 KiB buffer however long the file. A WAVReader is not safe for
// concurrent use.
type WAVReader struct {
	src     *bufio.Reader
	closer  io.Closer // the file OpenWAV opened; nil otherwise
	name    string    // for messages; "" when unknown
	format  Format
	channel int // 0: mix down; k: channel k, from 1
	kind    sampleKind
	align   int   // bytes per frame
	size    int64 // declared data bytes; -1 when unknown
	fileLen int64 // length of the file OpenWAV opened; -1 otherwise
	frames  int64 // declared frames; -1 when unknown
	left    int64 // data bytes not yet read; -1 when the size is unknown
	done    int64 // frames delivered
	raw     []byte
	err     error // sticky: io.EOF or the first error
}

// NewWAVReader reads the header of the WAV file in r, up to the start of
// its samples, and returns a reader of them. It does not close r. Errors
// about the contents are *FormatError, wrapping ErrNotWAV, ErrTruncated or
// ErrUnsupported where one applies; a channel in opts that the file lacks is
// an error too.
func NewWAVReader(r io.Reader, opts ReadOptions) (*WAVReader, error) {
	return newWAVReader(r, opts, "")
}

// OpenWAV opens the WAV file at path for streaming; the path "-" reads
// opts.Stdin (os.Stdin when nil). Close the reader when done; it closes the
// file but never stdin. Errors name the path.
func OpenWAV(path string, opts ReadOptions) (*WAVReader, error) {
	if path == "-" {
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		return newWAVReader(in, opts, "stdin")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err) // "audio: open PATH: ..."
	}
	r, err := newWAVReader(f, opts, path)
	if err != nil {
		// The header error is what matters; a failed Close of a file
		// only read adds nothing.
		f.Close()
		return nil, err
	}
	r.closer = f
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		r.fileLen = fi.Size()
	}
	return r, nil
}

// ReadWAV reads a whole WAV file from r as a mono Signal (see ReadOptions)
// and returns the file's Format. Samples of PCM files lie in [-1, 1]: a
// sample s of b bits becomes s/2^(b-1), an 8-bit one (s-128)/128 (the
// largest 32-bit values round to 1 in float32). Float samples are kept as
// stored and may exceed [-1, 1]; NaN or infinite samples are an error.
//
// A data chunk of size 0xFFFFFFFF (a streamed WAV whose writer could not
// seek back) is read to the end of r, and a partial last frame is dropped.
// A header that promises more data than r holds is an error wrapping
// ErrTruncated, as is a data size that is not a whole number of frames;
// ReadWAV then also returns the whole frames it read before the end, for a
// caller that wants to salvage them.
func ReadWAV(r io.Reader, opts ReadOptions) (Signal, Format, error) {
	wr, err := NewWAVReader(r, opts)
	if err != nil {
		return Signal{}, Format{}, err
	}
	return wr.readAll()
}

// ReadWAVFile reads the WAV file at path as ReadWAV does; the path "-"
// reads opts.Stdin (os.Stdin when nil). Errors name the path: "audio: read
// PATH: ...".
func ReadWAVFile(path string, opts ReadOptions) (Signal, Format, error) {
	r, err := OpenWAV(path, opts)
	if err != nil {
		return Signal{}, Format{}, err
	}
	sig, f, err := r.readAll()
	if cerr := r.Close(); err == nil && cerr != nil {
		return Signal{}, Format{}, cerr
	}
	return sig, f, err
}

// Format returns the format of the file: its rate, channel count and sample
// storage, not that of the mono stream Read returns.
func (r *WAVReader) Format() Format { return r.format }

// Frames returns the number of frames the header declares, or -1 when it
// does not say (a streamed WAV). A file cut short holds fewer; Read then
// ends with an error wrapping ErrTruncated.
func (r *WAVReader) Frames() int64 { return r.frames }

// Read decodes up to len(dst) frames into dst, one mono sample per frame,
// and returns how many it stored. At the end of the data it returns 0 and
// io.EOF. It returns n > 0 only with a nil error: an error met after some
// frames is returned by the next call, and then by every call after it.
func (r *WAVReader) Read(dst []float32) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	want := min(len(dst), len(r.raw)/r.align)
	if r.left >= 0 {
		if r.left < int64(r.align) {
			if r.left == 0 {
				r.err = io.EOF
			} else {
				r.err = r.formatErr("data chunk size", int(r.size), ErrTruncated,
					"the data chunk holds %d bytes: %d frames of %d bytes and %d bytes of a cut frame",
					r.size, r.frames, r.align, r.left)
			}
			return 0, r.err
		}
		want = int(min(int64(want), r.left/int64(r.align)))
	}
	nb, err := io.ReadFull(r.src, r.raw[:want*r.align])
	if r.left >= 0 {
		r.left -= int64(nb)
	}
	n := nb / r.align
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if r.left < 0 {
			r.err = io.EOF // streamed: a partial last frame is dropped
		} else {
			r.err = r.formatErr("data chunk size", int(r.size), ErrTruncated,
				"the header declares %d frames, the input ends after %d", r.frames, r.done+int64(n))
		}
	default:
		r.err = r.ioErr(err)
	}
	if bad := r.decode(dst[:n], r.raw[:n*r.align]); bad >= 0 {
		r.err = r.formatErr("", nil, nil, "sample of frame %d is not a finite number", r.done+int64(bad))
		n = bad
	}
	r.done += int64(n)
	if n > 0 {
		return n, nil
	}
	return 0, r.err
}

// Close closes the file OpenWAV opened; for a reader from NewWAVReader it
// does nothing. Reads after Close fail.
func (r *WAVReader) Close() error {
	if r.err == nil || r.err == io.EOF {
		r.err = fmt.Errorf("audio: read %s: %w", r.displayName(), os.ErrClosed)
	}
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	if err := c.Close(); err != nil {
		return fmt.Errorf("audio: close %s: %w", r.name, err)
	}
	return nil
}

// readAll reads the rest of the stream into a Signal. On a read error it
// returns the frames before it as well.
func (r *WAVReader) readAll() (Signal, Format, error) {
	// Unless a file's length vouches for the declared size, start small:
	// a lying header must not make us allocate what it promises. Known
	// sizes cap the growth.
	const start = 1 << 16
	size := int64(start)
	switch {
	case r.frames >= 0 && r.fileLen >= r.size:
		size = r.frames
	case r.frames >= 0:
		size = min(r.frames, start)
	}
	s := make([]float32, 0, size)
	var scratch [1]float32
	for {
		dst := s[len(s):cap(s)]
		probe := false
		if len(dst) == 0 {
			if r.frames >= 0 && int64(len(s)) >= r.frames {
				dst, probe = scratch[:], true // all declared frames read: learn how the data ends
			} else {
				next := int64(max(2*cap(s), start))
				if r.frames >= 0 {
					next = min(next, r.frames)
				}
				grown := make([]float32, len(s), next)
				copy(grown, s)
				s = grown
				dst = s[len(s):cap(s)]
			}
		}
		n, err := r.Read(dst)
		if probe {
			s = append(s, scratch[:n]...)
		} else {
			s = s[:len(s)+n]
		}
		if err == io.EOF {
			return Signal{Samples: s, Rate: r.format.Rate}, r.format, nil
		}
		if err != nil {
			return Signal{Samples: s, Rate: r.format.Rate}, r.format, err
		}
	}
}

// decode converts whole frames in raw to mono samples in dst. It returns the
// index of the first frame with a non-finite float sample, or -1.
func (r *WAVReader) decode(dst []float32, raw []byte) int {
	size := r.format.Bits / 8
	ch := r.format.Channels
	isFloat := r.kind == kindF32 || r.kind == kindF64
	for i := range dst {
		frame := raw[i*r.align : (i+1)*r.align]
		var v float64
		if r.channel > 0 {
			v = sampleValue(r.kind, frame[(r.channel-1)*size:])
		} else {
			for c := range ch {
				v += sampleValue(r.kind, frame[c*size:])
			}
			v /= float64(ch)
		}
		f := float32(v)
		if isFloat && (math.IsNaN(float64(f)) || math.IsInf(float64(f), 0)) {
			return i
		}
		dst[i] = f
	}
	return -1
}

// sampleValue decodes the little-endian sample at the start of b.
func sampleValue(k sampleKind, b []byte) float64 {
	switch k {
	case kindU8:
		return (float64(b[0]) - 128) / 128
	case kindS16:
		return float64(int16(binary.LittleEndian.Uint16(b))) / (1 << 15)
	case kindS24:
		// Put the 24 bits at the top of an int32, then shift back to
		// extend the sign.
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float64(v) / (1 << 23)
	case kindS32:
		return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31)
	case kindF32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	default: // kindF64
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
}

func (r *WAVReader) displayName() string {
	if r.name == "" {
		return "WAV"
	}
	return r.name
}

func (r *WAVReader) formatErr(field string, value any, sentinel error, format string, args ...any) error {
	return &FormatError{File: r.name, Field: field, Value: value, Problem: fmt.Sprintf(format, args...), Err: sentinel}
}

func (r *WAVReader) ioErr(err error) error {
	return fmt.Errorf("audio: read %s: %w", r.displayName(), err)
}

// progressReader guards against readers that return (0, nil) forever:
// io.ReadFull would spin on them, so after maxEmptyReads such results it
// returns io.ErrNoProgress. It also turns an impossible count into an error,
// which bufio would otherwise panic on.
type progressReader struct{ r io.Reader }

func (p progressReader) Read(b []byte) (int, error) {
	for range maxEmptyReads {
		n, err := p.r.Read(b)
		if n < 0 || n > len(b) {
			return 0, fmt.Errorf("reader returned %d bytes for a %d-byte buffer", n, len(b))
		}
		if n > 0 || err != nil || len(b) == 0 {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// newWAVReader parses the RIFF header and the chunks up to "data".
func newWAVReader(src io.Reader, opts ReadOptions, name string) (*WAVReader, error) {
	r := &WAVReader{name: name, size: -1, fileLen: -1, frames: -1, left: -1}
	if opts.Channel < 0 {
		return nil, fmt.Errorf("audio: read %s: channel %d: channels are counted from 1 (0 mixes all down)", r.displayName(), opts.Channel)
	}
	r.channel = opts.Channel
	r.src = bufio.NewReaderSize(progressReader{src}, 4096)

	if err := r.readRIFFHeader(); err != nil {
		return nil, err
	}
	var off int64 = 12 // bytes consumed, for messages
	haveFmt := false
	for {
		var hdr [8]byte
		n, err := io.ReadFull(r.src, hdr[:])
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, r.ioErr(err)
			}
			what := "no data chunk"
			if !haveFmt {
				what = "no fmt chunk and no data chunk"
			}
			if n > 0 {
				return nil, r.formatErr("", nil, ErrTruncated, "%s: the input ends inside a chunk header at byte %d", what, off+int64(n))
			}
			return nil, r.formatErr("", nil, ErrTruncated, "%s before the end of the input (%d bytes)", what, off)
		}
		off += 8
		id := string(hdr[:4])
		size := binary.LittleEndian.Uint32(hdr[4:])
		if !isChunkID(hdr[:4]) {
			return nil, r.formatErr("chunk ID", id, nil, "chunk ID %q at byte %d is not a RIFF four-character code", id, off-8)
		}
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, r.formatErr("chunk ID", id, nil, "a second fmt chunk at byte %d", off-8)
			}
			if err := r.readFmt(size, off); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, r.formatErr("chunk ID", id, nil, "the data chunk at byte %d comes before the fmt chunk", off-8)
			}
			if opts.Channel > r.format.Channels {
				return nil, fmt.Errorf("audio: read %s: channel %d requested, but the file has %d", r.displayName(), opts.Channel, r.format.Channels)
			}
			if size != unknownSize {
				r.size = int64(size)
				r.left = r.size
				r.frames = r.size / int64(r.align)
			}
			r.raw = make([]byte, max(1, rawBufBytes/r.align)*r.align)
			return r, nil
		default:
			// LIST, fact, bext, JUNK, cue, ...: skip.
			if err := r.skip(int64(size), id, off); err != nil {
				return nil, err
			}
		}
		off += int64(size)
		if size%2 == 1 {
			if skipped, err := r.skipPad(); err != nil {
				return nil, err
			} else if skipped {
				off++
			}
		}
	}
}

// readRIFFHeader checks the 12-byte "RIFF" size "WAVE" header, naming the
// format when the input is something else.
func (r *WAVReader) readRIFFHeader() error {
	b, err := r.src.Peek(12)
	if err != nil && !errors.Is(err, io.EOF) {
		return r.ioErr(err)
	}
	if len(b) == 0 {
		return r.formatErr("", nil, ErrTruncated, "empty input (0 bytes)")
	}
	if what := sniff(b); what != "" {
		return r.formatErr("", nil, ErrNotWAV, "%s, not WAV", what)
	}
	switch {
	case bytes.HasPrefix(b, []byte("RF64")):
		return r.formatErr("", nil, ErrUnsupported, "RF64 (64-bit WAV) is not supported")
	case bytes.HasPrefix(b, []byte("RIFX")):
		return r.formatErr("", nil, ErrUnsupported, "RIFX (big-endian WAV) is not supported")
	case !bytes.HasPrefix(b, []byte("RIFF")) && !bytes.HasPrefix([]byte("RIFF"), b):
		return r.formatErr("", nil, ErrNotWAV, "not WAV: the input starts with %q, not \"RIFF\"", b[:min(len(b), 4)])
	case len(b) < 12:
		return r.formatErr("", nil, ErrTruncated, "the input ends inside the RIFF header (%d of 12 bytes)", len(b))
	case string(b[8:12]) != "WAVE":
		return r.formatErr("", nil, ErrNotWAV, "a RIFF file of form %q, not WAVE", b[8:12])
	}
	// The RIFF size (b[4:8]) is not checked: many writers get it wrong,
	// and the chunks say all we need.
	if _, err := r.src.Discard(12); err != nil {
		return r.ioErr(err)
	}
	return nil
}

// sniff names the format of a header that is a known non-WAV audio file.
func sniff(b []byte) string {
	has := func(at int, s string) bool { return len(b) >= at+len(s) && string(b[at:at+len(s)]) == s }
	switch {
	case has(0, "fLaC"):
		return "FLAC audio"
	case has(0, "OggS"):
		return "Ogg audio (Vorbis or Opus)"
	case has(0, "ID3"):
		return "MP3 audio (ID3 tag)"
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		if b[1]&0x06 == 0 { // layer bits 00: ADTS
			return "AAC audio (ADTS)"
		}
		return "MP3 audio (MPEG frame)"
	case has(0, "FORM") && (has(8, "AIFF") || has(8, "AIFC")):
		return "AIFF audio"
	case has(4, "ftyp"):
		return "MP4/M4A audio"
	case has(0, ".snd"):
		return "Sun/NeXT AU audio"
	case has(0, "caff"):
		return "Core Audio (CAF) audio"
	}
	return ""
}

// isChunkID reports whether id is four printable ASCII characters.
func isChunkID(id []byte) bool {
	for _, c := range id {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return len(id) == 4
}

// skip discards n bytes of chunk id, whose payload starts at byte off.
func (r *WAVReader) skip(n int64, id string, off int64) error {
	got, err := io.CopyN(io.Discard, r.src, n)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return r.formatErr("", nil, ErrTruncated, "%q chunk at byte %d declares %d bytes, the input ends after %d, before any data chunk", id, off-8, n, got)
	}
	return r.ioErr(err)
}

// skipPad skips the pad byte after an odd-sized chunk. Some writers omit
// it; when the next byte is not zero and a chunk ID starts right there
// but not one byte later, it is taken as missing.
func (r *WAVReader) skipPad() (bool, error) {
	b, err := r.src.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, r.ioErr(err)
	}
	if len(b) == 0 {
		return false, nil // the end; the next header read reports it
	}
	if len(b) == 5 && b[0] != 0 && isChunkID(b[:4]) && !isChunkID(b[1:5]) {
		return false, nil
	}
	_, err = r.src.Discard(1)
	return err == nil, err
}

// readFmt reads and checks the fmt chunk of size bytes starting at off.
func (r *WAVReader) readFmt(size uint32, off int64) error {
	if size < 16 {
		return r.formatErr("fmt chunk size", int(size), nil, "the fmt chunk has %d bytes, at least 16 are needed", size)
	}
	// The 40 bytes of WAVE_FORMAT_EXTENSIBLE are all we read; the rest is
	// skipped, so a lying size cannot make us allocate.
	b := make([]byte, min(size, 40))
	if n, err := io.ReadFull(r.src, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return r.formatErr("fmt chunk size", int(size), ErrTruncated, "the input ends inside the fmt chunk (%d of %d bytes)", n, size)
		}
		return r.ioErr(err)
	}
	if err := r.parseFmt(b, size); err != nil {
		return err
	}
	return r.skip(int64(size)-int64(len(b)), "fmt ", off)
}

// parseFmt checks a WAVEFORMATEX or WAVEFORMATEXTENSIBLE structure.
func (r *WAVReader) parseFmt(b []byte, size uint32) error {
	le16 := func(i int) int { return int(binary.LittleEndian.Uint16(b[i:])) }
	tag := le16(0)
	channels := le16(2)
	rate := int(binary.LittleEndian.Uint32(b[4:]))
	align := le16(12)
	bits := le16(14)

	codec, field, value := tag, "format tag", any(tag)
	if tag == tagExtensible {
		if len(b) < 40 {
			return r.formatErr("fmt chunk size", int(size), nil, "a WAVE_FORMAT_EXTENSIBLE fmt chunk needs 40 bytes, this one has %d", size)
		}
		if cb := le16(16); cb < 22 {
			return r.formatErr("cbSize", cb, nil, "a WAVE_FORMAT_EXTENSIBLE fmt chunk needs 22 extension bytes, cbSize says %d", cb)
		}
		guid := b[24:40]
		if !bytes.Equal(guid[4:], subtypeGUIDTail[:]) || guid[2] != 0 || guid[3] != 0 {
			g := guidString(guid)
			return r.formatErr("subformat", g, ErrUnsupported, "WAVE_FORMAT_EXTENSIBLE subformat %s is not supported (only PCM and IEEE float)", g)
		}
		codec, field, value = le16(24), "subformat", le16(24)
		if valid := le16(18); valid > bits {
			return r.formatErr("valid bits", valid, nil, "%d valid bits per sample do not fit in %d-bit samples", valid, bits)
		}
	}
	var enc Encoding
	switch codec {
	case tagPCM:
		enc = PCM
	case tagFloat:
		enc = Float
	default:
		return r.formatErr(field, value, ErrUnsupported,
			"%s 0x%04X (%s) is not supported; convert to PCM or float first (e.g. sox in.wav -e signed -b 16 out.wav)",
			field, codec, tagName(uint16(codec)))
	}
	switch {
	case channels == 0:
		return r.formatErr("channels", channels, nil, "the fmt chunk says 0 channels")
	case rate == 0:
		return r.formatErr("sample rate", rate, nil, "the fmt chunk says a sample rate of 0 Hz")
	case rate > maxRate:
		return r.formatErr("sample rate", rate, nil, "a sample rate of %d Hz is implausible (at most %d)", rate, maxRate)
	case bits == 0:
		return r.formatErr("bits per sample", bits, nil, "the fmt chunk says 0 bits per sample")
	}
	kind, ok := sampleKind(0), true
	switch {
	case enc == PCM && bits == 8:
		kind = kindU8
	case enc == PCM && bits == 16:
		kind = kindS16
	case enc == PCM && bits == 24:
		kind = kindS24
	case enc == PCM && bits == 32:
		kind = kindS32
	case enc == Float && bits == 32:
		kind = kindF32
	case enc == Float && bits == 64:
		kind = kindF64
	default:
		ok = false
	}
	if !ok {
		return r.formatErr("bits per sample", bits, ErrUnsupported, "%d-bit %v samples are not supported (PCM: 8, 16, 24, 32; float: 32, 64)", bits, enc)
	}
	if want := channels * bits / 8; align != want {
		return r.formatErr("block align", align, nil, "block align is %d bytes, but a frame of %d channels of %d bits takes %d", align, channels, bits, want)
	}
	r.format = Format{Rate: rate, Channels: channels, Bits: bits, Encoding: enc}
	r.kind = kind
	r.align = align
	return nil
}

// guidString formats a GUID stored in Microsoft's mixed-endian byte order.
func guidString(g []byte) string {
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}",
		binary.LittleEndian.Uint32(g[0:]), binary.LittleEndian.Uint16(g[4:]), binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:16])
}

// goAudioMaxRate is the highest rate WriteWAVFile hands to go-audio's
// Encoder, which preallocates a minute of audio (60·rate·2 bytes, 46 MB at
// 384 kHz); rarer, higher rates are written by our own header code.
const goAudioMaxRate = 384000

// writeChunk is how many samples are converted and written at a time.
const writeChunk = 16384

// WriteWAV writes s to w as a mono WAV file: 16-bit PCM for PCM, 32-bit
// IEEE float for Float. PCM samples are clipped to [-1, 1] and rounded to
// the nearest step of 1/32768 (1 becomes 32767); Float samples are stored
// as they are, even outside [-1, 1]. A signal with a non-positive rate, a
// NaN or infinite sample, or more than 4 GiB of data is an error, and so is
// an Encoding other than PCM or Float (wrapping ErrUnsupported); nothing is
// written then.
func WriteWAV(w io.Writer, s Signal, enc Encoding) error {
	hdr, err := wavHeader(s, enc)
	if err != nil {
		return fmt.Errorf("audio: write WAV: %w", err)
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("audio: write WAV: %w", err)
	}
	if err := writeSamples(w, s.Samples, enc); err != nil {
		return fmt.Errorf("audio: write WAV: %w", err)
	}
	return nil
}

// WriteWAVFile writes s to the file at path as WriteWAV does, atomically:
// it writes a temporary file in the same folder, syncs and closes it, then
// renames it over path, so path holds either its old contents or the whole
// new file. A new file gets mode 0644; a replaced one keeps its mode.
func WriteWAVFile(path string, s Signal, enc Encoding) error {
	if _, err := wavHeader(s, enc); err != nil {
		return fmt.Errorf("audio: write %s: %w", path, err)
	}
	if err := writeFileAtomic(path, s, enc); err != nil {
		return fmt.Errorf("audio: write %s: %w", path, err)
	}
	return nil
}

func writeFileAtomic(path string, s Signal, enc Encoding) (err error) {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			// The write already failed; Close and Remove only clean up.
			f.Close()
			os.Remove(tmp)
		}
	}()
	if enc == PCM && s.Rate <= goAudioMaxRate {
		err = writePCM16GoAudio(f, s)
	} else {
		bw := bufio.NewWriterSize(f, 64<<10)
		if err = WriteWAV(bw, s, enc); err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
	}
	if err != nil {
		return err
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writePCM16GoAudio writes s as 16-bit PCM with go-audio's Encoder, which
// also syncs the file in Close. The header is the same 44 bytes wavHeader
// writes.
func writePCM16GoAudio(f *os.File, s Signal) error {
	e := wav.NewEncoder(f, s.Rate, 16, 1, tagPCM)
	buf := &goaudio.IntBuffer{
		Format:         &goaudio.Format{NumChannels: 1, SampleRate: s.Rate},
		SourceBitDepth: 16,
		Data:           make([]int, 0, min(len(s.Samples), writeChunk)),
	}
	// Write at least once: the Encoder writes no header for zero Writes,
	// and its Close then patches sizes into nothing.
	for i := 0; i == 0 || i < len(s.Samples); i += writeChunk {
		buf.Data = buf.Data[:0]
		for _, x := range s.Samples[i:min(i+writeChunk, len(s.Samples))] {
			buf.Data = append(buf.Data, int(pcm16(x)))
		}
		if err := e.Write(buf); err != nil {
			return err
		}
	}
	return e.Close()
}

// pcm16 converts x to a 16-bit sample: clipped to [-1, 1], scaled by 32768
// (the inverse of ReadWAV's scale), rounded half away from zero, and
// 32768 clamped to 32767.
func pcm16(x float32) int16 {
	v := math.Round(float64(max(-1, min(1, x))) * 32768)
	return int16(min(v, math.MaxInt16))
}

// wavHeader checks s and enc and returns the header up to the first sample.
// PCM gets the canonical 44-byte header; Float a WAVEFORMATEX with cbSize 0
// and a fact chunk, as the WAVE specification asks of non-PCM formats.
func wavHeader(s Signal, enc Encoding) ([]byte, error) {
	if s.Rate <= 0 || s.Rate > maxRate {
		return nil, fmt.Errorf("sample rate %d Hz out of range (1 to %d)", s.Rate, maxRate)
	}
	var size, fmtSize, extra int
	switch enc {
	case PCM:
		size, fmtSize = 2, 16
	case Float:
		size, fmtSize, extra = 4, 18, 12 // cbSize; fact chunk
	default:
		return nil, &sentinelError{fmt.Sprintf("cannot write encoding %v (PCM or Float)", enc), ErrUnsupported}
	}
	for i, x := range s.Samples {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("sample %d is %v", i, x)
		}
	}
	hdrLen := 12 + 8 + fmtSize + extra + 8
	data := int64(len(s.Samples)) * int64(size)
	if data+int64(hdrLen)-8 > math.MaxUint32 {
		return nil, fmt.Errorf("%d samples take %d bytes, more than a WAV file holds (4 GiB)", len(s.Samples), data)
	}
	h := make([]byte, 0, hdrLen)
	le := binary.LittleEndian
	tag := tagPCM
	if enc == Float {
		tag = tagFloat
	}
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, uint32(int64(hdrLen)-8+data))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, uint32(fmtSize))
	h = le.AppendUint16(h, uint16(tag))
	h = le.AppendUint16(h, 1) // channels
	h = le.AppendUint32(h, uint32(s.Rate))
	h = le.AppendUint32(h, uint32(s.Rate*size)) // bytes per second
	h = le.AppendUint16(h, uint16(size))        // block align
	h = le.AppendUint16(h, uint16(8*size))      // bits per sample
	if enc == Float {
		h = le.AppendUint16(h, 0) // cbSize
		h = append(h, "fact"...)
		h = le.AppendUint32(h, 4)
		h = le.AppendUint32(h, uint32(len(s.Samples)))
	}
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(data))
	return h, nil
}

// writeSamples writes the samples of a file wavHeader accepted.
func writeSamples(w io.Writer, samples []float32, enc Encoding) error {
	size := 2
	if enc == Float {
		size = 4
	}
	buf := make([]byte, 0, min(len(samples), writeChunk)*size)
	for i := 0; i < len(samples); i += writeChunk {
		buf = buf[:0]
		for _, x := range samples[i:min(i+writeChunk, len(samples))] {
			if enc == Float {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
			} else {
				buf = binary.LittleEndian.AppendUint16(buf, uint16(pcm16(x)))
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// sentinelError is an error with its own message that still matches a
// sentinel with errors.Is, without repeating the sentinel's text.
type sentinelError struct {
	msg string
	err error
}

func (e *sentinelError) Error() string { return e.msg }
func (e *sentinelError) Unwrap() error { return e.err }
