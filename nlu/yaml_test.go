package nlu

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []Example
	}{
		{
			name: "block and list",
			src: `version: "1"
intents:
  - intent: set_timer
    examples: |
      - set a timer for [five minutes](duration)
      - wake me up in [ten minutes](duration) please
  - intent: translate
    examples:
      - translate [hello](text) to [spanish](language)
`,
			want: []Example{
				mkExample("set_timer", "set a timer for five/B-duration minutes/I-duration"),
				mkExample("set_timer", "wake me up in ten/B-duration minutes/I-duration please"),
				mkExample("translate", "translate hello/B-text to spanish/B-language"),
			},
		},
		{
			name: "version optional and unquoted",
			src:  "version: 1\nintents:\n  - intent: a\n    examples: [hi]\n",
			want: []Example{mkExample("a", "hi")},
		},
		{
			name: "no version",
			src:  "intents:\n- intent: a\n  examples:\n  - hi there\n",
			want: []Example{mkExample("a", "hi there")},
		},
		{
			name: "Rasa JSON annotation",
			src:  "intents:\n- intent: a\n  examples: |\n    - to [NYC]{\"entity\": \"city\", \"value\": \"New York\", \"role\": \"to\", \"group\": \"1\"} now\n",
			want: []Example{mkExample("a", "to NYC/B-city now")},
		},
		{
			name: "JSON with braces in a string",
			src:  "intents:\n- intent: a\n  examples: |\n    - [x]{\"entity\": \"s\", \"value\": \"}{\"}y\n",
			want: []Example{mkExample("a", "x/B-s y")},
		},
		{
			name: "annotation boundaries split words",
			src:  "intents:\n- intent: a\n  examples: |\n    - [york](city)'s best at [5](hour)pm\n",
			want: []Example{mkExample("a", "york/B-city 's best at 5/B-hour pm")},
		},
		{
			name: "adjacent annotations",
			src:  "intents:\n- intent: a\n  examples: |\n    - [one](n) [two](n)[three](m)\n",
			want: []Example{mkExample("a", "one/B-n two/B-n three/B-m")},
		},
		{
			name: "punctuation",
			src:  "intents:\n- intent: a\n  examples: |\n    - fly to [st. louis](city), please?\n    - [paris](city).\n",
			want: []Example{
				mkExample("a", "fly to st./B-city louis/I-city , please ?"),
				mkExample("a", "paris/B-city ."),
			},
		},
		{
			name: "white space inside annotations",
			src:  "intents:\n- intent: a\n  examples: |\n    - set [  five\tminutes ](duration)\n",
			want: []Example{mkExample("a", "set five/B-duration minutes/I-duration")},
		},
		{
			name: "blank lines, tabs, CRLF, chomping",
			src:  "intents:\r\n- intent: a\r\n  examples: |-\r\n\r\n    -\thi\r\n\r\n    - bye  \r\n",
			want: []Example{mkExample("a", "hi"), mkExample("a", "bye")},
		},
		{
			name: "brackets as plain characters elsewhere",
			src:  "intents:\n- intent: a\n  examples: [\"call (555) {x}\"]\n",
			want: []Example{mkExample("a", "call (555) {x}")},
		},
		{
			name: "multi-line list items",
			src:  "intents:\n- intent: a\n  examples:\n    - >\n      set a\n      [timer](t)\n    - |\n      b\n      c\n",
			want: []Example{mkExample("a", "set a timer/B-t"), mkExample("a", "b c")},
		},
		{
			name: "repeated intent",
			src:  "intents:\n- intent: a\n  examples: [x]\n- intent: b\n  examples: [y]\n- intent: a\n  examples: [z]\n",
			want: []Example{mkExample("a", "x"), mkExample("b", "y"), mkExample("a", "z")},
		},
		{
			name: "aliases",
			src:  "intents:\n- intent: a\n  examples: &common [hi, hello]\n- intent: b\n  examples: *common\n",
			want: []Example{mkExample("a", "hi"), mkExample("a", "hello"), mkExample("b", "hi"), mkExample("b", "hello")},
		},
		{
			name: "multi-intent label and non-ASCII",
			src:  "intents:\n- intent: atis_flight#atis_airfare\n  examples: [\"pon [clásicos](playlist)\"]\n",
			want: []Example{mkExample("atis_flight#atis_airfare", "pon clásicos/B-playlist")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadYAML(strings.NewReader(tt.src), "t.yaml")
			if err != nil {
				t.Fatal(err)
			}
			checkExamples(t, got, tt.want)
		})
	}
}

func TestReadYAMLErrors(t *testing.T) {
	t.Parallel()
	// block wraps one example line in a valid file; the line is line 4.
	block := func(line string) string {
		return "intents:\n- intent: a\n  examples: |\n    - " + line + "\n"
	}
	tests := []struct {
		name string
		src  string
		line int
		msg  string
	}{
		{"broken YAML", "intents:\n- intent: a\n  examples: [x\n", 3, "invalid YAML: did not find expected ',' or ']'"},
		{"bad indentation", "intents:\n  - intent: a\n   examples: [x]\n", 2, "invalid YAML: did not find expected '-' indicator"},
		{"parser error", "intents:\n- intent: a\n  examples: [x]\n b: c\n", 4, "invalid YAML: did not find expected key"},
		{"scanner error", "intents:\n- intent: a\n  examples: [x]\n  b: c: d\n", 4, "invalid YAML: mapping values are not allowed"},
		{"tab indentation", "intents:\n\t- intent: a\n", 2, "invalid YAML"},
		{"empty file", "", 0, "empty file"},
		{"only a comment", "# nothing\n", 0, "empty file"},
		{"two documents", "intents: []\n---\nintents: []\n", 2, "a second YAML document"},
		{"top level a list", "- a\n", 1, "top level: want a mapping, got a list"},
		{"unknown top key", "version: \"1\"\nintent: []\n", 2, `top level: unknown key "intent"`},
		{"Rasa's nlu key", "version: \"3.1\"\nnlu: []\n", 2, `unknown key "nlu"`},
		{"duplicate top key", "intents: []\nintents: []\n", 2, `duplicate key "intents"`},
		{"unsupported version", "version: \"2\"\nintents: []\n", 1, `unsupported version "2"`},
		{"no intents key", "version: \"1\"\n", 1, "no intents"},
		{"intents empty", "intents: []\n", 1, "no intents"},
		{"intents a mapping", "intents:\n  a: b\n", 2, "intents: want a list, got a mapping"},
		{"entry a string", "intents:\n- a\n", 2, "intents entry: want a mapping, got a string"},
		{"unknown entry key", "intents:\n- intent: a\n  exmples: [x]\n", 3, `unknown key "exmples" (want intent, examples)`},
		{"duplicate entry key", "intents:\n- intent: a\n  intent: b\n", 3, `duplicate key "intent"`},
		{"no intent", "intents:\n- examples: [x]\n", 2, "intents entry without intent"},
		{"intent a list", "intents:\n- intent: [a]\n  examples: [x]\n", 2, "intent: want a string, got a list"},
		{"empty intent", "intents:\n- intent: \"\"\n  examples: [x]\n", 2, "empty intent"},
		{"intent with a space", "intents:\n- intent: set timer\n  examples: [x]\n", 2, "white space"},
		{"no examples key", "intents:\n- intent: a\n", 2, "intent a has no examples"},
		{"examples empty list", "intents:\n- intent: a\n  examples: []\n", 3, "intent a has no examples"},
		{"examples empty block", "intents:\n- intent: a\n  examples: |\n\n- intent: b\n", 3, "intent a has no examples"},
		{"examples null", "intents:\n- intent: a\n  examples:\n", 3, "want a literal block (examples: |) or a list"},
		{"examples folded", "intents:\n- intent: a\n  examples: >\n    - x\n", 3, "want a literal block"},
		{"examples plain", "intents:\n- intent: a\n  examples: hello\n", 3, "want a literal block"},
		{"examples a mapping", "intents:\n- intent: a\n  examples:\n    x: y\n", 4, "got a mapping"},
		{"example a mapping", "intents:\n- intent: a\n  examples:\n    - text: hi\n", 4, "example: want a string, got a mapping"},
		{"block line without dash", "intents:\n- intent: a\n  examples: |\n    - x\n    y\n", 5, `want "- example", got "y"`},
		{"block line without space", "intents:\n- intent: a\n  examples: |\n    -x\n", 4, `want "- example", got "-x"`},
		{"empty block example", "intents:\n- intent: a\n  examples: |\n    - x\n    -\n", 5, "empty example"},
		{"empty list example", "intents:\n- intent: a\n  examples: [x, \"  \"]\n", 3, "empty example"},
		{"control character", "intents:\n- intent: a\n  examples: [\"a\\x01b\"]\n", 3, "control character U+0001"},
		{"invalid UTF-8", "intents:\n- intent: a\n  examples: [\"\xff\"]\n", 0, "invalid YAML"},
		{"unclosed bracket", block("set [five minutes(duration)"), 4, "'[' not closed by ']'"},
		{"nested brackets", block("[a [b](x)](y)"), 4, "'[' not closed by ']'"},
		{"stray closing bracket", block("set five] minutes"), 4, `"set five]" without '['`},
		{"no slot", block("set [five] minutes"), 4, "annotation [five]: want (slot)"},
		{"space before slot", block("set [five] (n)"), 4, "annotation [five]: want (slot)"},
		{"unclosed paren", block("set [five](n"), 4, "'(' not closed by ')'"},
		{"empty text", block("set [ ](n)"), 4, "no text"},
		{"empty slot", block("set [five]()"), 4, "empty slot name"},
		{"bad slot", block("set [five](a b)"), 4, `slot name "a b"`},
		{"Rasa synonym shorthand", block("[NYC](city:New York)"), 4, `slot name "city:New York"`},
		{"bad JSON", block(`[NYC]{"entity": city}`), 4, "invalid JSON object"},
		{"JSON without entity", block(`[NYC]{"value": "x"}`), 4, `no "entity"`},
		{"JSON unknown key", block(`[NYC]{"entity": "city", "synonym": "x"}`), 4, `unknown key "synonym"`},
		{"JSON non-string", block(`[NYC]{"entity": 3}`), 4, `"entity": want a string`},
		{"JSON bad slot", block(`[NYC]{"entity": ""}`), 4, "empty slot name"},
		{"error on a later block line", "intents:\n- intent: a\n  examples: |  # comment\n\n    - fine\n\n    - [bad\n", 7, "not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadYAML(strings.NewReader(tt.src), "t.yaml")
			checkDataError(t, err, "t.yaml", tt.line, tt.msg)
		})
	}
}

func TestReadYAMLFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "yaml", "assistant.yaml")
	got, err := ReadYAMLFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkExamples(t, got, []Example{
		mkExample("set_timer", "set a timer for five/B-duration minutes/I-duration"),
		mkExample("set_timer", "wake me up in ten/B-duration minutes/I-duration please"),
		mkExample("set_timer", "twenty/B-duration seconds/I-duration , go !"),
		mkExample("translate", "translate hello/B-text to spanish/B-language"),
		mkExample("translate", "how do you say good/B-text night/I-text in german/B-language ?"),
		mkExample("set_timer", "timer for an/B-duration hour/I-duration ."),
	})

	if _, err := ReadYAMLFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("intents:\n- intent: a\n  examples: [\"[x\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadYAMLFile(bad)
	checkDataError(t, err, bad, 3, "not closed")
}

// annotateYAML writes ex as an annotated example, each slot value as
// [words](slot) or [words]{"entity": "slot"} at random.
func annotateYAML(rng *rand.Rand, ex Example) string {
	var b strings.Builder
	for i := 0; i < len(ex.Tokens); {
		if i > 0 {
			b.WriteByte(' ')
		}
		if ex.Tags[i] == "O" {
			b.WriteString(ex.Tokens[i])
			i++
			continue
		}
		slot := ex.Tags[i][2:]
		j := i + 1
		for j < len(ex.Tokens) && ex.Tags[j] == "I-"+slot {
			j++
		}
		value := strings.Join(ex.Tokens[i:j], " ")
		if rng.IntN(2) == 0 {
			fmt.Fprintf(&b, "[%s](%s)", value, slot)
		} else {
			fmt.Fprintf(&b, `[%s]{"entity": %q}`, value, slot)
		}
		i = j
	}
	return b.String()
}

// TestReadYAMLRoundTrip writes random examples as YAML, in both forms of
// examples and both annotations, and reads them back.
func TestReadYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	vocab := []string{"set", "a", "timer", "for", "five", "minutes", "clásicos", "what's", "st.", "louis", "1,000", "3.5"}
	for trial := range 50 {
		var want []Example
		var src strings.Builder
		src.WriteString("version: \"1\"\nintents:\n")
		for range 1 + rng.IntN(4) {
			exs := randomExamples(rng, 1+rng.IntN(5))
			intent := exs[0].Intent
			for i := range exs {
				exs[i].Intent = intent
				for j := range exs[i].Tokens {
					exs[i].Tokens[j] = vocab[rng.IntN(len(vocab))]
				}
				// '.' is split off the last word: keep it off there.
				if last := len(exs[i].Tokens) - 1; strings.HasSuffix(exs[i].Tokens[last], ".") {
					exs[i].Tokens[last] = "timer"
				}
			}
			want = append(want, exs...)
			fmt.Fprintf(&src, "  - intent: %s\n", intent)
			if rng.IntN(2) == 0 {
				src.WriteString("    examples: |\n")
				for _, ex := range exs {
					fmt.Fprintf(&src, "      - %s\n", annotateYAML(rng, ex))
				}
			} else {
				src.WriteString("    examples:\n")
				for _, ex := range exs {
					q, err := json.Marshal(annotateYAML(rng, ex)) // a JSON string is a YAML one
					if err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(&src, "      - %s\n", q)
				}
			}
		}
		got, err := ReadYAML(strings.NewReader(src.String()), "t.yaml")
		if err != nil {
			t.Fatalf("trial %d: %v\n%s", trial, err, src.String())
		}
		checkExamples(t, got, want)
	}
}

// FuzzReadYAML checks that ReadYAML never panics, returns only *DataError
// for bad input, and only valid examples.
func FuzzReadYAML(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "yaml", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("intents:\n- intent: a\n  examples: |\n    - [x]{\"entity\": \"s\"} [y](t)z\n")
	f.Add("intents:\n- intent: a\n  examples: &x [a, *x]\n")
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1<<12 {
			t.Skip("input too large")
		}
		exs, err := ReadYAML(strings.NewReader(src), "f.yaml")
		if err != nil {
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *DataError", err, err)
			}
			return
		}
		if len(exs) == 0 {
			t.Fatal("no examples and no error")
		}
		for i, ex := range exs {
			if len(ex.Tokens) == 0 || len(ex.Tokens) != len(ex.Tags) || checkTags(ex.Tags) != nil || checkIntent(ex.Intent) != nil {
				t.Fatalf("example %d invalid: %q", i, exString(ex))
			}
		}
	})
}

func TestReadYAMLReaderError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := ReadYAML(iotest.ErrReader(boom), "t.yaml")
	var de *DataError
	if !errors.Is(err, boom) || errors.As(err, &de) {
		t.Errorf("error %v, want one wrapping the reader's, not a *DataError", err)
	}
}
