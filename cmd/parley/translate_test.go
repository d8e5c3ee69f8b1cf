package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-ai/parley/translate"
)

// The embedded model is a placeholder until the real one lands, so these
// tests check the structure of the output (line counts, formats, exit
// statuses), never the quality of the translations. Most of them use a
// tiny model trained by TestMTTrainTranslateEval; the ones here use the
// embedded model with short inputs and greedy decoding, so that they stay
// fast with the real model.

// runIn runs parley with stdin and returns the exit status and both streams.
func runIn(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// outLines splits output into its lines; "" has none.
func outLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestTranslateEmbeddedModel(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		lines int // output lines; every empty input line must give an empty one
		empty []int
		// stderr, if set, must appear in the standard error
		stderr string
	}{
		{name: "args", args: []string{"translate", "--beam", "1", "Good morning", "", "Where is the station?"}, lines: 3, empty: []int{1}},
		{name: "one_arg", args: []string{"translate", "--beam", "1", "Thank you"}, lines: 1},
		{name: "stdin", stdin: "Good morning\n\nThank you\n", args: []string{"translate", "--beam", "1"}, lines: 3, empty: []int{1}},
		{name: "stdin_no_final_newline", stdin: "Good morning\nThank you", args: []string{"translate", "--beam", "1"}, lines: 2},
		{name: "stdin_crlf", stdin: "Good morning\r\n\r\nThank you\r\n", args: []string{"translate", "--beam", "1"}, lines: 3, empty: []int{1}},
		{name: "stdin_dash", stdin: "Hello\n\n", args: []string{"translate", "--beam", "1", "--input", "-"}, lines: 2, empty: []int{1}},
		{name: "stdin_empty", stdin: "", args: []string{"translate"}, lines: 0},
		{name: "from_es", args: []string{"translate", "--beam", "1", "--from", "es", "Buenos días"}, lines: 1},
		{name: "to_en", args: []string{"translate", "--beam", "1", "--to", "en", "Buenos días"}, lines: 1},
		{name: "model_by_name", args: []string{"translate", "--beam", "1", "--model", "en-es", "--from", "en", "--to", "es", "Hello"}, lines: 1},
		{name: "es_en_by_name", args: []string{"translate", "--beam", "1", "--model", "es-en", "--from", "es", "Gracias"}, lines: 1},
		{name: "detects_spanish", args: []string{"translate", "--beam", "1", "¿Dónde está la estación?"}, lines: 1, stderr: "looks like Spanish"},
		{name: "es_en_model_both_ways", args: []string{"translate", "--beam", "1", "--model", "es-en", "Thank you"}, lines: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runIn(tc.stdin, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.stderr)
			}
			got := outLines(stdout)
			if len(got) != tc.lines {
				t.Fatalf("%d output lines, want %d: %q", len(got), tc.lines, stdout)
			}
			for _, i := range tc.empty {
				if got[i] != "" {
					t.Errorf("line %d = %q, want empty (the input line is empty)", i+1, got[i])
				}
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.srt")
	os.WriteFile(bad, []byte("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 -> 00:00:04,000\nThere\n"), 0o644)
	backwards := filepath.Join(dir, "backwards.srt")
	os.WriteFile(backwards, []byte("1\n00:00:05,000 --> 00:00:02,000\nHi\n"), 0o644)
	text := filepath.Join(dir, "a.txt")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	good := filepath.Join(dir, "good.srt")
	os.WriteFile(good, []byte("1\n00:00:01,000 --> 00:00:02,000\nHi\n"), 0o644)
	out := filepath.Join(dir, "out.txt")

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"unsupported_from", []string{"translate", "--from", "fr", "bonjour"}, exitUsage,
			[]string{`the embedded models do not know the language "fr"`, "between en and es", "usage: parley translate"}},
		{"one_way_model", []string{"translate", "--model", "en-es", "--from", "es", "hola"}, exitUsage,
			[]string{"model en-es cannot translate es→en: it translates en→es only", "usage: parley translate"}},
		{"unsupported_to", []string{"translate", "--from", "en", "--to", "de", "hello"}, exitUsage,
			[]string{`"de"`, "between en and es"}},
		{"same_language", []string{"translate", "--from", "en", "--to", "en", "hello"}, exitUsage,
			[]string{"cannot translate en→en", "between en and es"}},
		{"audio_planned", []string{"translate", "--audio", "speech.wav"}, exitUnavailable,
			[]string{"parley translate --audio: not available yet", "speech recognition model"}},
		{"beam_zero", []string{"translate", "--beam", "0", "x"}, exitUsage, []string{"--beam 0"}},
		{"nbest_negative", []string{"translate", "--nbest", "-1", "x"}, exitUsage, []string{"--nbest -1"}},
		{"text_and_input", []string{"translate", "--input", text, "x"}, exitUsage, []string{"not both"}},
		{"srt_and_json", []string{"translate", "--json", "--input", good}, exitUsage, []string{"not subtitles"}},
		{"srt_and_nbest", []string{"translate", "--srt", "--nbest", "2"}, exitUsage, []string{"not subtitles"}},
		{"srt_and_text_args", []string{"translate", "--srt", "hello"}, exitUsage, []string{"not TEXT arguments"}},
		{"two_srt", []string{"translate", "--input", good, "--input", good}, exitUsage, []string{"one subtitle file at a time"}},
		{"srt_and_txt", []string{"translate", "--input", good, "--input", text}, exitUsage, []string{"cannot mix"}},
		{"unknown_flag", []string{"translate", "--bogus"}, exitUsage, []string{"-bogus"}},
		{"missing_input", []string{"translate", "--input", filepath.Join(dir, "nosuch.txt")}, exitFailure, []string{"nosuch.txt"}},
		{"missing_model", []string{"translate", "--model", filepath.Join(dir, "nosuch.safetensors"), "x"}, exitFailure,
			[]string{"no such file", "en-es"}},
		{"not_a_model", []string{"translate", "--model", text, "x"}, exitFailure, []string{"a.txt"}},
		{"malformed_srt", []string{"translate", "--input", bad, "-o", out}, exitFailure,
			[]string{"parley translate: " + bad + ":6: bad timing line"}},
		{"srt_end_before_start", []string{"translate", "--input", backwards}, exitFailure,
			[]string{backwards + ":2: end time"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runIn("", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run wrote %s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("%s has %d entries, want the 4 inputs (temporary files left?)", dir, len(entries))
	}
}

// TestTranslateCancelled: Ctrl-C while waiting for standard input stops at
// once with status 130 and writes no -o file.
func TestTranslateCancelled(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.txt")
	pr, pw := io.Pipe()
	defer pw.Close()
	pw2 := make(chan struct{})
	go func() { // one line, then the pipe stays open
		pw.Write([]byte("Hello\n"))
		close(pw2)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-pw2
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"translate", "-o", out}, pr, &stdout, &stderr) }()
	select {
	case code := <-done:
		if code != exitCancelled {
			t.Errorf("exit %d, want %d; stderr %s", code, exitCancelled, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("translate did not stop after the context was cancelled")
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("an interrupted run wrote %s", out)
	}
}

func TestTranslateModelsList(t *testing.T) {
	code, stdout, stderr := runCLI("models", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []modelInfo
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"en-es", "es-en"} {
		i := slices.IndexFunc(got, func(m modelInfo) bool { return m.Name == name })
		if i < 0 {
			t.Fatalf("no %s model in %s", name, stdout)
		}
		if m := got[i]; m.Task != "translate" || !slices.Equal(m.Languages, []string{"en", "es"}) || m.Bytes <= 0 || m.Provenance["data"] == "" {
			t.Errorf("%s entry %+v", name, m)
		}
	}
	code, stdout, _ = runCLI("models")
	if code != exitOK || !regexp.MustCompile(`(?m)^en-es +translate +`).MatchString(stdout) || !regexp.MustCompile(`(?m)^es-en +translate +`).MatchString(stdout) {
		t.Errorf("table: exit %d\n%s", code, stdout)
	}
}

func TestTranslateWrapBalanced(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want []string
	}{
		{"", 2, nil},
		{"one", 2, []string{"one"}},
		{"one two", 1, []string{"one two"}},
		{"one two", 0, []string{"one two"}},
		{"one two", 3, []string{"one", "two"}},
		{"aaa bb cc dddd", 2, []string{"aaa bb", "cc dddd"}},
		{"I am a much longer word here", 2, []string{"I am a much", "longer word here"}},
		{"a b c d e f", 3, []string{"a b", "c d", "e f"}},
		{"  spaced\tout  words ", 2, []string{"spaced", "out words"}},
		{"¿Dónde está la estación?", 2, []string{"¿Dónde está", "la estación?"}},
		// a number line before a line holding "-->" would read as a new cue
		{"12 --> x", 2, []string{"12 --> x"}},
	}
	for _, tc := range tests {
		if got := wrapBalanced(tc.text, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("wrapBalanced(%q, %d) = %q, want %q", tc.text, tc.n, got, tc.want)
		}
	}
}

func TestTranslateEachLine(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{""}},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\n\n", []string{"a", ""}},
		{"a\r\nb\r\n", []string{"a", "b"}},
		{"a\n\nb", []string{"a", "", "b"}},
		{"x\xffy\n", []string{"x\xffy"}},
	}
	for _, tc := range tests {
		var got []string
		err := eachLine(context.Background(), strings.NewReader(tc.in), func(s string) error {
			got = append(got, s)
			return nil
		})
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("eachLine(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// writeSRT writes cues as an SRT file.
func writeSRTFile(t *testing.T, path string, cues []translate.Cue) {
	t.Helper()
	var b bytes.Buffer
	if err := translate.WriteSRT(&b, cues); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSplitTags(t *testing.T) {
	for _, tc := range []struct{ in, prefix, body, suffix string }{
		{"plain text", "", "plain text", ""},
		{"<i>Where is it?</i>", "<i>", "Where is it?", "</i>"},
		{"{\\an8}<i>Up here</i>", "{\\an8}<i>", "Up here", "</i>"},
		{"a <b>bold</b> word", "", "a bold word", ""},
		{"<i></i>", "<i></i>", "", ""},
		{"x < y and y > z", "", "x < y and y > z", ""},
		{"<font color=\"red\">Stop!</font>", "<font color=\"red\">", "Stop!", "</font>"},
	} {
		p, b, s := splitTags(tc.in)
		if p != tc.prefix || b != tc.body || s != tc.suffix {
			t.Errorf("splitTags(%q) = %q, %q, %q; want %q, %q, %q", tc.in, p, b, s, tc.prefix, tc.body, tc.suffix)
		}
	}
}

// TestTranslateInteractiveAutoDirection: typed lines pick their direction
// one by one when no --model, --from or --to is given.
func TestTranslateInteractiveAutoDirection(t *testing.T) {
	interact := func(input string) (lines []string, dir string) {
		t.Helper()
		tr, _, from, to, err := openTranslator("", "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		j := &translateJob{o: translateOptions{beam: 1}, s: &Streams{In: strings.NewReader(input), Out: &out, Err: &errb},
			t: tr, opt: translate.Options{From: from, To: to, Beam: 1, NBest: 1, MaxPieces: 200, BatchSize: 32}}
		if err := j.interactive(context.Background(), &out); err != nil {
			t.Fatal(err)
		}
		return outLines(out.String()), j.opt.From + "→" + j.opt.To
	}
	// "Tom" holds no evidence: the direction stays es→en.
	lines, dir := interact("¿Dónde está la estación?\nTom\n")
	if len(lines) != 2 || strings.Contains(lines[0], "¿") || dir != "es→en" {
		t.Errorf("Spanish, then no evidence: %q, direction %s", lines, dir)
	}
	lines, dir = interact("¿Dónde está la estación?\nWhere is the station?\n")
	if len(lines) != 2 || dir != "en→es" {
		t.Errorf("Spanish, then English: %q, direction %s", lines, dir)
	}
}
