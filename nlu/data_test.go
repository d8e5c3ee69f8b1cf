package nlu

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// mkExample builds an Example from "word/TAG word/TAG ...", a bare word
// meaning word/O.
func mkExample(intent, annotated string) Example {
	ex := Example{Intent: intent}
	for _, f := range strings.Fields(annotated) {
		tok, tag := f, "O"
		if i := strings.LastIndex(f, "/"); i > 0 && i < len(f)-1 {
			tok, tag = f[:i], f[i+1:]
		}
		ex.Tokens = append(ex.Tokens, tok)
		ex.Tags = append(ex.Tags, tag)
	}
	return ex
}

// exString formats ex as mkExample reads it, for failure messages.
func exString(ex Example) string {
	var b strings.Builder
	b.WriteString(ex.Intent + ":")
	for i, tok := range ex.Tokens {
		b.WriteString(" " + tok)
		if i < len(ex.Tags) {
			b.WriteString("/" + ex.Tags[i])
		}
	}
	return b.String()
}

// checkExamples fails t unless got equals want.
func checkExamples(t *testing.T, got, want []Example) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Errorf("got %d examples, want %d", len(got), len(want))
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = exString(got[i])
		}
		if i < len(want) {
			w = exString(want[i])
		}
		if g != w {
			t.Errorf("example %d:\n got  %s\n want %s", i, g, w)
		}
	}
}

// checkDataError fails t unless err is a *DataError at file and line whose
// message contains msg.
func checkDataError(t *testing.T, err error, file string, line int, msg string) {
	t.Helper()
	var de *DataError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T), want a *DataError", err, err)
	}
	if de.File != file || de.Line != line || !strings.Contains(de.Msg, msg) {
		t.Errorf("error %q: want file %q, line %d, message with %q", err, file, line, msg)
	}
}

// splitFS returns a MapFS with one split in dir d.
func splitFS(in, out, label string) fstest.MapFS {
	return fstest.MapFS{
		"d/seq.in":  {Data: []byte(in)},
		"d/seq.out": {Data: []byte(out)},
		"d/label":   {Data: []byte(label)},
	}
}

func TestReadDir(t *testing.T) {
	t.Parallel()
	two := []Example{
		mkExample("a", "fly/O to/O boston/B-city"),
		mkExample("b#c", "hi"),
	}
	tests := []struct {
		name           string
		in, out, label string
		want           []Example
	}{
		{"plain", "fly to boston\nhi\n", "O O B-city\nO\n", "a\nb#c\n", two},
		{"no final newline", "fly to boston\nhi", "O O B-city\nO", "a\nb#c", two},
		{"CRLF", "fly to boston\r\nhi\r\n", "O O B-city\r\nO\r\n", "a\r\nb#c\r\n", two},
		{"trailing spaces", "fly to boston \nhi  \n", "O O B-city \nO\t\n", "a \nb#c\n", two},
		{"leading spaces and tabs", "  fly\tto  boston\nhi\n", "\tO O B-city\nO\n", " a\nb#c\n", two},
		{"trailing blank lines", "fly to boston\nhi\n\n \n", "O O B-city\nO\n\n", "a\nb#c\n\r\n", two},
		{"byte order mark", "\ufefffly to boston\nhi\n", "\ufeffO O B-city\nO\n", "\ufeffa\nb#c\n", two},
		{"multi-word slot", "new york please", "B-city I-city O", "x", []Example{mkExample("x", "new/B-city york/I-city please")}},
		{"adjacent slots", "one two", "B-n B-n", "x", []Example{mkExample("x", "one/B-n two/B-n")}},
		{"non-ASCII", "clásicos ünd", "B-álbum I-álbum", "x", []Example{mkExample("x", "clásicos/B-álbum ünd/I-álbum")}},
		{"dotted slot", "boston", "B-fromloc.city_name", "x", []Example{mkExample("x", "boston/B-fromloc.city_name")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadDirFS(splitFS(tt.in, tt.out, tt.label), "d")
			if err != nil {
				t.Fatal(err)
			}
			checkExamples(t, got, tt.want)
		})
	}
}

func TestReadDirErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		in, out, label string
		file           string // in d/
		line           int
		msg            string
	}{
		{"fewer tags lines", "a b\nc\n", "O O\n", "x\ny\n", "seq.out", 0, "1 lines, but seq.in has 2"},
		{"more label lines", "a b\n", "O O\n", "x\ny\n", "label", 0, "2 lines, but seq.in has 1"},
		{"tag count", "a b\nc d e f g h\n", "O O\nO O O O O\n", "x\ny\n", "seq.out", 2, "5 tags for 6 tokens"},
		{"too many tags", "a\n", "O O\n", "x\n", "seq.out", 1, "2 tags for 1 tokens"},
		{"unknown prefix", "a b\n", "O X-city\n", "x\n", "seq.out", 1, `tag 2 "X-city": want O, B-slot or I-slot`},
		{"lower-case o", "a\n", "o\n", "x\n", "seq.out", 1, `tag 1 "o"`},
		{"bare B", "a\n", "B\n", "x\n", "seq.out", 1, `tag 1 "B"`},
		{"empty slot", "a\n", "B-\n", "x\n", "seq.out", 1, "empty slot name"},
		{"bad slot character", "a\n", "B-ci/ty\n", "x\n", "seq.out", 1, `'/' is not`},
		{"I after O", "a b\n", "O I-city\n", "x\n", "seq.out", 1, `tag 2 "I-city" follows "O"`},
		{"I at start", "a b\n", "I-city O\n", "x\n", "seq.out", 1, `tag 1 "I-city" follows "O"`},
		{"I of another slot", "a b\n", "B-city I-state\n", "x\n", "seq.out", 1, `I-state must continue B-state`},
		{"blank seq.in line", "a\n\nb\n", "O\nO\nO\n", "x\ny\nz\n", "seq.in", 2, "empty line"},
		{"blank seq.out line", "a\nb\nc\n", "O\n  \nO\n", "x\ny\nz\n", "seq.out", 2, "empty line"},
		{"blank label", "a\nb\nc\n", "O\nO\nO\n", "x\n \nz\n", "label", 2, "empty intent"},
		{"label with space", "a\n", "O\n", "set timer\n", "label", 1, "white space"},
		{"invalid UTF-8", "a\nb\xffc\n", "O\nO\n", "x\ny\n", "seq.in", 2, "invalid UTF-8 at byte 2"},
		{"control character", "a\x00\n", "O\n", "x\n", "seq.in", 1, "control character U+0000"},
		{"lone CR inside a line", "a\rb\n", "O\n", "x\n", "seq.in", 1, "control character U+000D"},
		{"no examples", "", "", "\n", "seq.in", 0, "no examples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadDirFS(splitFS(tt.in, tt.out, tt.label), "d")
			checkDataError(t, err, "d/"+tt.file, tt.line, tt.msg)
		})
	}
}

func TestReadDirErrorText(t *testing.T) {
	t.Parallel()
	_, err := ReadDirFS(splitFS("a b\n", "O\n", "x\n"), "d")
	if want := "nlu: d/seq.out line 1: 1 tags for 2 tokens"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestReadDirMissingFile(t *testing.T) {
	t.Parallel()
	fsys := splitFS("a\n", "O\n", "x\n")
	delete(fsys, "d/label")
	_, err := ReadDirFS(fsys, "d")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "d/label") {
		t.Errorf("error %v, want fs.ErrNotExist naming d/label", err)
	}
}

func TestReadDirTestdata(t *testing.T) {
	t.Parallel()
	want := []Example{
		mkExample("atis_flight", "show flights from boston/B-fromloc.city_name to st./B-toloc.city_name louis/I-toloc.city_name"),
		mkExample("atis_airfare#atis_flight", "what is the fare for first/B-class_type class/I-class_type"),
		mkExample("PlayMusic", "play the album/B-music_item clásicos/B-album by shakira/B-artist"),
		mkExample("RateBook", "rate this/B-object_select book/B-object_type five/B-rating_value stars/B-rating_unit"),
	}
	dir := filepath.Join("testdata", "seqdir", "train")
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkExamples(t, got, want)

	// Errors name the OS path.
	tmp := t.TempDir()
	for name, data := range map[string]string{"seq.in": "a b\n", "seq.out": "O B-x\nO\n", "label": "x\n"} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = ReadDir(tmp)
	checkDataError(t, err, filepath.Join(tmp, "seq.out"), 0, "2 lines, but seq.in has 1")
}

// randomExamples returns n random valid examples: words from a small
// vocabulary with non-ASCII letters, BIO tags, intents with '#'.
func randomExamples(rng *rand.Rand, n int) []Example {
	vocab := []string{"set", "a", "timer", "for", "five", "minutes", "clásicos", "play", "st.", "louis", "1,000", "what's", "ünd"}
	slots := []string{"duration", "city", "fromloc.city_name", "artist"}
	intents := []string{"set_timer", "PlayMusic", "atis_flight#atis_airfare"}
	out := make([]Example, n)
	for i := range out {
		ex := Example{Intent: intents[rng.IntN(len(intents))]}
		for j := range 1 + rng.IntN(8) {
			ex.Tokens = append(ex.Tokens, vocab[rng.IntN(len(vocab))])
			switch r := rng.IntN(3); {
			case r == 0:
				ex.Tags = append(ex.Tags, "O")
			case r == 1 && j > 0 && ex.Tags[j-1] != "O":
				ex.Tags = append(ex.Tags, "I-"+ex.Tags[j-1][2:])
			default:
				ex.Tags = append(ex.Tags, "B-"+slots[rng.IntN(len(slots))])
			}
		}
		out[i] = ex
	}
	return out
}

// TestReadDirRoundTrip writes random examples in the format, with random
// line ends and trailing white space, and reads them back.
func TestReadDirRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		want := randomExamples(rng, 1+rng.IntN(20))
		var in, out, label strings.Builder
		for _, ex := range want {
			end := func() string {
				return []string{"\n", "\r\n", " \n", "\t\r\n"}[rng.IntN(4)]
			}
			in.WriteString(strings.Join(ex.Tokens, " ") + end())
			out.WriteString(strings.Join(ex.Tags, " ") + end())
			label.WriteString(ex.Intent + end())
		}
		got, err := ReadDirFS(splitFS(in.String(), out.String(), label.String()), "d")
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		checkExamples(t, got, want)
	}
}

// sharedDataDir returns $PARLEY_DATA, or ../shared/data next to the
// repository root, skipping the test when sub is absent there.
func sharedDataDir(t *testing.T, sub string) string {
	t.Helper()
	root := os.Getenv("PARLEY_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "data") // from nlu/
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no %s (set PARLEY_DATA to the shared data folder): %v", sub, err)
	}
	return dir
}

// TestReadDirSharedData reads the real ATIS and SNIPS splits; the counts
// are those of their SOURCE.md files.
func TestReadDirSharedData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		split    string
		examples int
		intents  int
		tags     int // distinct tags including O; 0: not checked
	}{
		{"snips/train", 13084, 7, 72},
		{"snips/valid", 700, 7, 0},
		{"atis/train", 4478, 21, 120},
		{"atis/valid", 500, 16, 0},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.split, "/", "_"), func(t *testing.T) {
			t.Parallel()
			exs, err := ReadDir(sharedDataDir(t, tt.split))
			if err != nil {
				t.Fatal(err)
			}
			intents, tags := map[string]int{}, map[string]bool{}
			for _, ex := range exs {
				intents[ex.Intent]++
				for _, tag := range ex.Tags {
					tags[tag] = true
				}
			}
			if len(exs) != tt.examples || len(intents) != tt.intents {
				t.Errorf("%d examples of %d intents, want %d of %d", len(exs), len(intents), tt.examples, tt.intents)
			}
			if tt.tags > 0 && len(tags) != tt.tags {
				t.Errorf("%d distinct tags, want %d", len(tags), tt.tags)
			}
			switch tt.split {
			case "snips/train":
				// SOURCE.md: 1,818-1,914 lines per intent.
				for intent, n := range intents {
					if n < 1818 || n > 1914 {
						t.Errorf("%s: %d examples, want 1818 to 1914", intent, n)
					}
				}
			case "atis/train":
				// SOURCE.md: atis_flight is 3,309 of 4,478; multi-intent
				// labels kept whole.
				if n := intents["atis_flight"]; n != 3309 {
					t.Errorf("atis_flight: %d examples, want 3309", n)
				}
				if intents["atis_flight#atis_airfare"] == 0 {
					t.Error("no atis_flight#atis_airfare examples")
				}
			}
		})
	}
}

// FuzzReadDir checks that ReadDirFS never panics and that what it accepts
// is valid: as many tags as tokens, BIO tags, an intent.
func FuzzReadDir(f *testing.F) {
	dir := filepath.Join("testdata", "seqdir", "train")
	var seed [3][]byte
	for i, name := range []string{"seq.in", "seq.out", "label"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		seed[i] = b
	}
	f.Add(seed[0], seed[1], seed[2])
	f.Add([]byte("a b\r\nc\n"), []byte("B-x I-x\r\nO \n\n"), []byte("x\ny"))
	f.Add([]byte("a\n\nb"), []byte("O\nO\nI-x"), []byte("\ufeffx\n\n"))
	f.Fuzz(func(t *testing.T, in, out, label []byte) {
		if len(in)+len(out)+len(label) > 1<<12 {
			t.Skip("input too large")
		}
		fsys := fstest.MapFS{"seq.in": {Data: in}, "seq.out": {Data: out}, "label": {Data: label}}
		exs, err := ReadDirFS(fsys, ".")
		if err != nil {
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *DataError", err, err)
			}
			return
		}
		for i, ex := range exs {
			if len(ex.Tokens) == 0 || len(ex.Tokens) != len(ex.Tags) || checkTags(ex.Tags) != nil || checkIntent(ex.Intent) != nil {
				t.Fatalf("example %d invalid: %q", i, exString(ex))
			}
		}
	})
}

func TestToExamplePunctuation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		words []taggedWord
		want  Example
	}{
		{"question mark", []taggedWord{{text: "what"}, {text: "time?"}}, mkExample("i", "what time ?")},
		{"run of marks", []taggedWord{{text: "now?!"}}, mkExample("i", "now ? !")},
		{"comma mid-sentence", []taggedWord{{text: "yes,"}, {text: "please"}}, mkExample("i", "yes , please")},
		{"final period", []taggedWord{{text: "go"}, {text: "home."}}, mkExample("i", "go home .")},
		{"abbreviation kept", []taggedWord{{text: "st."}, {text: "louis"}}, mkExample("i", "st. louis")},
		{"inner punctuation kept", []taggedWord{{text: "1,000"}, {text: "3.5"}}, mkExample("i", "1,000 3.5")},
		{"all punctuation", []taggedWord{{text: "hm"}, {text: "..."}}, mkExample("i", "hm ...")},
		{"slot keeps its punctuation", []taggedWord{{text: "paris,", slot: "city", begin: true}, {text: "france?", slot: "city"}},
			mkExample("i", "paris/B-city ,/I-city france/I-city ?/I-city")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := toExample("i", tt.words)
			checkExamples(t, []Example{got}, []Example{tt.want})
		})
	}
}
