package translate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file reads and writes SubRip (SRT) subtitles, so that parley
// translate can translate the text of each cue and keep its number and
// timings. An SRT file is a list of cues separated by blank lines:
//
//	1
//	00:00:01,000 --> 00:00:03,500
//	First line of text
//	<i>second line</i>
//
//	2
//	00:00:04,000 --> 00:00:05,000 X1:100 X2:600 Y1:50 Y2:100
//	{\an8}More text

// Cue is one subtitle of an SRT file: its number as written, when it is
// shown, and its text.
type Cue struct {
	// Index is the cue's number as written in the file. Cues are meant to
	// be numbered from 1 up, but files in the wild skip, repeat and restart
	// numbers, so the number is kept as read, never checked or renumbered.
	Index int
	// Start and End are when the cue is shown and hidden, from the start
	// of the video. SRT stores them to the millisecond; End is never before
	// Start.
	Start, End time.Duration
	// Lines are the text lines, without line ends or trailing white space,
	// with formatting tags such as <i>…</i> and {\an8} left in as text.
	// No line is blank; a cue with no text has no lines.
	Lines []string
	// Settings is whatever follows the end time on the timing line,
	// trimmed, such as the position "X1:100 X2:600 Y1:50 Y2:100"; it is
	// usually empty.
	Settings string
}

// SRTError reports malformed SRT input: the file, the line and the
// problem. ReadSRT returns it for every problem with the input itself
// (not for a failing reader).
type SRTError struct {
	// File is the name given to ReadSRT; it may be empty.
	File string
	// Line is the line of the problem, from 1, or 0 for a problem with the
	// whole file.
	Line int
	// Msg says what is wrong, such as `bad timing line "00:01 --> 00:02"`.
	Msg string
}

// Error returns the error as "translate: FILE:LINE: MSG".
func (e *SRTError) Error() string {
	var b strings.Builder
	b.WriteString("translate: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Msg)
	return b.String()
}

const (
	// srtSpace is the white space trimmed from lines: ASCII only, so that
	// a no-break space that ends a line of text stays text.
	srtSpace = " \t\r\v\f"
	// srtArrow separates the start and end times of a timing line.
	srtArrow = "-->"
	// srtMaxHours bounds the hours of a time, which keeps it well inside
	// time.Duration (about 2.5 million hours).
	srtMaxHours = 1_000_000
)

// ReadSRT reads the cues of the SRT file r; name names the file in
// errors. It accepts what real files hold: a UTF-8 byte order mark, CRLF
// or LF line ends, extra blank lines between cues, trailing white space,
// no final line end, ',' or '.' before the milliseconds, one to three
// millisecond digits (read as a number of milliseconds, as ffmpeg and VLC
// do, so ",5" is 5 ms) or none, any number of hour digits, a cue with no
// text, and a cue with no number (it gets the previous cue's number plus
// one). A text line that is a number ends its cue only when the next line
// is a timing line; otherwise it is text.
//
// Malformed input (text that is not UTF-8, a bad cue number, a bad timing
// line, an end time before the start time) gives an *SRTError naming the
// file and line. An empty file gives no cues and no error.
func ReadSRT(r io.Reader, name string) ([]Cue, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		if name == "" {
			return nil, fmt.Errorf("translate: reading subtitles: %w", err)
		}
		return nil, fmt.Errorf("translate: reading %s: %w", name, err)
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, &SRTError{File: name, Msg: "UTF-16 text; convert it to UTF-8"}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if len(data) == 0 {
		return nil, nil
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return nil, &SRTError{File: name, Line: i + 1, Msg: "invalid UTF-8; convert the file to UTF-8"}
		}
		lines[i] = strings.TrimRight(l, srtSpace)
	}

	var cues []Cue
	fail := func(i int, format string, args ...any) ([]Cue, error) {
		return nil, &SRTError{File: name, Line: i + 1, Msg: fmt.Sprintf(format, args...)}
	}
	for i := 0; ; {
		for i < len(lines) && lines[i] == "" {
			i++
		}
		if i == len(lines) {
			return cues, nil
		}

		// The cue number, or the timing line of a cue without one.
		var c Cue
		head := strings.Trim(lines[i], srtSpace)
		switch {
		case srtIsNumber(head):
			n, err := strconv.Atoi(head)
			if err != nil {
				return fail(i, "cue number %s out of range", srtQuote(head))
			}
			c.Index = n
			i++
			if i == len(lines) || lines[i] == "" {
				return fail(i-1, "cue %d has no timing line", n)
			}
		case strings.Contains(head, "->"):
			// No number, or a bad timing line where a number belongs:
			// either way the timing line below tells.
			c.Index = 1
			if len(cues) > 0 {
				prev := cues[len(cues)-1].Index
				if prev == math.MaxInt {
					return fail(i, "cue has no number, and the one before is the largest possible")
				}
				c.Index = prev + 1
			}
		default:
			return fail(i, "bad cue number %s", srtQuote(head))
		}

		// The timing line.
		var ok bool
		c.Start, c.End, c.Settings, ok = srtParseTiming(lines[i])
		if !ok {
			return fail(i, "bad timing line %s", srtQuote(strings.Trim(lines[i], srtSpace)))
		}
		if c.End < c.Start {
			return fail(i, "end time %s is before start time %s", srtFormatTime(c.End), srtFormatTime(c.Start))
		}
		i++

		// The text, up to a blank line, or up to the number of a next
		// cue that follows without a blank line.
		for i < len(lines) && lines[i] != "" {
			if srtStartsCue(lines, i) {
				break
			}
			c.Lines = append(c.Lines, lines[i])
			i++
		}
		cues = append(cues, c)
	}
}

// srtStartsCue reports whether lines[i] is a cue number followed by a
// timing line (good or bad), which starts a new cue even in the middle of
// text: the reader splits there, and the writer refuses such text.
func srtStartsCue(lines []string, i int) bool {
	return i+1 < len(lines) && srtIsNumber(strings.Trim(lines[i], srtSpace)) &&
		strings.Contains(lines[i+1], srtArrow)
}

// srtIsNumber reports whether s is a non-empty string of ASCII digits.
func srtIsNumber(s string) bool {
	return s != "" && srtDigitCount(s) == len(s)
}

// srtDigitCount returns the number of ASCII digits at the start of s.
func srtDigitCount(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}

// srtParseTiming parses a timing line, "START --> END [SETTINGS]". White
// space around the arrow is optional; settings must be set off by white
// space.
func srtParseTiming(line string) (start, end time.Duration, settings string, ok bool) {
	s := strings.TrimLeft(line, srtSpace)
	if start, s, ok = srtParseTime(s); !ok {
		return 0, 0, "", false
	}
	if s, ok = strings.CutPrefix(strings.TrimLeft(s, srtSpace), srtArrow); !ok {
		return 0, 0, "", false
	}
	if end, s, ok = srtParseTime(strings.TrimLeft(s, srtSpace)); !ok {
		return 0, 0, "", false
	}
	if s != "" && !strings.ContainsRune(srtSpace, rune(s[0])) {
		return 0, 0, "", false
	}
	return start, end, strings.Trim(s, srtSpace), true
}

// srtParseTime parses the time at the start of s, "H:MM:SS,mmm", and
// returns it and the rest of s. The hours have one or more digits, the
// minutes and seconds one or two (below 60), the milliseconds, after ','
// or '.', one to three, or there are none.
func srtParseTime(s string) (d time.Duration, rest string, ok bool) {
	field := func(minDigits, maxDigits, limit int) int {
		n := srtDigitCount(s)
		if !ok || n < minDigits || n > maxDigits {
			ok = false
			return 0
		}
		v, err := strconv.Atoi(s[:n])
		if err != nil || v >= limit {
			ok = false
			return 0
		}
		s = s[n:]
		return v
	}
	sep := func(seps string) bool {
		if ok && s != "" && strings.IndexByte(seps, s[0]) >= 0 {
			s = s[1:]
			return true
		}
		return false
	}
	ok = true
	h := field(1, 7, srtMaxHours)
	if !sep(":") {
		return 0, "", false
	}
	m := field(1, 2, 60)
	if !sep(":") {
		return 0, "", false
	}
	sec := field(1, 2, 60)
	ms := 0
	if sep(",.") {
		ms = field(1, 3, 1000)
	}
	if !ok {
		return 0, "", false
	}
	d = time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond
	return d, s, true
}

// srtFormatTime formats d, truncated to the millisecond, as
// "HH:MM:SS,mmm".
func srtFormatTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}

// srtQuote quotes s for an error message, shortened if long.
func srtQuote(s string) string {
	const maxRunes = 60
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	return strconv.Quote(s)
}

// WriteSRT writes cues to w as an SRT file: each cue's number as stored,
// its timing line "HH:MM:SS,mmm --> HH:MM:SS,mmm" followed by its settings
// if any, and its text lines, with "\n" line ends and a blank line between
// cues. Times are truncated to the millisecond, and trailing white space
// is left off lines and settings, as ReadSRT does; so ReadSRT gives back
// the cues that WriteSRT wrote, and writing what ReadSRT read is stable.
//
// WriteSRT writes nothing and returns an error if a cue cannot be written
// so as to read back the same: a negative number or time, an end time
// before the start time, a time of a million hours or more, text that is
// not UTF-8, a line break in a line or in the settings, a blank line, or
// a line that is a number followed by a line holding "-->" (it would read
// as the start of a new cue).
func WriteSRT(w io.Writer, cues []Cue) error {
	for i, c := range cues {
		if err := srtCheckCue(c); err != nil {
			return fmt.Errorf("translate: writing subtitles: cue %d (number %d): %w", i+1, c.Index, err)
		}
	}
	bw := bufio.NewWriter(w)
	for i, c := range cues {
		if i > 0 {
			bw.WriteByte('\n')
		}
		bw.WriteString(strconv.Itoa(c.Index))
		bw.WriteByte('\n')
		bw.WriteString(srtFormatTime(c.Start))
		bw.WriteString(" " + srtArrow + " ")
		bw.WriteString(srtFormatTime(c.End))
		if s := strings.Trim(c.Settings, srtSpace); s != "" {
			bw.WriteString(" " + s)
		}
		bw.WriteByte('\n')
		for _, l := range c.Lines {
			bw.WriteString(strings.TrimRight(l, srtSpace))
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("translate: writing subtitles: %w", err)
	}
	return nil
}

// srtCheckCue returns an error if c cannot be written so that ReadSRT
// reads back the same cue.
func srtCheckCue(c Cue) error {
	switch {
	case c.Index < 0:
		return errors.New("negative cue number")
	case c.Start < 0:
		return errors.New("negative start time")
	case c.End < c.Start:
		return fmt.Errorf("end time %s is before start time %s", srtFormatTime(c.End), srtFormatTime(c.Start))
	case c.End >= srtMaxHours*time.Hour:
		return fmt.Errorf("end time %v is too large", c.End)
	case !utf8.ValidString(c.Settings):
		return errors.New("settings are not valid UTF-8")
	case strings.Contains(c.Settings, "\n"):
		return errors.New("line break in the settings")
	}
	lines := make([]string, len(c.Lines))
	for j, l := range c.Lines {
		switch {
		case !utf8.ValidString(l):
			return fmt.Errorf("text line %d is not valid UTF-8", j+1)
		case strings.Contains(l, "\n"):
			return fmt.Errorf("line break in text line %d", j+1)
		}
		lines[j] = strings.TrimRight(l, srtSpace)
		if lines[j] == "" {
			return fmt.Errorf("text line %d is blank", j+1)
		}
	}
	for j := range lines {
		if srtStartsCue(lines, j) {
			return fmt.Errorf("text line %d is a number followed by a line holding %q, which would read as a new cue", j+1, srtArrow)
		}
	}
	return nil
}
