package audio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-audio/wav"

	"github.com/parley-ai/parley/audio"
)

// The -update flag rewrites testdata files. Golden tests of other files in
// this package may register it too, so it is registered here only when
// nobody has.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// --- A small WAV builder: every test input is spelled out chunk by chunk.

func le16(v uint16) []byte       { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte       { return binary.LittleEndian.AppendUint32(nil, v) }
func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// riff returns a RIFF/WAVE file of the chunks, with a correct RIFF size.
func riff(chunks ...[]byte) []byte {
	body := cat(chunks...)
	return cat([]byte("RIFF"), le32(uint32(4+len(body))), []byte("WAVE"), body)
}

// riffSized returns a RIFF/WAVE file whose RIFF size field says size.
func riffSized(size uint32, chunks ...[]byte) []byte {
	return cat([]byte("RIFF"), le32(size), []byte("WAVE"), cat(chunks...))
}

// chunk returns a chunk with its true size and, when that is odd, the
// zero pad byte.
func chunk(id string, data []byte) []byte {
	c := cat([]byte(id), le32(uint32(len(data))), data)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// chunkSized returns a chunk whose header declares size, whatever
// len(data), and no pad byte.
func chunkSized(id string, size uint32, data []byte) []byte {
	return cat([]byte(id), le32(size), data)
}

// fmtFields returns a fmt chunk with every field given.
func fmtFields(tag, channels uint16, rate uint32, align, bits uint16, ext []byte) []byte {
	return chunk("fmt ", cat(le16(tag), le16(channels), le32(rate), le32(rate*uint32(align)), le16(align), le16(bits), ext))
}

// fmtChunk returns a 16-byte fmt chunk with a consistent block align.
func fmtChunk(tag, channels uint16, rate uint32, bits uint16) []byte {
	return fmtFields(tag, channels, rate, channels*bits/8, bits, nil)
}

// fmtExtensible returns a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk whose
// subformat GUID is the KSDATAFORMAT_SUBTYPE of tag.
func fmtExtensible(channels uint16, rate uint32, bits, valid, tag uint16) []byte {
	guid := cat(le16(tag), []byte{0, 0, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	ext := cat(le16(22), le16(valid), le32(0x4), guid) // cbSize, valid bits, channel mask (front centre)
	return fmtFields(0xFFFE, channels, rate, channels*bits/8, bits, ext)
}

func u8(v ...uint8) []byte { return v }

func s16(v ...int16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, uint16(x))
	}
	return b
}

func s24(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = append(b, byte(x), byte(x>>8), byte(x>>16))
	}
	return b
}

func s32(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func f32(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func f64(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// listInfo is a LIST/INFO chunk payload naming the software, as ffmpeg
// writes it (ISFT "Lavf").
var listInfo = cat([]byte("INFOISFT"), le32(5), []byte("Lavf\x00\x00"))

// Formats used below.
var (
	mono16 = audio.Format{Rate: 16000, Channels: 1, Bits: 16, Encoding: audio.PCM}
	fmt16  = fmtChunk(1, 1, 16000, 16)
)

type readCase struct {
	name   string
	in     []byte
	opts   audio.ReadOptions
	format audio.Format
	frames int64 // Frames() of the reader
	want   []float32
}

// readCases are valid inputs and the samples they hold. PCM scales are
// s/2^(bits-1); 8-bit is (u-128)/128.
func readCases() []readCase {
	const max16 = 32767.0 / 32768
	return []readCase{
		{
			name:   "16bit_mono",
			in:     riff(fmt16, chunk("data", s16(0, 16384, -16384, -32768, 32767))),
			format: mono16, frames: 5,
			want: []float32{0, 0.5, -0.5, -1, max16},
		},
		{
			name:   "8bit_unsigned",
			in:     riff(fmtChunk(1, 1, 8000, 8), chunk("data", u8(128, 192, 64, 0, 255))),
			format: audio.Format{Rate: 8000, Channels: 1, Bits: 8, Encoding: audio.PCM}, frames: 5,
			want: []float32{0, 0.5, -0.5, -1, 127.0 / 128},
		},
		{
			name:   "24bit",
			in:     riff(fmtChunk(1, 1, 48000, 24), chunk("data", s24(0, 1<<22, -(1<<22), -(1<<23), 1<<23-1))),
			format: audio.Format{Rate: 48000, Channels: 1, Bits: 24, Encoding: audio.PCM}, frames: 5,
			want: []float32{0, 0.5, -0.5, -1, (1<<23 - 1) / float32(1<<23)},
		},
		{
			name:   "24bit_LIST_before_data",
			in:     riff(fmtChunk(1, 1, 48000, 24), chunk("LIST", listInfo), chunk("data", s24(1<<22, -(1<<21)))),
			format: audio.Format{Rate: 48000, Channels: 1, Bits: 24, Encoding: audio.PCM}, frames: 2,
			want: []float32{0.5, -0.25},
		},
		{
			name:   "32bit",
			in:     riff(fmtChunk(1, 1, 44100, 32), chunk("data", s32(0, 1<<30, -(1<<30), math.MinInt32))),
			format: audio.Format{Rate: 44100, Channels: 1, Bits: 32, Encoding: audio.PCM}, frames: 4,
			want: []float32{0, 0.5, -0.5, -1},
		},
		{
			name:   "float32_beyond_full_scale_kept",
			in:     riff(fmtChunk(3, 1, 22050, 32), chunk("data", f32(0.25, -0.75, 1.5))),
			format: audio.Format{Rate: 22050, Channels: 1, Bits: 32, Encoding: audio.Float}, frames: 3,
			want: []float32{0.25, -0.75, 1.5},
		},
		{
			name:   "float64",
			in:     riff(fmtChunk(3, 1, 16000, 64), chunk("data", f64(0.125, -1, 1e-3))),
			format: audio.Format{Rate: 16000, Channels: 1, Bits: 64, Encoding: audio.Float}, frames: 3,
			want: []float32{0.125, -1, 1e-3},
		},
		{
			name:   "extensible_pcm16",
			in:     riff(fmtExtensible(1, 16000, 16, 16, 1), chunk("data", s16(8192, -8192))),
			format: mono16, frames: 2,
			want: []float32{0.25, -0.25},
		},
		{
			// 20 valid bits, left-justified in 24-bit containers.
			name:   "extensible_pcm24_20_valid_bits",
			in:     riff(fmtExtensible(1, 96000, 24, 20, 1), chunk("data", s24(1<<22, -(1<<23)))),
			format: audio.Format{Rate: 96000, Channels: 1, Bits: 24, Encoding: audio.PCM}, frames: 2,
			want: []float32{0.5, -1},
		},
		{
			name:   "extensible_float32",
			in:     riff(fmtExtensible(1, 16000, 32, 32, 3), chunk("fact", le32(2)), chunk("data", f32(0.5, -0.125))),
			format: audio.Format{Rate: 16000, Channels: 1, Bits: 32, Encoding: audio.Float}, frames: 2,
			want: []float32{0.5, -0.125},
		},
		{
			name:   "extensible_float64",
			in:     riff(fmtExtensible(1, 16000, 64, 64, 3), chunk("data", f64(0.75))),
			format: audio.Format{Rate: 16000, Channels: 1, Bits: 64, Encoding: audio.Float}, frames: 1,
			want: []float32{0.75},
		},
		{
			// Frames (L, R): (0.5, -0.25), (-1, -1), (0.25, 0.75).
			name:   "stereo_mixdown",
			in:     riff(fmtChunk(1, 2, 16000, 16), chunk("data", s16(16384, -8192, -32768, -32768, 8192, 24576))),
			format: audio.Format{Rate: 16000, Channels: 2, Bits: 16, Encoding: audio.PCM}, frames: 3,
			want: []float32{0.125, -1, 0.5},
		},
		{
			name:   "stereo_pick_channel_1",
			in:     riff(fmtChunk(1, 2, 16000, 16), chunk("data", s16(16384, -8192, -32768, -32768, 8192, 24576))),
			opts:   audio.ReadOptions{Channel: 1},
			format: audio.Format{Rate: 16000, Channels: 2, Bits: 16, Encoding: audio.PCM}, frames: 3,
			want: []float32{0.5, -1, 0.25},
		},
		{
			name:   "stereo_pick_channel_2",
			in:     riff(fmtChunk(1, 2, 16000, 16), chunk("data", s16(16384, -8192, -32768, -32768, 8192, 24576))),
			opts:   audio.ReadOptions{Channel: 2},
			format: audio.Format{Rate: 16000, Channels: 2, Bits: 16, Encoding: audio.PCM}, frames: 3,
			want: []float32{-0.25, -1, 0.75},
		},
		{
			name:   "5ch_24bit_pick_channel_5",
			in:     riff(fmtChunk(1, 5, 48000, 24), chunk("data", s24(0, 0, 0, 0, 1<<22, 1, 2, 3, 4, -(1<<21)))),
			opts:   audio.ReadOptions{Channel: 5},
			format: audio.Format{Rate: 48000, Channels: 5, Bits: 24, Encoding: audio.PCM}, frames: 2,
			want: []float32{0.5, -0.25},
		},
		{
			// Four channels of float32 (1, 0.5, -0.5, -1) mix down to 0.
			name:   "4ch_float32_mixdown",
			in:     riff(fmtChunk(3, 4, 16000, 32), chunk("data", f32(1, 0.5, -0.5, -1, 0.5, 0.5, 0.5, 0.5))),
			format: audio.Format{Rate: 16000, Channels: 4, Bits: 32, Encoding: audio.Float}, frames: 2,
			want: []float32{0, 0.5},
		},
		{
			name:   "odd_chunk_padding",
			in:     riff(fmt16, chunk("JUNK", []byte{1, 2, 3}), chunk("data", s16(16384))),
			format: mono16, frames: 1,
			want: []float32{0.5},
		},
		{
			// Some writers forget the pad byte after an odd-sized chunk.
			name:   "odd_chunk_missing_pad",
			in:     riff(fmt16, chunkSized("JUNK", 3, []byte{1, 2, 3}), chunk("data", s16(16384))),
			format: mono16, frames: 1,
			want: []float32{0.5},
		},
		{
			name: "fact_bext_JUNK_before_data",
			in: riff(fmtFields(3, 1, 16000, 4, 32, le16(0)), chunk("fact", le32(1)),
				chunk("bext", bytes.Repeat([]byte{'x'}, 602)), chunk("JUNK", make([]byte, 28)), chunk("data", f32(-0.5))),
			format: audio.Format{Rate: 16000, Channels: 1, Bits: 32, Encoding: audio.Float}, frames: 1,
			want: []float32{-0.5},
		},
		{
			name:   "LIST_after_data_not_read_as_samples",
			in:     riff(fmt16, chunk("data", s16(16384, 8192)), chunk("LIST", listInfo)),
			format: mono16, frames: 2,
			want: []float32{0.5, 0.25},
		},
		{
			name:   "odd_data_size_pad_then_LIST",
			in:     riff(fmtChunk(1, 1, 8000, 8), chunk("data", u8(255, 128, 0)), chunk("LIST", listInfo)),
			format: audio.Format{Rate: 8000, Channels: 1, Bits: 8, Encoding: audio.PCM}, frames: 3,
			want: []float32{127.0 / 128, 0, -1},
		},
		{
			name:   "fmt_18_bytes_cbSize_0",
			in:     riff(fmtFields(1, 1, 16000, 2, 16, le16(0)), chunk("data", s16(-16384))),
			format: mono16, frames: 1,
			want: []float32{-0.5},
		},
		{
			name:   "fmt_with_extra_bytes_skipped",
			in:     riff(fmtFields(1, 1, 16000, 2, 16, cat(le16(32), make([]byte, 32))), chunk("data", s16(-16384))),
			format: mono16, frames: 1,
			want: []float32{-0.5},
		},
		{
			// ffmpeg writing to a pipe leaves both sizes at 0xFFFFFFFF;
			// the stray byte at the end is a partial frame, dropped.
			name:   "streamed_unknown_size_partial_frame_dropped",
			in:     riffSized(0xFFFFFFFF, fmt16, chunkSized("data", 0xFFFFFFFF, cat(s16(16384, -16384, 8192), []byte{7}))),
			format: mono16, frames: -1,
			want: []float32{0.5, -0.5, 0.25},
		},
		{
			name:   "riff_size_wrong_ignored",
			in:     riffSized(0, fmt16, chunk("data", s16(16384))),
			format: mono16, frames: 1,
			want: []float32{0.5},
		},
		{
			name:   "empty_data_chunk",
			in:     riff(fmt16, chunk("data", nil)),
			format: mono16, frames: 0,
			want: []float32{},
		},
	}
}

func TestReadWAV(t *testing.T) {
	t.Parallel()
	for _, tc := range readCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sig, f, err := audio.ReadWAV(bytes.NewReader(tc.in), tc.opts)
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if f != tc.format {
				t.Errorf("format = %+v, want %+v", f, tc.format)
			}
			if sig.Rate != tc.format.Rate {
				t.Errorf("rate = %d, want %d", sig.Rate, tc.format.Rate)
			}
			if !slices.Equal(sig.Samples, tc.want) {
				t.Errorf("samples = %v, want %v", sig.Samples, tc.want)
			}

			r, err := audio.NewWAVReader(bytes.NewReader(tc.in), tc.opts)
			if err != nil {
				t.Fatalf("NewWAVReader: %v", err)
			}
			if got := r.Frames(); got != tc.frames {
				t.Errorf("Frames() = %d, want %d", got, tc.frames)
			}
			if got := r.Format(); got != tc.format {
				t.Errorf("Format() = %+v, want %+v", got, tc.format)
			}
		})
	}
}

// TestWAVReaderSmallReads reads every case two frames at a time (and with
// a one-byte-at-a-time source) and expects what ReadWAV returns.
func TestWAVReaderSmallReads(t *testing.T) {
	t.Parallel()
	for _, tc := range readCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := audio.NewWAVReader(iotest.OneByteReader(bytes.NewReader(tc.in)), tc.opts)
			if err != nil {
				t.Fatalf("NewWAVReader: %v", err)
			}
			if n, err := r.Read(nil); n != 0 || err != nil {
				t.Errorf("Read(nil) = %d, %v; want 0, nil", n, err)
			}
			got := []float32{}
			dst := make([]float32, 2)
			for {
				n, err := r.Read(dst)
				got = append(got, dst[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if n == 0 {
					t.Fatal("Read returned 0, nil for a non-empty dst")
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("samples = %v, want %v", got, tc.want)
			}
			if n, err := r.Read(dst); n != 0 || err != io.EOF {
				t.Errorf("Read after the end = %d, %v; want 0, EOF", n, err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

type errorCase struct {
	name  string
	in    []byte
	opts  audio.ReadOptions
	is    error  // sentinel the error wraps; nil for none
	field string // FormatError.Field; "-" when the error is no *FormatError
	msg   string // substring of the message
}

func errorCases() []errorCase {
	data16 := chunk("data", s16(1, 2))
	return []errorCase{
		{name: "empty", in: nil, is: audio.ErrTruncated, msg: "empty input"},
		{name: "RIFF_only", in: []byte("RIFF"), is: audio.ErrTruncated, msg: "inside the RIFF header"},
		{name: "no_chunks", in: riff(), is: audio.ErrTruncated, msg: "no fmt chunk and no data chunk"},
		{name: "fmt_but_no_data", in: riff(fmt16), is: audio.ErrTruncated, msg: "no data chunk"},
		{name: "cut_chunk_header", in: cat(riff(fmt16), []byte("da")), is: audio.ErrTruncated, msg: "inside a chunk header"},
		{name: "cut_fmt_chunk", in: riff(chunkSized("fmt ", 16, le16(1))), is: audio.ErrTruncated, field: "fmt chunk size", msg: "inside the fmt chunk"},
		{name: "LIST_size_past_end", in: riff(fmt16, chunkSized("LIST", 1000, listInfo)), is: audio.ErrTruncated, msg: `"LIST" chunk`},
		{name: "mp3_ID3", in: []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), is: audio.ErrNotWAV, msg: "MP3 audio (ID3 tag), not WAV"},
		{name: "mp3_frame_sync", in: []byte{0xFF, 0xFB, 0x90, 0x64, 0, 0}, is: audio.ErrNotWAV, msg: "MP3 audio"},
		{name: "aac_adts", in: []byte{0xFF, 0xF1, 0x50, 0x80}, is: audio.ErrNotWAV, msg: "AAC audio"},
		{name: "flac", in: []byte("fLaC\x00\x00\x00\x22"), is: audio.ErrNotWAV, msg: "FLAC audio, not WAV"},
		{name: "ogg", in: []byte("OggS\x00\x02"), is: audio.ErrNotWAV, msg: "Ogg audio"},
		{name: "aiff", in: []byte("FORM\x00\x00\x00\x10AIFFCOMM"), is: audio.ErrNotWAV, msg: "AIFF audio"},
		{name: "mp4", in: []byte("\x00\x00\x00\x20ftypM4A "), is: audio.ErrNotWAV, msg: "MP4/M4A"},
		{name: "riff_avi", in: []byte("RIFF\x04\x00\x00\x00AVI "), is: audio.ErrNotWAV, msg: `form "AVI "`},
		{name: "text", in: []byte("hello, world\n"), is: audio.ErrNotWAV, msg: `starts with "hell"`},
		{name: "rf64", in: []byte("RF64\xFF\xFF\xFF\xFFWAVE"), is: audio.ErrUnsupported, msg: "RF64"},
		{name: "rifx_big_endian", in: []byte("RIFX\x00\x00\x00\x24WAVE"), is: audio.ErrUnsupported, msg: "RIFX"},
		{name: "alaw", in: riff(fmtChunk(6, 1, 8000, 8), data16), is: audio.ErrUnsupported, field: "format tag", msg: "0x0006 (A-law)"},
		{name: "mulaw", in: riff(fmtChunk(7, 1, 8000, 8), data16), is: audio.ErrUnsupported, field: "format tag", msg: "0x0007 (µ-law)"},
		{name: "ms_adpcm", in: riff(fmtFields(2, 1, 8000, 256, 4, le16(32)), data16), is: audio.ErrUnsupported, field: "format tag", msg: "Microsoft ADPCM"},
		{name: "ima_adpcm", in: riff(fmtFields(0x11, 1, 8000, 256, 4, le16(2)), data16), is: audio.ErrUnsupported, field: "format tag", msg: "IMA ADPCM"},
		{name: "mp3_in_wav", in: riff(fmtChunk(0x55, 1, 8000, 0), data16), is: audio.ErrUnsupported, field: "format tag", msg: "(MP3)"},
		{name: "unknown_tag", in: riff(fmtChunk(0x1234, 1, 8000, 16), data16), is: audio.ErrUnsupported, field: "format tag", msg: "0x1234 (unknown codec)"},
		{name: "extensible_mulaw", in: riff(fmtExtensible(1, 8000, 8, 8, 7), data16), is: audio.ErrUnsupported, field: "subformat", msg: "subformat 0x0007 (µ-law)"},
		{name: "extensible_foreign_guid", in: riff(fmtFields(0xFFFE, 1, 8000, 2, 16, cat(le16(22), le16(16), le32(4), bytes.Repeat([]byte{0xAB}, 16))), data16),
			is: audio.ErrUnsupported, field: "subformat", msg: "{ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB}"},
		{name: "extensible_fmt_too_short", in: riff(fmtFields(0xFFFE, 1, 8000, 2, 16, le16(0)), data16), field: "fmt chunk size", msg: "needs 40 bytes"},
		{name: "extensible_cbSize_short", in: riff(fmtFields(0xFFFE, 1, 8000, 2, 16, cat(le16(10), make([]byte, 22))), data16), field: "cbSize", msg: "cbSize says 10"},
		{name: "extensible_valid_bits_exceed", in: riff(fmtExtensible(1, 8000, 16, 24, 1), data16), field: "valid bits", msg: "24 valid bits"},
		{name: "float16", in: riff(fmtChunk(3, 1, 8000, 16), data16), is: audio.ErrUnsupported, field: "bits per sample", msg: "16-bit float"},
		{name: "pcm12", in: riff(fmtFields(1, 1, 8000, 2, 12, nil), data16), is: audio.ErrUnsupported, field: "bits per sample", msg: "12-bit PCM"},
		{name: "pcm64", in: riff(fmtChunk(1, 1, 8000, 64), data16), is: audio.ErrUnsupported, field: "bits per sample", msg: "64-bit PCM"},
		{name: "zero_channels", in: riff(fmtFields(1, 0, 8000, 2, 16, nil), data16), field: "channels", msg: "0 channels"},
		{name: "zero_rate", in: riff(fmtChunk(1, 1, 0, 16), data16), field: "sample rate", msg: "0 Hz"},
		{name: "absurd_rate", in: riff(fmtChunk(1, 1, 0xFFFFFFF0, 16), data16), field: "sample rate", msg: "implausible"},
		{name: "zero_bits", in: riff(fmtFields(1, 1, 8000, 2, 0, nil), data16), field: "bits per sample", msg: "0 bits"},
		{name: "block_align_mismatch", in: riff(fmtFields(1, 2, 8000, 2, 16, nil), data16), field: "block align", msg: "block align is 2 bytes, but a frame of 2 channels of 16 bits takes 4"},
		{name: "block_align_zero", in: riff(fmtFields(1, 1, 8000, 0, 16, nil), data16), field: "block align", msg: "block align is 0"},
		{name: "fmt_too_small", in: riff(chunk("fmt ", make([]byte, 14)), data16), field: "fmt chunk size", msg: "has 14 bytes"},
		{name: "data_before_fmt", in: riff(data16, fmt16), field: "chunk ID", msg: "before the fmt chunk"},
		{name: "two_fmt_chunks", in: riff(fmt16, fmt16, data16), field: "chunk ID", msg: "second fmt chunk"},
		{name: "garbage_chunk_ID", in: riff(fmt16, chunk("\x00\x01ab", nil), data16), field: "chunk ID", msg: "not a RIFF four-character code"},
		{name: "data_size_beyond_end", in: riff(fmt16, chunkSized("data", 100, s16(1, 2, 3))), is: audio.ErrTruncated, field: "data chunk size", msg: "declares 50 frames, the input ends after 3"},
		{name: "data_size_not_whole_frames", in: riff(fmtChunk(1, 2, 8000, 16), chunk("data", cat(s16(1, 2), []byte{9, 9, 9}))), is: audio.ErrTruncated, field: "data chunk size", msg: "3 bytes of a cut frame"},
		{name: "float32_NaN", in: riff(fmtChunk(3, 1, 8000, 32), chunk("data", f32(0.5, float32(math.NaN())))), msg: "frame 1 is not a finite number"},
		{name: "float64_overflows_float32", in: riff(fmtChunk(3, 1, 8000, 64), chunk("data", f64(1e300))), msg: "frame 0 is not a finite number"},
		{name: "channel_out_of_range", in: riff(fmtChunk(1, 2, 8000, 16), data16), opts: audio.ReadOptions{Channel: 3}, field: "-", msg: "channel 3 requested, but the file has 2"},
		{name: "channel_negative", in: riff(fmt16, data16), opts: audio.ReadOptions{Channel: -1}, field: "-", msg: "counted from 1"},
	}
}

func TestReadWAVErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range errorCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := audio.ReadWAV(bytes.NewReader(tc.in), tc.opts)
			checkError(t, err, tc)
		})
	}
}

func checkError(t *testing.T, err error, tc errorCase) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if tc.is != nil && !errors.Is(err, tc.is) {
		t.Errorf("error %q does not wrap %q", err, tc.is)
	}
	for _, s := range []error{audio.ErrNotWAV, audio.ErrTruncated, audio.ErrUnsupported} {
		if s != tc.is && errors.Is(err, s) {
			t.Errorf("error %q wraps %q too", err, s)
		}
	}
	var fe *audio.FormatError
	switch {
	case tc.field == "-":
		if errors.As(err, &fe) {
			t.Errorf("error %q is a *FormatError; want another error", err)
		}
	case !errors.As(err, &fe):
		t.Errorf("error %q (%T) is no *FormatError", err, err)
	case fe.Field != tc.field:
		t.Errorf("FormatError.Field = %q, want %q (error %q)", fe.Field, tc.field, err)
	}
	if !strings.HasPrefix(err.Error(), "audio: ") || !strings.Contains(err.Error(), tc.msg) {
		t.Errorf("error %q: want the prefix \"audio: \" and %q", err, tc.msg)
	}
}

// TestReadWAVTruncatedKeepsFrames checks that the whole frames before a
// cut are returned with ErrTruncated.
func TestReadWAVTruncatedKeepsFrames(t *testing.T) {
	t.Parallel()
	in := riff(fmt16, chunkSized("data", 100, cat(s16(16384, -16384), []byte{1})))
	sig, f, err := audio.ReadWAV(bytes.NewReader(in), audio.ReadOptions{})
	if !errors.Is(err, audio.ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if f != mono16 || sig.Rate != 16000 {
		t.Errorf("format %+v, rate %d; want %+v", f, sig.Rate, mono16)
	}
	if want := []float32{0.5, -0.5}; !slices.Equal(sig.Samples, want) {
		t.Errorf("samples = %v, want %v", sig.Samples, want)
	}
}

func TestFormatErrorMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  audio.FormatError
		want string
	}{
		{audio.FormatError{File: "x.wav", Problem: "FLAC audio, not WAV", Err: audio.ErrNotWAV}, "audio: read x.wav: FLAC audio, not WAV"},
		{audio.FormatError{Problem: "FLAC audio, not WAV"}, "audio: FLAC audio, not WAV"},
		{audio.FormatError{Field: "channels", Value: 0}, "audio: invalid channels 0"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestEncodingAndFormatString(t *testing.T) {
	t.Parallel()
	for e, want := range map[audio.Encoding]string{audio.PCM: "PCM", audio.Float: "float", 0: "Encoding(0)", 7: "Encoding(7)"} {
		if got := e.String(); got != want {
			t.Errorf("Encoding(%d).String() = %q, want %q", int(e), got, want)
		}
	}
	f := audio.Format{Rate: 44100, Channels: 2, Bits: 24, Encoding: audio.PCM}
	if got, want := f.String(), "44100 Hz, 2 channels, 24-bit PCM"; got != want {
		t.Errorf("Format.String() = %q, want %q", got, want)
	}
}

// --- Broken readers.

// stallReader returns (0, nil) forever once its data is gone.
type stallReader struct{ data []byte }

func (r *stallReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// badCountReader returns an impossible byte count.
type badCountReader struct{ n int }

func (r badCountReader) Read(p []byte) (int, error) { return r.n, nil }

func TestReadWAVBrokenReaders(t *testing.T) {
	t.Parallel()
	errDisk := errors.New("disk on fire")
	good := riff(fmt16, chunk("data", s16(1, 2, 3, 4)))
	for _, tc := range []struct {
		name string
		r    io.Reader
		is   error
	}{
		{"stalls_before_header", &stallReader{}, io.ErrNoProgress},
		{"stalls_in_header", &stallReader{data: good[:20]}, io.ErrNoProgress},
		{"stalls_in_data", &stallReader{data: good[:46]}, io.ErrNoProgress},
		{"io_error_in_header", io.MultiReader(bytes.NewReader(good[:10]), iotest.ErrReader(errDisk)), errDisk},
		{"io_error_in_data", io.MultiReader(bytes.NewReader(good[:46]), iotest.ErrReader(errDisk)), errDisk},
		{"timeout", iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(good))), iotest.ErrTimeout},
		{"negative_count", badCountReader{-1}, nil},
		{"count_beyond_buffer", badCountReader{1 << 30}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := audio.ReadWAV(tc.r, audio.ReadOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %q", err, tc.is)
			}
			var fe *audio.FormatError
			if errors.As(err, &fe) {
				t.Errorf("I/O error %q reported as a *FormatError", err)
			}
		})
	}
	t.Run("data_with_EOF", func(t *testing.T) {
		t.Parallel()
		sig, _, err := audio.ReadWAV(iotest.DataErrReader(bytes.NewReader(good)), audio.ReadOptions{})
		if err != nil || len(sig.Samples) != 4 {
			t.Errorf("got %d samples, %v; want 4, nil", len(sig.Samples), err)
		}
	})
}

// --- Streaming.

// longWAV returns a reader of a mono 16-bit WAV with n samples of a
// repeating ramp, generated as it is read; dataSize is the size the
// header declares.
func longWAV(n int, dataSize uint32) io.Reader {
	hdr := riff(fmt16, chunkSized("data", dataSize, nil))
	hdr = slices.Replace(hdr, 4, 8, le32(0xFFFFFFFF)...)
	return io.MultiReader(bytes.NewReader(hdr), io.LimitReader(&rampReader{}, int64(2*n)))
}

// rampReader produces 16-bit samples 0, 1, ..., 255, 0, 1, ...
type rampReader struct{ pos int }

func (r *rampReader) Read(p []byte) (int, error) {
	for i := range p {
		if r.pos%2 == 0 {
			p[i] = byte(r.pos / 2 % 256)
		} else {
			p[i] = 0
		}
		r.pos++
	}
	return len(p), nil
}

// TestWAVReaderBoundedMemory streams 8 MiB of samples and checks that the
// reader allocates a small, fixed amount, whatever the length.
func TestWAVReaderBoundedMemory(t *testing.T) {
	const n = 4 << 20 // samples: 8 MiB of data
	for _, tc := range []struct {
		name   string
		size   uint32
		frames int64
	}{
		{"known_size", 2 * n, n},
		{"unknown_size", 0xFFFFFFFF, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float32, 4096)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := audio.NewWAVReader(longWAV(n, tc.size), audio.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Frames() != tc.frames {
				t.Errorf("Frames() = %d, want %d", r.Frames(), tc.frames)
			}
			total := 0
			for {
				k, err := r.Read(dst)
				if k > 0 && dst[k-1] != float32((total+k-1)%256)/32768 {
					t.Fatalf("sample %d = %v, want %v", total+k-1, dst[k-1], float32((total+k-1)%256)/32768)
				}
				total += k
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			if total != n {
				t.Errorf("read %d samples, want %d", total, n)
			}
			// 32 KiB raw buffer + 4 KiB bufio + small change; the data is
			// 8 MiB.
			if got := after.TotalAlloc - before.TotalAlloc; got > 256<<10 {
				t.Errorf("streaming %d bytes allocated %d bytes", 2*n, got)
			}
		})
	}
}

// TestReadWAVLyingHeaderAllocation checks that a header declaring 2^31
// frames over a few bytes of data allocates little.
func TestReadWAVLyingHeaderAllocation(t *testing.T) {
	in := riff(fmt16, chunkSized("data", 0xFFFFFFFE, s16(1, 2)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := audio.ReadWAV(bytes.NewReader(in), audio.ReadOptions{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, audio.ErrTruncated) {
		t.Errorf("err = %v, want ErrTruncated", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("a %d-byte input allocated %d bytes", len(in), got)
	}
}

// --- Files and stdin.

func TestReadWAVFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := riff(fmtChunk(1, 2, 16000, 16), chunk("data", s16(16384, 0, -16384, 0)))
	path := filepath.Join(dir, "stereo.wav")
	if err := os.WriteFile(path, in, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("file_pick_channel_1", func(t *testing.T) {
		sig, f, err := audio.ReadWAVFile(path, audio.ReadOptions{Channel: 1})
		if err != nil {
			t.Fatal(err)
		}
		if f.Channels != 2 || !slices.Equal(sig.Samples, []float32{0.5, -0.5}) {
			t.Errorf("got %v %+v", sig.Samples, f)
		}
	})
	t.Run("stdin_dash", func(t *testing.T) {
		sig, _, err := audio.ReadWAVFile("-", audio.ReadOptions{Stdin: bytes.NewReader(in)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sig.Samples, []float32{0.25, -0.25}) {
			t.Errorf("samples %v", sig.Samples)
		}
	})
	t.Run("stdin_error_names_stdin", func(t *testing.T) {
		_, _, err := audio.ReadWAVFile("-", audio.ReadOptions{Stdin: strings.NewReader("fLaC....")})
		var fe *audio.FormatError
		if !errors.As(err, &fe) || fe.File != "stdin" {
			t.Fatalf("err = %v, want a FormatError for stdin", err)
		}
	})
	t.Run("missing_file", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.wav")
		_, _, err := audio.ReadWAVFile(missing, audio.ReadOptions{})
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
			t.Errorf("err = %v, want ErrNotExist naming the path", err)
		}
	})
	t.Run("flac_file_named", func(t *testing.T) {
		flac := filepath.Join(dir, "x.wav")
		if err := os.WriteFile(flac, []byte("fLaC\x00\x00\x00\x22"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := audio.ReadWAVFile(flac, audio.ReadOptions{})
		var fe *audio.FormatError
		if !errors.Is(err, audio.ErrNotWAV) || !errors.As(err, &fe) || fe.File != flac {
			t.Fatalf("err = %v, want ErrNotWAV naming %s", err, flac)
		}
		if want := "audio: read " + flac + ": FLAC audio, not WAV"; err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	})
	t.Run("truncated_file_keeps_frames", func(t *testing.T) {
		cut := filepath.Join(dir, "cut.wav")
		if err := os.WriteFile(cut, in[:len(in)-2], 0o644); err != nil {
			t.Fatal(err)
		}
		sig, _, err := audio.ReadWAVFile(cut, audio.ReadOptions{})
		if !errors.Is(err, audio.ErrTruncated) || !strings.Contains(err.Error(), cut) || len(sig.Samples) != 1 {
			t.Errorf("got %d samples, %v; want 1 sample and ErrTruncated naming the path", len(sig.Samples), err)
		}
	})
	t.Run("OpenWAV_close", func(t *testing.T) {
		r, err := audio.OpenWAV(path, audio.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := r.Read(make([]float32, 4)); !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close: %v, want os.ErrClosed", err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestReadWAVRealFile reads CMU ARCTIC recordings (16 kHz mono 16-bit,
// a few seconds each) from the shared data folder.
func TestReadWAVRealFile(t *testing.T) {
	dir := filepath.Join(wavDataDir(t), "cathy_arctic", "wav16k")
	paths, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil || len(paths) == 0 {
		t.Skipf("no WAV files in %s (set PARLEY_DATA to the shared data folder)", dir)
	}
	slices.Sort(paths)
	for _, p := range paths[:min(3, len(paths))] {
		sig, f, err := audio.ReadWAVFile(p, audio.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if f != mono16 {
			t.Errorf("%s: format %v, want %v", p, f, mono16)
		}
		// ARCTIC prompts are one sentence: 1 to 10 s.
		if d := sig.Duration(); d.Seconds() < 1 || d.Seconds() > 10 {
			t.Errorf("%s: duration %v", p, d)
		}
		var peak float32
		for _, x := range sig.Samples {
			peak = max(peak, x, -x)
		}
		if peak < 0.01 || peak > 1 {
			t.Errorf("%s: peak %v, want speech between 0.01 and 1", p, peak)
		}
		t.Logf("%s: %v, %v, peak %.3f", filepath.Base(p), f, sig.Duration(), peak)
	}
}

// wavDataDir returns $PARLEY_DATA, or the shared data folder next to the
// repository root.
func wavDataDir(t *testing.T) string {
	if d := os.Getenv("PARLEY_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found; set PARLEY_DATA")
		}
		dir = parent
	}
}

// --- Writing.

// randomSignal returns n seeded samples, uniform in [-1.25, 1.25] so that
// clipping is exercised, plus the edge values.
func randomSignal(seed uint64, n int) audio.Signal {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := []float32{0, 1, -1, 0.5, -0.5, 1.5, -2, 1.0 / 65536, -1.0 / 65536, math.SmallestNonzeroFloat32}
	for range n {
		s = append(s, float32(rng.Float64()*2.5-1.25))
	}
	return audio.Signal{Samples: s, Rate: 16000}
}

func TestWriteWAVRoundTrip(t *testing.T) {
	t.Parallel()
	sig := randomSignal(42, 20000)
	dir := t.TempDir()
	for _, enc := range []audio.Encoding{audio.PCM, audio.Float} {
		for _, via := range []string{"WriteWAV", "WriteWAVFile"} {
			t.Run(fmt.Sprintf("%v_%s", enc, via), func(t *testing.T) {
				var got audio.Signal
				var f audio.Format
				var err error
				if via == "WriteWAV" {
					var buf bytes.Buffer
					if err := audio.WriteWAV(&buf, sig, enc); err != nil {
						t.Fatal(err)
					}
					got, f, err = audio.ReadWAV(&buf, audio.ReadOptions{})
				} else {
					path := filepath.Join(dir, enc.String()+".wav")
					if err := audio.WriteWAVFile(path, sig, enc); err != nil {
						t.Fatal(err)
					}
					got, f, err = audio.ReadWAVFile(path, audio.ReadOptions{})
				}
				if err != nil {
					t.Fatal(err)
				}
				want := audio.Format{Rate: 16000, Channels: 1, Bits: 16, Encoding: audio.PCM}
				if enc == audio.Float {
					want.Bits, want.Encoding = 32, audio.Float
				}
				if f != want || got.Rate != sig.Rate || len(got.Samples) != len(sig.Samples) {
					t.Fatalf("got %v with %d samples at %d Hz; want %v with %d", f, len(got.Samples), got.Rate, want, len(sig.Samples))
				}
				for i, x := range sig.Samples {
					if enc == audio.Float {
						if math.Float32bits(got.Samples[i]) != math.Float32bits(x) {
							t.Fatalf("sample %d = %v, want exactly %v", i, got.Samples[i], x)
						}
						continue
					}
					// One 16-bit step: rounding costs half of it, 1 → 32767
					// a whole one.
					if c := max(-1, min(1, x)); math.Abs(float64(got.Samples[i]-c)) > 1.0/32768 {
						t.Fatalf("sample %d = %v, want %v ± 1/32768", i, got.Samples[i], c)
					}
				}
			})
		}
	}
}

// TestWriteWAVRounding checks PCM quantisation: x·32768 rounded half away
// from zero, clipped to the int16 range.
func TestWriteWAVRounding(t *testing.T) {
	t.Parallel()
	const step = 1.0 / 32768
	in := []float32{0.4 * step, 0.6 * step, -0.6 * step, 0.5 + 0.5*step, -0.5 - 0.5*step, 1, -1, 3, -3}
	want := []int16{0, 1, -1, 16385, -16385, 32767, -32768, 32767, -32768}
	var buf bytes.Buffer
	if err := audio.WriteWAV(&buf, audio.Signal{Samples: in, Rate: 8000}, audio.PCM); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()[44:]
	for i, w := range want {
		if got := int16(binary.LittleEndian.Uint16(b[2*i:])); got != w {
			t.Errorf("%v → %d, want %d", in[i], got, w)
		}
	}
}

// TestWriteWAVFileMatchesWriteWAV checks that go-audio's Encoder (used by
// WriteWAVFile for PCM) and our header code write identical bytes, and
// that the canonical header is what we expect.
func TestWriteWAVFileMatchesWriteWAV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		sig  audio.Signal
		enc  audio.Encoding
	}{
		{"pcm_16k", randomSignal(7, 1000), audio.PCM},
		{"pcm_empty", audio.Signal{Rate: 16000}, audio.PCM},
		{"pcm_odd_length", audio.Signal{Samples: []float32{0.5, -0.5, 0.25}, Rate: 44100}, audio.PCM},
		{"pcm_500k_own_writer", audio.Signal{Samples: []float32{0.5}, Rate: 500000}, audio.PCM},
		{"float_16k", randomSignal(8, 1000), audio.Float},
		{"float_empty", audio.Signal{Rate: 16000}, audio.Float},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := audio.WriteWAV(&buf, tc.sig, tc.enc); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.name+".wav")
			if err := audio.WriteWAVFile(path, tc.sig, tc.enc); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, buf.Bytes()) {
				t.Errorf("WriteWAVFile wrote %d bytes that differ from WriteWAV's %d\nfile:  % x\nwrite: % x",
					len(got), buf.Len(), got[:min(60, len(got))], buf.Bytes()[:min(60, buf.Len())])
			}
			size, hdr := 2, 44
			if tc.enc == audio.Float {
				size, hdr = 4, 58
			}
			if want := hdr + size*len(tc.sig.Samples); len(got) != want {
				t.Errorf("file has %d bytes, want %d", len(got), want)
			}
			if riffSize := binary.LittleEndian.Uint32(got[4:]); int(riffSize) != len(got)-8 {
				t.Errorf("RIFF size %d, want %d", riffSize, len(got)-8)
			}
		})
	}
}

// TestWriteWAVReadByGoAudio checks that go-audio's own decoder, the
// library the product card names, reads our 16-bit files.
func TestWriteWAVReadByGoAudio(t *testing.T) {
	t.Parallel()
	sig := randomSignal(9, 500)
	var buf bytes.Buffer
	if err := audio.WriteWAV(&buf, sig, audio.PCM); err != nil {
		t.Fatal(err)
	}
	d := wav.NewDecoder(bytes.NewReader(buf.Bytes()))
	pcm, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatal(err)
	}
	if d.SampleRate != 16000 || d.NumChans != 1 || d.BitDepth != 16 || d.WavAudioFormat != 1 {
		t.Errorf("go-audio reads %d Hz, %d channels, %d bits, format %d", d.SampleRate, d.NumChans, d.BitDepth, d.WavAudioFormat)
	}
	back, _, err := audio.ReadWAV(bytes.NewReader(buf.Bytes()), audio.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm.Data) != len(back.Samples) {
		t.Fatalf("go-audio decodes %d samples, we %d", len(pcm.Data), len(back.Samples))
	}
	for i, v := range pcm.Data {
		if float32(v)/32768 != back.Samples[i] {
			t.Fatalf("sample %d: go-audio %d, we %v", i, v, back.Samples[i])
		}
	}
}

// failWriter fails once it has taken n bytes.
type failWriter struct {
	n   int
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteWAVErrors(t *testing.T) {
	t.Parallel()
	errDisk := errors.New("disk full")
	ok := audio.Signal{Samples: []float32{0.5}, Rate: 16000}
	for _, tc := range []struct {
		name string
		w    io.Writer
		sig  audio.Signal
		enc  audio.Encoding
		is   error
		msg  string
	}{
		{"rate_zero", io.Discard, audio.Signal{Samples: []float32{0}, Rate: 0}, audio.PCM, nil, "sample rate 0 Hz out of range"},
		{"rate_negative", io.Discard, audio.Signal{Rate: -8000}, audio.Float, nil, "sample rate -8000 Hz"},
		{"rate_absurd", io.Discard, audio.Signal{Rate: 1 << 30}, audio.PCM, nil, "out of range"},
		{"NaN", io.Discard, audio.Signal{Samples: []float32{0, float32(math.NaN())}, Rate: 8000}, audio.PCM, nil, "sample 1 is NaN"},
		{"Inf_float", io.Discard, audio.Signal{Samples: []float32{float32(math.Inf(-1))}, Rate: 8000}, audio.Float, nil, "sample 0 is -Inf"},
		{"encoding_zero", io.Discard, ok, 0, audio.ErrUnsupported, "cannot write encoding Encoding(0)"},
		{"encoding_unknown", io.Discard, ok, 9, audio.ErrUnsupported, "Encoding(9)"},
		{"writer_fails_in_header", &failWriter{n: 10, err: errDisk}, ok, audio.PCM, errDisk, "disk full"},
		{"writer_fails_in_data", &failWriter{n: 58, err: errDisk}, ok, audio.Float, errDisk, "disk full"}, // 58-byte float header
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := audio.WriteWAV(tc.w, tc.sig, tc.enc)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %q", err, tc.is)
			}
			if !strings.HasPrefix(err.Error(), "audio: write WAV: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want the prefix \"audio: write WAV: \" and %q", err, tc.msg)
			}
		})
	}
}

func TestWriteWAVFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.wav")
	listing := func() []string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}

	first := audio.Signal{Samples: []float32{0.5, 0.25}, Rate: 16000}
	if err := audio.WriteWAVFile(path, first, audio.PCM); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("new file: %v, %v; want mode 0644", fi.Mode(), err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// A failed write leaves the old file and no temporary file.
	bad := audio.Signal{Samples: []float32{float32(math.NaN())}, Rate: 16000}
	err = audio.WriteWAVFile(path, bad, audio.PCM)
	if err == nil || !strings.Contains(err.Error(), "audio: write "+path+": ") {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("a failed write changed the file")
	}
	if got := listing(); !slices.Equal(got, []string{"out.wav"}) {
		t.Errorf("folder holds %v after a failed write", got)
	}

	// A replacement keeps the file's mode and leaves nothing else.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := audio.WriteWAVFile(path, audio.Signal{Samples: []float32{-1}, Rate: 8000}, audio.Float); err != nil {
		t.Fatal(err)
	}
	sig, f, err := audio.ReadWAVFile(path, audio.ReadOptions{})
	if err != nil || f.Encoding != audio.Float || !slices.Equal(sig.Samples, []float32{-1}) {
		t.Errorf("replaced file reads %v %v %v", sig.Samples, f, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file: %v, %v; want mode 0600 kept", fi.Mode(), err)
	}
	if got := listing(); !slices.Equal(got, []string{"out.wav"}) {
		t.Errorf("folder holds %v", got)
	}

	// A folder that does not exist.
	err = audio.WriteWAVFile(filepath.Join(dir, "no", "such.wav"), first, audio.PCM)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

// --- testdata: tiny committed WAVs, generated here; the fuzz seeds.

// testdataFiles are the committed testdata/*.wav files and how to make them.
func testdataFiles(t testing.TB) map[string][]byte {
	var pcm16 bytes.Buffer
	sig := audio.Signal{Samples: []float32{0, 0.25, 0.5, 0.25, 0, -0.25, -0.5, -0.25}, Rate: 8000}
	if err := audio.WriteWAV(&pcm16, sig, audio.PCM); err != nil {
		t.Fatal(err)
	}
	var float32File bytes.Buffer
	if err := audio.WriteWAV(&float32File, sig, audio.Float); err != nil {
		t.Fatal(err)
	}
	stereo := riff(fmtChunk(1, 2, 8000, 16), chunk("data", s16(16384, -16384, 8192, -8192, 0, 0)))
	return map[string][]byte{
		"pcm16_mono.wav":             pcm16.Bytes(),
		"float32_mono.wav":           float32File.Bytes(),
		"pcm8_unsigned.wav":          riff(fmtChunk(1, 1, 8000, 8), chunk("data", u8(128, 160, 192, 160, 128, 96, 64, 96))),
		"pcm24_LIST_before_data.wav": riff(fmtChunk(1, 1, 8000, 24), chunk("LIST", listInfo), chunk("data", s24(0, 1<<21, 1<<22, 1<<21))),
		"float32_extensible.wav":     riff(fmtExtensible(1, 8000, 32, 32, 3), chunk("fact", le32(4)), chunk("data", f32(0, 0.5, -0.5, 1))),
		"stereo_odd_chunk.wav":       riff(fmtChunk(1, 2, 8000, 16), chunk("JUNK", []byte{1, 2, 3}), chunk("data", s16(16384, -16384, 8192, -8192))),
		"streamed_unknown_size.wav":  riffSized(0xFFFFFFFF, fmt16, chunkSized("data", 0xFFFFFFFF, s16(1, 2, 3))),
		"truncated.wav":              stereo[:len(stereo)-3],
	}
}

// TestWriteTestdata checks the committed testdata files against their
// generators; "go test -run TestWriteTestdata -update" rewrites them.
func TestWriteTestdata(t *testing.T) {
	for name, want := range testdataFiles(t) {
		path := filepath.Join("testdata", name)
		if updating() {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestWriteTestdata -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (run go test -run TestWriteTestdata -update)", path)
		}
	}
}

// FuzzReadWAV checks that no input panics, hangs or allocates out of
// proportion, that every failure is a *FormatError, and that streaming one
// channel a few frames at a time gives what ReadWAV gives.
func FuzzReadWAV(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.wav"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range readCases() {
		f.Add(tc.in)
	}
	for _, tc := range errorCases() {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			t.Skip("inputs over 1 MiB are not worth the time")
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sig, format, err := audio.ReadWAV(bytes.NewReader(in), audio.ReadOptions{})
		runtime.ReadMemStats(&after)
		// Fixed buffers (32 KiB raw, 4 KiB bufio, the first 256 KiB of
		// samples) plus at most 8 bytes of samples per input byte, twice
		// over while growing.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(1<<20+16*len(in)); got > limit {
			t.Errorf("a %d-byte input allocated %d bytes (limit %d)", len(in), got, limit)
		}
		if err != nil {
			var fe *audio.FormatError
			if !errors.As(err, &fe) || fe.Problem == "" {
				t.Fatalf("error %q (%T) is no *FormatError with a problem", err, err)
			}
		} else if format.Rate <= 0 || format.Channels <= 0 || sig.Rate != format.Rate {
			t.Fatalf("format %+v, rate %d", format, sig.Rate)
		}
		if len(sig.Samples) > len(in) {
			t.Fatalf("%d samples from %d bytes", len(sig.Samples), len(in))
		}
		for i, x := range sig.Samples {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || (format.Encoding == audio.PCM && (x < -1 || x > 1)) {
				t.Fatalf("sample %d = %v in a %v file", i, x, format)
			}
		}
		if err != nil {
			return
		}
		// Differential: channel 1 read three frames at a time.
		r, err := audio.NewWAVReader(bytes.NewReader(in), audio.ReadOptions{Channel: 1})
		if err != nil {
			t.Fatalf("NewWAVReader after a good ReadWAV: %v", err)
		}
		whole, _, wholeErr := audio.ReadWAV(bytes.NewReader(in), audio.ReadOptions{Channel: 1})
		var got []float32
		dst := make([]float32, 3)
		for {
			n, err := r.Read(dst)
			got = append(got, dst[:n]...)
			if err != nil {
				if err != io.EOF && (wholeErr == nil || err.Error() != wholeErr.Error()) {
					t.Fatalf("streaming error %v, ReadWAV error %v", err, wholeErr)
				}
				break
			}
		}
		if !slices.Equal(got, whole.Samples) {
			t.Fatalf("streaming read %d samples, ReadWAV %d", len(got), len(whole.Samples))
		}
	})
}

// --- Examples.

func ExampleReadWAV() {
	// A 16-bit mono WAV file of four samples.
	var file bytes.Buffer
	sig := audio.Signal{Samples: []float32{0, 0.5, -0.5, 1}, Rate: 16000}
	if err := audio.WriteWAV(&file, sig, audio.PCM); err != nil {
		fmt.Println(err)
		return
	}

	got, format, err := audio.ReadWAV(&file, audio.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(format)
	fmt.Println(got.Samples, got.Duration())

	// Not a WAV file at all.
	_, _, err = audio.ReadWAV(strings.NewReader("fLaC\x00\x00\x00\x22"), audio.ReadOptions{})
	fmt.Println(err, errors.Is(err, audio.ErrNotWAV))
	// Output:
	// 16000 Hz, 1 channel, 16-bit PCM
	// [0 0.5 -0.5 0.9999695] 250µs
	// audio: FLAC audio, not WAV true
}

func ExampleNewWAVReader() {
	// A stereo float WAV file: left channel 0.5, right channel -0.5.
	var file bytes.Buffer
	file.Write(riff(fmtChunk(3, 2, 8000, 32), chunk("data", f32(0.5, -0.5, 0.5, -0.5, 0.5, -0.5))))

	r, err := audio.NewWAVReader(&file, audio.ReadOptions{Channel: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Format(), r.Frames(), "frames")
	buf := make([]float32, 2) // a long file is read a buffer at a time
	for {
		n, err := r.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(buf[:n])
	}
	// Output:
	// 8000 Hz, 2 channels, 32-bit float 3 frames
	// [0.5 0.5]
	// [0.5]
}
