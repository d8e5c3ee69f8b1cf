package nlu

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DataError is an error in training data, located by file and line.
// Every reader of this package (ReadDir, ReadYAML, ExpandGrammar) reports
// problems in the data itself as a *DataError; I/O errors are wrapped
// separately.
type DataError struct {
	// File is the path, or the name given to the reader.
	File string
	// Line is 1-based; 0 when the error concerns the whole file.
	Line int
	// Msg says what is wrong.
	Msg string
}

func (e *DataError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("nlu: %s line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("nlu: %s: %s", e.File, e.Msg)
}

// dataErr returns a *DataError with a formatted message.
func dataErr(file string, line int, format string, args ...any) *DataError {
	return &DataError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// The files of one split in the ATIS/SNIPS format.
const (
	seqInFile  = "seq.in"
	seqOutFile = "seq.out"
	labelFile  = "label"
)

// ReadDir reads one split (train, valid, test) of a data set in the format
// of ATIS and SNIPS as Goo et al. 2018 distribute them: three files of
// aligned lines,
//
//	dir/seq.in   the utterance as white-space separated tokens
//	dir/seq.out  one BIO tag per token: O, B-slot or I-slot
//	dir/label    the intent
//
// Multi-intent labels such as ATIS's "atis_flight#atis_airfare" are kept
// whole as the intent.
//
// Validation is strict, and every problem is a *DataError naming the file
// and line:
//   - the three files must have the same number of lines;
//   - a line of seq.out must have as many tags as its seq.in line has
//     tokens ("seq.out line 17: 5 tags for 6 tokens");
//   - a tag is O, B-x or I-x, where the slot x is letters, digits, '_',
//     '.' and '-', and I-x must follow B-x or I-x (the BIO constraint the
//     decoder enforces);
//   - a label is one word (no white space);
//   - the text must be valid UTF-8 without control characters other
//     than tab.
//
// Line ends may be LF or CRLF, and spaces or tabs at the start or end of a
// line are ignored (SNIPS has trailing spaces). A UTF-8 byte order mark at
// the start of a file is skipped. Empty lines: blank lines at the end of a
// file are ignored (an editor's extra newline); a blank line anywhere else
// is an error, since an utterance without tokens cannot be tagged and a
// stray blank line usually means the files are misaligned. A split without
// any example is an error too.
func ReadDir(dir string) ([]Example, error) {
	if dir == "" {
		dir = "."
	}
	return readSplit(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, name) })
}

// ReadDirFS is ReadDir on a file system: dir is a slash-separated path in
// fsys, as fs.FS requires.
func ReadDirFS(fsys fs.FS, dir string) ([]Example, error) {
	return readSplit(fsys, dir, func(name string) string { return path.Join(dir, name) })
}

// readSplit reads dir/seq.in, dir/seq.out and dir/label from fsys; display
// turns a file name into the path errors show.
func readSplit(fsys fs.FS, dir string, display func(string) string) ([]Example, error) {
	var lines [3][]string
	for i, name := range [3]string{seqInFile, seqOutFile, labelFile} {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("nlu: read %s: %w", display(name), err)
		}
		if lines[i], err = splitDataLines(data, display(name)); err != nil {
			return nil, err
		}
	}
	in, out, labels := lines[0], lines[1], lines[2]
	for i, other := range [2][]string{out, labels} {
		if len(other) != len(in) {
			name := [2]string{seqOutFile, labelFile}[i]
			return nil, dataErr(display(name), 0, "%d lines, but %s has %d", len(other), seqInFile, len(in))
		}
	}
	if len(in) == 0 {
		return nil, dataErr(display(seqInFile), 0, "no examples")
	}

	examples := make([]Example, len(in))
	for i := range in {
		line := i + 1
		tokens := strings.Fields(in[i])
		if len(tokens) == 0 {
			return nil, dataErr(display(seqInFile), line, "empty line")
		}
		tags := strings.Fields(out[i])
		if len(tags) == 0 {
			return nil, dataErr(display(seqOutFile), line, "empty line")
		}
		if len(tags) != len(tokens) {
			return nil, dataErr(display(seqOutFile), line, "%d tags for %d tokens", len(tags), len(tokens))
		}
		if err := checkTags(tags); err != nil {
			return nil, dataErr(display(seqOutFile), line, "%v", err)
		}
		intent := strings.TrimSpace(labels[i])
		if err := checkIntent(intent); err != nil {
			return nil, dataErr(display(labelFile), line, "%v", err)
		}
		examples[i] = Example{Tokens: tokens, Tags: tags, Intent: intent}
	}
	return examples, nil
}

// splitDataLines splits data into lines without their terminators (LF or
// CRLF), checking that each is valid UTF-8 without control characters, and
// drops blank lines at the end.
func splitDataLines(data []byte, file string) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(data) == 0 {
		return nil, nil
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	raw := bytes.Split(data, []byte("\n"))
	lines := make([]string, len(raw))
	for i, l := range raw {
		l = bytes.TrimSuffix(l, []byte("\r"))
		if err := checkText(l); err != nil {
			return nil, dataErr(file, i+1, "%v", err)
		}
		lines[i] = string(l)
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines, nil
}

// checkText reports invalid UTF-8 and control characters other than tab.
func checkText(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return fmt.Errorf("invalid UTF-8 at byte %d", i+1)
		case r != '\t' && (r < 0x20 || r == 0x7f):
			return fmt.Errorf("control character %U at byte %d", r, i+1)
		}
		i += size
	}
	return nil
}

// checkTags checks that tags are O, B-x or I-x with valid slot names, and
// that every I-x continues a B-x or I-x.
func checkTags(tags []string) error {
	prev := "O"
	for i, tag := range tags {
		if tag != "O" {
			prefix, slot, ok := strings.Cut(tag, "-")
			if !ok || (prefix != "B" && prefix != "I") {
				return fmt.Errorf("tag %d %q: want O, B-slot or I-slot", i+1, tag)
			}
			if err := checkSlot(slot); err != nil {
				return fmt.Errorf("tag %d %q: %v", i+1, tag, err)
			}
			if prefix == "I" && (prev == "O" || prev[2:] != slot) {
				return fmt.Errorf("tag %d %q follows %q: I-%s must continue B-%s or I-%s", i+1, tag, prev, slot, slot, slot)
			}
		}
		prev = tag
	}
	return nil
}

// checkSlot checks a slot name: letters, digits, '_', '.' and '-'
// ("fromloc.city_name").
func checkSlot(slot string) error {
	if slot == "" {
		return fmt.Errorf("empty slot name")
	}
	for _, r := range slot {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' && r != '-' {
			return fmt.Errorf("slot name %q: %q is not a letter, digit, '_', '.' or '-'", slot, r)
		}
	}
	return nil
}

// checkIntent checks an intent name: non-empty, without white space or
// control characters ("atis_flight#atis_airfare" is fine).
func checkIntent(intent string) error {
	if intent == "" {
		return fmt.Errorf("empty intent")
	}
	for _, r := range intent {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("intent %q contains white space or a control character", intent)
		}
	}
	return nil
}

// taggedWord is one white-space separated word of an annotated utterance,
// before punctuation is split off: its slot ("" for none) and whether it
// begins a slot value.
type taggedWord struct {
	text  string
	slot  string
	begin bool
}

// appendWords appends the white-space separated words of text to words,
// all in slot (none when ""); the first begins the slot value.
func appendWords(words []taggedWord, text, slot string) []taggedWord {
	for i, w := range strings.Fields(text) {
		words = append(words, taggedWord{text: w, slot: slot, begin: i == 0})
	}
	return words
}

// toExample turns annotated words into an Example: tokens and BIO tags.
//
// Punctuation: a trailing run of '?', '!' and ',' is split off a word, one
// token per character ("now?!" becomes "now", "?", "!"); a trailing '.'
// only off the last word of the utterance, since a period inside one is an
// abbreviation ("st. louis", which ATIS keeps as one token). A word that is
// all punctuation stays one token, and a period or comma inside a word
// stays ("1,000", "3.5"). Split-off punctuation inside a slot value gets
// the slot's I- tag. Case is kept.
func toExample(intent string, words []taggedWord) Example {
	ex := Example{Intent: intent}
	for i, w := range words {
		j := punctStart(w.text, i == len(words)-1)
		tag, inside := "O", "O"
		if w.slot != "" {
			tag, inside = "I-"+w.slot, "I-"+w.slot
			if w.begin {
				tag = "B-" + w.slot
			}
		}
		ex.Tokens = append(ex.Tokens, w.text[:j])
		ex.Tags = append(ex.Tags, tag)
		for k := j; k < len(w.text); k++ {
			ex.Tokens = append(ex.Tokens, w.text[k:k+1])
			ex.Tags = append(ex.Tags, inside)
		}
	}
	return ex
}

// punctStart returns where the trailing punctuation that toExample splits
// off word starts: len(word) when there is none, and also when word is
// all punctuation. last says whether word is the utterance's last, the
// only word a '.' is split off. Each byte of word[punctStart:] is one
// token.
func punctStart(word string, last bool) int {
	j := len(word)
	for j > 0 {
		c := word[j-1]
		if c != '?' && c != '!' && c != ',' && (c != '.' || !last) {
			break
		}
		j--
	}
	if j == 0 {
		return len(word)
	}
	return j
}
