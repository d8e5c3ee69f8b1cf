package translate

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// srtTime returns h hours, m minutes, s seconds and ms milliseconds.
func srtTime(h, m, s, ms int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond
}

// srtCuesEqual reports whether a and b hold the same cues, a nil and an
// empty Lines being the same.
func srtCuesEqual(a, b []Cue) bool {
	return slices.EqualFunc(a, b, func(x, y Cue) bool {
		return x.Index == y.Index && x.Start == y.Start && x.End == y.End &&
			x.Settings == y.Settings && slices.Equal(x.Lines, y.Lines)
	})
}

// srtDump formats cues for a failure message.
func srtDump(cues []Cue) string {
	var b strings.Builder
	for _, c := range cues {
		fmt.Fprintf(&b, "\n  {%d %v %v %q %q}", c.Index, c.Start, c.End, c.Lines, c.Settings)
	}
	return b.String()
}

// srtTwo is a plain two-cue file and srtTwoCues its cues.
const srtTwo = "1\n00:00:01,000 --> 00:00:02,500\nHello.\n\n2\n00:00:03,000 --> 00:00:04,000\nHow are you?\nFine.\n"

var srtTwoCues = []Cue{
	{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 500), Lines: []string{"Hello."}},
	{Index: 2, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"How are you?", "Fine."}},
}

func TestReadSRT(t *testing.T) {
	one := func(lines ...string) []Cue {
		return []Cue{{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: lines}}
	}
	tests := []struct {
		name string
		in   string
		want []Cue
	}{
		{"plain", srtTwo, srtTwoCues},
		{"empty file", "", nil},
		{"only blank lines", "\n\r\n  \n", nil},
		{"only a BOM", "\uFEFF", nil},
		{"BOM", "\uFEFF" + srtTwo, srtTwoCues},
		{"CRLF", strings.ReplaceAll(srtTwo, "\n", "\r\n"), srtTwoCues},
		{"BOM and CRLF", "\uFEFF" + strings.ReplaceAll(srtTwo, "\n", "\r\n"), srtTwoCues},
		{"no final newline", strings.TrimSuffix(srtTwo, "\n"), srtTwoCues},
		{"extra blank lines", "\n\n" + strings.ReplaceAll(srtTwo, "\n\n", "\n\n\n \n\t\n") + "\n\n\n", srtTwoCues},
		{"trailing white space", strings.ReplaceAll(srtTwo, "\n", " \t\r\n"), srtTwoCues},
		{"white space around the number", "  1  \n00:00:01,000 --> 00:00:02,000\nA\n", one("A")},
		{"leading zeros in the number", "007\n00:00:01,000 --> 00:00:02,000\nA\n",
			[]Cue{{Index: 7, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"A"}}}},
		{"numbers kept as written", "5\n00:00:01,000 --> 00:00:02,000\nA\n\n5\n00:00:03,000 --> 00:00:04,000\nB\n\n0\n00:00:05,000 --> 00:00:06,000\nC\n",
			[]Cue{
				{Index: 5, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"A"}},
				{Index: 5, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"B"}},
				{Index: 0, Start: srtTime(0, 0, 5, 0), End: srtTime(0, 0, 6, 0), Lines: []string{"C"}},
			}},
		{"dot before milliseconds", "1\n00:00:01.000 --> 00:00:02.000\nA\n", one("A")},
		{"mixed separators", "1\n00:00:01.000 --> 00:00:02,000\nA\n", one("A")},
		{"two-digit milliseconds", "1\n00:00:01,50 --> 00:00:02,5\nA\n",
			[]Cue{{Index: 1, Start: srtTime(0, 0, 1, 50), End: srtTime(0, 0, 2, 5), Lines: []string{"A"}}}},
		{"no milliseconds", "1\n00:00:01 --> 00:00:02\nA\n", one("A")},
		{"one-digit fields", "1\n0:0:1,000 --> 0:0:2,000\nA\n", one("A")},
		{"no space around the arrow", "1\n00:00:01,000-->00:00:02,000\nA\n", one("A")},
		{"more space around the arrow", "1\n 00:00:01,000 \t-->   00:00:02,000 \nA\n", one("A")},
		{"hours over 99", "1\n123:45:06,789 --> 1234:00:00,000\nA\n",
			[]Cue{{Index: 1, Start: srtTime(123, 45, 6, 789), End: srtTime(1234, 0, 0, 0), Lines: []string{"A"}}}},
		{"largest time", "1\n999999:59:59,999 --> 999999:59:59,999\nA\n",
			[]Cue{{Index: 1, Start: srtTime(999999, 59, 59, 999), End: srtTime(999999, 59, 59, 999), Lines: []string{"A"}}}},
		{"end equals start", "1\n00:00:01,000 --> 00:00:01,000\nA\n",
			[]Cue{{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 1, 0), Lines: []string{"A"}}}},
		{"settings", "1\n00:00:01,000 --> 00:00:02,000  X1:100 X2:600  Y1:50 Y2:100 \nA\n",
			[]Cue{{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"A"}, Settings: "X1:100 X2:600  Y1:50 Y2:100"}}},
		{"tags kept as text", "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>Top</i>\n<font color=\"#ff0000\">red</font> <b>bold</b>\n",
			one("{\\an8}<i>Top</i>", "<font color=\"#ff0000\">red</font> <b>bold</b>")},
		{"leading white space of text kept", "1\n00:00:01,000 --> 00:00:02,000\n   indented\n\tand tab\n", one("   indented", "\tand tab")},
		{"no-break space kept", "1\n00:00:01,000 --> 00:00:02,000\nQuoi\u00a0?\u00a0\n", one("Quoi\u00a0?\u00a0")},
		{"unicode text", "1\n00:00:01,000 --> 00:00:02,000\nGrüße aus 東京 🎬\n", one("Grüße aus 東京 🎬")},
		{"number as a text line", "1\n00:00:01,000 --> 00:00:02,000\n42\nis the answer\n", one("42", "is the answer")},
		{"number as the last text line", "1\n00:00:01,000 --> 00:00:02,000\nThe answer is\n42\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n",
			[]Cue{
				{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"The answer is", "42"}},
				{Index: 2, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"B"}},
			}},
		{"number as the only text line", "1\n00:00:01,000 --> 00:00:02,000\n1984\n", one("1984")},
		{"numbers as text lines at the end", "1\n00:00:01,000 --> 00:00:02,000\n3\n2\n1", one("3", "2", "1")},
		{"arrow in text", "1\n00:00:01,000 --> 00:00:02,000\n--> this way -->\n00:00:05,000 --> 00:00:06,000\n", one("--> this way -->", "00:00:05,000 --> 00:00:06,000")},
		{"no blank line between cues", "1\n00:00:01,000 --> 00:00:02,000\nA\n42\n2\n00:00:03,000 --> 00:00:04,000\nB\n",
			[]Cue{
				{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"A", "42"}},
				{Index: 2, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"B"}},
			}},
		{"cue with no text", "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n",
			[]Cue{
				{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0)},
				{Index: 2, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"B"}},
			}},
		{"cue with no text and no blank line", "1\n00:00:01,000 --> 00:00:02,000\n2\n00:00:03,000 --> 00:00:04,000\nB\n",
			[]Cue{
				{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0)},
				{Index: 2, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"B"}},
			}},
		{"last cue with no text", "1\n00:00:01,000 --> 00:00:02,000", one()},
		{"cues with no number", "00:00:01,000 --> 00:00:02,000\nA\n\n00:00:03,000 --> 00:00:04,000\nB\n\n7\n00:00:05,000 --> 00:00:06,000\nC\n\n00:00:07,000 --> 00:00:08,000\nD\n",
			[]Cue{
				{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"A"}},
				{Index: 2, Start: srtTime(0, 0, 3, 0), End: srtTime(0, 0, 4, 0), Lines: []string{"B"}},
				{Index: 7, Start: srtTime(0, 0, 5, 0), End: srtTime(0, 0, 6, 0), Lines: []string{"C"}},
				{Index: 8, Start: srtTime(0, 0, 7, 0), End: srtTime(0, 0, 8, 0), Lines: []string{"D"}},
			}},
		{"carriage return inside a line", "1\n00:00:01,000 --> 00:00:02,000\na\rb\n", one("a\rb")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadSRT(strings.NewReader(tt.in), "subs.srt")
			if err != nil {
				t.Fatalf("ReadSRT(%q): %v", tt.in, err)
			}
			if !srtCuesEqual(got, tt.want) {
				t.Errorf("ReadSRT(%q) =%s\nwant%s", tt.in, srtDump(got), srtDump(tt.want))
			}
		})
	}
}

func TestReadSRTErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad arrow", "1\n00:01:02 -> 00:01:03\nA\n",
			`translate: subs.srt:2: bad timing line "00:01:02 -> 00:01:03"`},
		{"bad timing line further down", srtTwo + "\n3\n00:00:05,000 --> 00:00:06\u00a0000\nC\n",
			`translate: subs.srt:11: bad timing line "00:00:05,000 --> 00:00:06\u00a0000"`},
		{"bad arrow where the number belongs", "00:01:02 -> 00:01:03\nA\n",
			`translate: subs.srt:1: bad timing line "00:01:02 -> 00:01:03"`},
		{"end before start", "\uFEFF1\r\n00:00:02,000 --> 00:00:01,500\r\nA\r\n",
			`translate: subs.srt:2: end time 00:00:01,500 is before start time 00:00:02,000`},
		{"non-numeric number", "one\n00:00:01,000 --> 00:00:02,000\nA\n",
			`translate: subs.srt:1: bad cue number "one"`},
		{"negative number", "-1\n00:00:01,000 --> 00:00:02,000\nA\n",
			`translate: subs.srt:1: bad cue number "-1"`},
		{"number too large", "99999999999999999999\n00:00:01,000 --> 00:00:02,000\nA\n",
			`translate: subs.srt:1: cue number "99999999999999999999" out of range`},
		{"text between cues", srtTwo + "\nstray text\n",
			`translate: subs.srt:10: bad cue number "stray text"`},
		{"blank line inside text", "1\n00:00:01,000 --> 00:00:02,000\nA\n\nB\n",
			`translate: subs.srt:5: bad cue number "B"`},
		{"number with no timing line", "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n",
			`translate: subs.srt:5: cue 2 has no timing line`},
		{"number then blank line", "1\n\n00:00:01,000 --> 00:00:02,000\nA\n",
			`translate: subs.srt:1: cue 1 has no timing line`},
		{"text instead of timing", "1\nHello\n",
			`translate: subs.srt:2: bad timing line "Hello"`},
		{"timing without hours", "1\n01:02,000 --> 01:03,000\nA\n",
			`translate: subs.srt:2: bad timing line "01:02,000 --> 01:03,000"`},
		{"minutes out of range", "1\n00:60:00,000 --> 01:00:00,000\nA\n",
			`translate: subs.srt:2: bad timing line "00:60:00,000 --> 01:00:00,000"`},
		{"seconds out of range", "1\n00:00:60,000 --> 00:01:00,000\nA\n",
			`translate: subs.srt:2: bad timing line "00:00:60,000 --> 00:01:00,000"`},
		{"four millisecond digits", "1\n00:00:01,0000 --> 00:00:02,000\nA\n",
			`translate: subs.srt:2: bad timing line "00:00:01,0000 --> 00:00:02,000"`},
		{"separator with no milliseconds", "1\n00:00:01, --> 00:00:02,000\nA\n",
			`translate: subs.srt:2: bad timing line "00:00:01, --> 00:00:02,000"`},
		{"hours too large", "1\n1000000:00:00,000 --> 1000000:00:01,000\nA\n",
			`translate: subs.srt:2: bad timing line "1000000:00:00,000 --> 1000000:00:01,000"`},
		{"settings not set off", "1\n00:00:01,000 --> 00:00:02,000X1:10\nA\n",
			`translate: subs.srt:2: bad timing line "00:00:01,000 --> 00:00:02,000X1:10"`},
		{"no end time", "1\n00:00:01,000 -->\nA\n",
			`translate: subs.srt:2: bad timing line "00:00:01,000 -->"`},
		{"invalid UTF-8", "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:03,000 --> 00:00:04,000\ncaf\xe9\n",
			`translate: subs.srt:7: invalid UTF-8; convert the file to UTF-8`},
		{"UTF-16", "\xff\xfe1\x00\n\x00",
			`translate: subs.srt: UTF-16 text; convert it to UTF-8`},
		{"long line shortened", strings.Repeat("x", 100) + "\n",
			`translate: subs.srt:1: bad cue number "` + strings.Repeat("x", 60) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cues, err := ReadSRT(strings.NewReader(tt.in), "subs.srt")
			if err == nil {
				t.Fatalf("ReadSRT(%q) = %s, want error %s", tt.in, srtDump(cues), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ReadSRT(%q) error\n got %s\nwant %s", tt.in, err, tt.want)
			}
			var se *SRTError
			if !errors.As(err, &se) || se.File != "subs.srt" {
				t.Errorf("ReadSRT(%q) error %#v, want an *SRTError for subs.srt", tt.in, err)
			}
		})
	}
}

func TestReadSRTErrorNames(t *testing.T) {
	in := "1\nbad\n"
	_, err := ReadSRT(strings.NewReader(in), "")
	if want := `translate: line 2: bad timing line "bad"`; err == nil || err.Error() != want {
		t.Errorf("ReadSRT without a name: error %v, want %s", err, want)
	}
	_, err = ReadSRT(strings.NewReader(in), "dir/movie.en.srt")
	if want := `translate: dir/movie.en.srt:2: bad timing line "bad"`; err == nil || err.Error() != want {
		t.Errorf("ReadSRT with a path: error %v, want %s", err, want)
	}
}

// srtFailingReader returns some bytes, then an error.
type srtFailingReader struct{ done bool }

var errSRTRead = errors.New("disk on fire")

func (r *srtFailingReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, errSRTRead
	}
	r.done = true
	return copy(p, "1\n"), nil
}

func TestReadSRTReaderError(t *testing.T) {
	_, err := ReadSRT(&srtFailingReader{}, "subs.srt")
	if !errors.Is(err, errSRTRead) || !strings.Contains(err.Error(), "subs.srt") {
		t.Errorf("ReadSRT of a failing reader: error %v, want one wrapping %v and naming the file", err, errSRTRead)
	}
}

func TestWriteSRT(t *testing.T) {
	cues := []Cue{
		{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 500), Lines: []string{"{\\an8}<i>Hello.</i>", "42"}},
		{Index: 7, Start: srtTime(1, 2, 3, 4), End: srtTime(1, 2, 5, 999) + 999*time.Microsecond, Settings: " X1:1 X2:2 "},
		{Index: 8, Start: srtTime(123, 0, 0, 0), End: srtTime(4567, 59, 59, 999), Lines: []string{"  Indented  ", "last"}},
	}
	const want = "1\n00:00:01,000 --> 00:00:02,500\n{\\an8}<i>Hello.</i>\n42\n" +
		"\n7\n01:02:03,004 --> 01:02:05,999 X1:1 X2:2\n" +
		"\n8\n123:00:00,000 --> 4567:59:59,999\n  Indented\nlast\n"
	var b bytes.Buffer
	if err := WriteSRT(&b, cues); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("WriteSRT wrote\n%q\nwant\n%q", b.String(), want)
	}

	b.Reset()
	if err := WriteSRT(&b, nil); err != nil || b.Len() != 0 {
		t.Errorf("WriteSRT(nil) wrote %q, %v; want nothing", b.String(), err)
	}

	b.Reset()
	if err := WriteSRT(&b, srtTwoCues); err != nil || b.String() != srtTwo {
		t.Errorf("WriteSRT(srtTwoCues) wrote %q, %v; want %q", b.String(), err, srtTwo)
	}
}

func TestWriteSRTErrors(t *testing.T) {
	ok := Cue{Index: 1, Start: srtTime(0, 0, 1, 0), End: srtTime(0, 0, 2, 0), Lines: []string{"fine"}}
	tests := []struct {
		name string
		cue  Cue
		want string
	}{
		{"negative number", Cue{Index: -1}, "negative cue number"},
		{"negative start", Cue{Start: -time.Millisecond}, "negative start time"},
		{"end before start", Cue{Start: time.Second, End: time.Millisecond}, "end time 00:00:00,001 is before start time 00:00:01,000"},
		{"time too large", Cue{End: srtMaxHours * time.Hour}, "end time 1000000h0m0s is too large"},
		{"blank line", Cue{Lines: []string{"a", " \t", "b"}}, "text line 2 is blank"},
		{"empty line", Cue{Lines: []string{""}}, "text line 1 is blank"},
		{"line break", Cue{Lines: []string{"a\nb"}}, "line break in text line 1"},
		{"CRLF line break", Cue{Lines: []string{"a", "b\r\nc"}}, "line break in text line 2"},
		{"invalid UTF-8", Cue{Lines: []string{"caf\xe9"}}, "text line 1 is not valid UTF-8"},
		{"line break in settings", Cue{Settings: "X1:1\nX2:2"}, "line break in the settings"},
		{"settings not UTF-8", Cue{Settings: "\xff"}, "settings are not valid UTF-8"},
		{"number then arrow", Cue{Lines: []string{"a", "12", "x --> y"}}, `text line 2 is a number followed by a line holding "-->", which would read as a new cue`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := WriteSRT(&b, []Cue{ok, tt.cue})
			want := fmt.Sprintf("translate: writing subtitles: cue 2 (number %d): %s", tt.cue.Index, tt.want)
			if err == nil || err.Error() != want {
				t.Errorf("WriteSRT error %v, want %s", err, want)
			}
			if b.Len() != 0 {
				t.Errorf("WriteSRT wrote %q before failing", b.String())
			}
		})
	}
}

// srtFailingWriter fails every write.
type srtFailingWriter struct{}

func (srtFailingWriter) Write([]byte) (int, error) { return 0, errSRTRead }

func TestWriteSRTWriterError(t *testing.T) {
	if err := WriteSRT(srtFailingWriter{}, srtTwoCues); !errors.Is(err, errSRTRead) {
		t.Errorf("WriteSRT to a failing writer: error %v, want one wrapping %v", err, errSRTRead)
	}
}

// srtGolden files: a messy input, as real files come, and what WriteSRT
// makes of it.
const (
	srtMessyFile  = "testdata/srt_messy.srt"
	srtGoldenFile = "testdata/srt_messy.golden.srt"
)

func TestSRTGolden(t *testing.T) {
	in, err := os.ReadFile(srtMessyFile)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(srtGoldenFile)
	if err != nil {
		t.Fatal(err)
	}
	cues, err := ReadSRT(bytes.NewReader(in), filepath.Base(srtMessyFile))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteSRT(&got, cues); err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("WriteSRT(ReadSRT(%s)) =\n%s\nwant (%s)\n%s", srtMessyFile, got.String(), srtGoldenFile, want)
	}
	// The messy file, with CRLF line ends (however git checked it out),
	// reads the same.
	crlf := bytes.ReplaceAll(bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	cues2, err := ReadSRT(bytes.NewReader(crlf), "crlf.srt")
	if err != nil || !srtCuesEqual(cues, cues2) {
		t.Errorf("CRLF version: %v, cues%s\nwant%s", err, srtDump(cues2), srtDump(cues))
	}
}

// srtRandomLines are the pieces random text lines are made of, tricky
// ones included.
var srtRandomLines = []string{
	"Hello.", "42", "0", "007", "<i>Where are you?</i>", "{\\an8}Top line",
	"<font color=\"#00ff00\">green</font>", "- Yes.", "- No!", "  indented",
	"-->", "a --> b", "00:00:01,000 --> 00:00:02,000", "Grüße aus 東京 🎬",
	"Quoi\u00a0?", "a\rb", "\u200bzero width", "1:2:3", "♪ la la ♪", "...",
}

// srtRandomCues returns up to 8 random cues that WriteSRT accepts.
func srtRandomCues(rng *rand.Rand) []Cue {
	cues := make([]Cue, rng.IntN(9))
	var t time.Duration
	for i := range cues {
		c := &cues[i]
		switch rng.IntN(10) {
		case 0:
			c.Index = rng.IntN(1_000_000)
		case 1:
			c.Index = 0
		default:
			c.Index = i + 1
		}
		switch rng.IntN(10) {
		case 0: // hours over 99
			t = time.Duration(rng.Int64N(int64(srtMaxHours-1) * int64(time.Hour)))
		case 1: // back in time, as some files go
			t /= 2
		default:
			t += time.Duration(rng.IntN(10_000)) * time.Millisecond
		}
		t = t.Truncate(time.Millisecond)
		c.Start = t
		c.End = t + time.Duration(rng.IntN(8_000))*time.Millisecond
		if c.End >= srtMaxHours*time.Hour {
			c.End = c.Start
		}
		if rng.IntN(5) == 0 {
			c.Settings = fmt.Sprintf("X1:%d X2:%d  Y1:%d", rng.IntN(800), rng.IntN(800), rng.IntN(600))
		}
		for range rng.IntN(5) {
			l := srtRandomLines[rng.IntN(len(srtRandomLines))]
			if rng.IntN(3) == 0 {
				l += " " + srtRandomLines[rng.IntN(len(srtRandomLines))]
			}
			c.Lines = append(c.Lines, strings.TrimRight(l, srtSpace))
		}
		for j := range c.Lines {
			if srtStartsCue(c.Lines, j) {
				c.Lines[j] = "#" + c.Lines[j]
			}
		}
	}
	return cues
}

// srtMessyWrite writes cues the way sloppy tools and editors do: with a
// BOM, CRLF, '.' before the milliseconds, too few or too many digits,
// extra blank lines, trailing white space, numberless cues, no final
// newline, picked at random. ReadSRT must read the cues back.
func srtMessyWrite(rng *rand.Rand, cues []Cue) string {
	var b strings.Builder
	if rng.IntN(3) == 0 {
		b.WriteString("\uFEFF")
	}
	eol := "\n"
	if rng.IntN(2) == 0 {
		eol = "\r\n"
	}
	pad := func() string { return [...]string{"", "", "", " ", "\t", "  \t "}[rng.IntN(6)] }
	tm := func(d time.Duration) string {
		ms := d.Milliseconds()
		h, m, s, f := ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000
		hh := fmt.Sprintf("%02d", h)
		if rng.IntN(4) == 0 {
			hh = fmt.Sprint(h)
		}
		sep := [...]string{",", ",", "."}[rng.IntN(3)]
		switch {
		case f == 0 && rng.IntN(3) == 0:
			return fmt.Sprintf("%s:%02d:%02d", hh, m, s)
		case rng.IntN(3) == 0:
			return fmt.Sprintf("%s:%d:%d%s%d", hh, m, s, sep, f)
		}
		return fmt.Sprintf("%s:%02d:%02d%s%03d", hh, m, s, sep, f)
	}
	// Leave a number off, at random, where ReadSRT gives it back anyway.
	numbered := make([]bool, len(cues)+1)
	for i, c := range cues {
		numbered[i] = !(i > 0 && c.Index == cues[i-1].Index+1 || i == 0 && c.Index == 1) || rng.IntN(4) != 0
	}
	for i, c := range cues {
		for range rng.IntN(3) {
			b.WriteString(pad() + eol)
		}
		if numbered[i] {
			b.WriteString(pad())
			if rng.IntN(5) == 0 {
				b.WriteString("0")
			}
			b.WriteString(fmt.Sprint(c.Index) + pad() + eol)
		}
		arrow := [...]string{" --> ", "-->", " -->  "}[rng.IntN(3)]
		b.WriteString(pad() + tm(c.Start) + arrow + tm(c.End))
		if c.Settings != "" {
			b.WriteString(" " + pad() + c.Settings)
		}
		b.WriteString(pad() + eol)
		for _, l := range c.Lines {
			b.WriteString(l + pad() + eol)
		}
		// A blank line ends the cue; so does the number of the next one.
		if !numbered[i+1] || rng.IntN(4) != 0 {
			b.WriteString(eol)
		}
	}
	s := b.String()
	if rng.IntN(3) == 0 {
		s = strings.TrimRight(s, "\r\n")
	}
	return s
}

func TestSRTRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		cues := srtRandomCues(rng)
		var b bytes.Buffer
		if err := WriteSRT(&b, cues); err != nil {
			t.Fatalf("%d: WriteSRT(%s): %v", i, srtDump(cues), err)
		}
		got, err := ReadSRT(bytes.NewReader(b.Bytes()), "random.srt")
		if err != nil {
			t.Fatalf("%d: ReadSRT(WriteSRT(%s)) = %v\nwritten: %q", i, srtDump(cues), err, b.String())
		}
		if !srtCuesEqual(got, cues) {
			t.Fatalf("%d: ReadSRT(WriteSRT(cues)) =%s\nwant%s\nwritten: %q", i, srtDump(got), srtDump(cues), b.String())
		}
		var b2 bytes.Buffer
		if err := WriteSRT(&b2, got); err != nil || b2.String() != b.String() {
			t.Fatalf("%d: writing again gave %q, %v; want %q", i, b2.String(), err, b.String())
		}

		messy := srtMessyWrite(rng, cues)
		got, err = ReadSRT(strings.NewReader(messy), "messy.srt")
		if err != nil {
			t.Fatalf("%d: ReadSRT(%q): %v", i, messy, err)
		}
		if !srtCuesEqual(got, cues) {
			t.Fatalf("%d: ReadSRT(%q) =%s\nwant%s", i, messy, srtDump(got), srtDump(cues))
		}
	}
}

// FuzzReadSRT checks that ReadSRT never panics, that its errors are
// *SRTErrors naming the file, and that whatever it reads WriteSRT writes,
// and reads back the same, stably.
func FuzzReadSRT(f *testing.F) {
	seeds := []string{
		srtTwo,
		"\uFEFF" + strings.ReplaceAll(srtTwo, "\n", "\r\n"),
		"1\n00:00:01.5 --> 123:00:02,50 X1:1\n{\\an8}<i>42</i>\n42\n2\n00:00:03 --> 00:00:04\n",
		"00:00:01,000 --> 00:00:02,000\nno number\n\n\n\n",
		"1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:01,000 --> 00:00:02,000",
		"1\n00:00:01,000 --> 00:00:02,000\n--> 3\n1\n",
		"1\n00:01:02 -> 00:01:03\nA\n",
		"1\n00:00:02,000 --> 00:00:01,000\nA\n",
		"x\n", "1\n", "1\n\n", "-->", "0:0:0-->0:0:0", "\xff\xfe", "\uFEFF", "1\ncaf\xe9\n",
		"9223372036854775807\n0:0:0-->0:0:0\n\n0:0:0-->0:0:0\n",
		"1\n999999:59:59,999 --> 999999:59:59,999\r\nA\r",
	}
	if in, err := os.ReadFile(srtMessyFile); err == nil {
		seeds = append(seeds, string(in))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cues, err := ReadSRT(bytes.NewReader(in), "fuzz.srt")
		if err != nil {
			var se *SRTError
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "translate: fuzz.srt") {
				t.Fatalf("ReadSRT error %v (%T), want an *SRTError naming fuzz.srt", err, err)
			}
			return
		}
		var b bytes.Buffer
		if err := WriteSRT(&b, cues); err != nil {
			t.Fatalf("WriteSRT(ReadSRT(%q)): %v", in, err)
		}
		got, err := ReadSRT(bytes.NewReader(b.Bytes()), "fuzz.srt")
		if err != nil {
			t.Fatalf("reading back %q: %v", b.String(), err)
		}
		if !srtCuesEqual(got, cues) {
			t.Fatalf("read back%s\nwant%s\nwritten: %q", srtDump(got), srtDump(cues), b.String())
		}
		var b2 bytes.Buffer
		if err := WriteSRT(&b2, got); err != nil || b2.String() != b.String() {
			t.Fatalf("writing again gave %q, %v; want %q", b2.String(), err, b.String())
		}
	})
}
