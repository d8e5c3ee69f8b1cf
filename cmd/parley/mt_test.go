package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-ai/parley/translate"
)

// writeMTCorpus writes n generated English<TAB>Spanish pairs to path.
func writeMTCorpus(t *testing.T, path string, n, offset int) {
	t.Helper()
	nouns := [][2]string{{"cat", "gato"}, {"dog", "perro"}, {"boy", "niño"}, {"bird", "pájaro"}, {"man", "hombre"}}
	adjs := [][2]string{{"big", "grande"}, {"small", "pequeño"}, {"red", "rojo"}, {"old", "viejo"}}
	verbs := [][2]string{{"sleeps", "duerme"}, {"eats", "come"}, {"runs", "corre"}, {"sings", "canta"}}
	var b strings.Builder
	for i := offset; i < offset+n; i++ {
		no, a, v := nouns[i%len(nouns)], adjs[i/len(nouns)%len(adjs)], verbs[i/(len(nouns)*len(adjs))%len(verbs)]
		fmt.Fprintf(&b, "The %s %s %s.\tEl %s %s %s.\n", a[0], no[0], v[0], no[1], a[1], v[1])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMTTrainTranslateEval trains a tiny model with "parley train mt",
// then translates and evaluates with it.
func TestMTTrainTranslateEval(t *testing.T) {
	dir := t.TempDir()
	trainTSV, devTSV := filepath.Join(dir, "train.tsv"), filepath.Join(dir, "dev.tsv")
	writeMTCorpus(t, trainTSV, 80, 0)
	writeMTCorpus(t, devTSV, 12, 3)
	model := filepath.Join(dir, "tiny.safetensors")
	code, stdout, stderr := runCLI("train", "mt", "--train", trainTSV, "--dev", devTSV, "--out", model,
		"--merges", "100", "--emb", "24", "--hidden", "24", "--out-dim", "24", "--epochs", "12", "--lr", "0.01",
		"--warmup", "5", "--batch", "16", "--dev-sentences", "10", "--json")
	if code != exitOK {
		t.Fatalf("train mt: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"80 training and 12 dev pairs", "dev BLEU", "* best, saved", "wrote " + model} {
		if !strings.Contains(stderr, want) {
			t.Errorf("train mt: stderr does not contain %q:\n%s", want, stderr)
		}
	}
	for _, l := range outLines(stdout) {
		var rep map[string]any
		if err := json.Unmarshal([]byte(l), &rep); err != nil || rep["step"] == nil {
			t.Errorf("train mt --json: line %q: %v", l, err)
		}
	}
	tr, err := translate.LoadFile(model)
	if err != nil {
		t.Fatalf("the trained model does not load: %v", err)
	}
	if !slices.Equal(tr.Languages(), []string{"en", "es"}) || tr.Provenance()["data"] != trainTSV {
		t.Errorf("model languages %q, provenance %v", tr.Languages(), tr.Provenance())
	}
	if _, err := os.Stat(model + ".last"); err != nil {
		t.Errorf("no resumable state: %v", err)
	}

	// The checks below hold for any model; they test more when the tiny
	// model says something.
	if code, stdout, _ := runCLI("translate", "--model", model, "The big dog sleeps.", "The old cat sings."); code != exitOK || strings.TrimSpace(stdout) == "" {
		t.Logf("the tiny model translates to nothing (exit %d): the format checks below see empty translations", code)
	}
	t.Run("file_line_count", func(t *testing.T) { testTranslateFile(t, model) })
	t.Run("nbest", func(t *testing.T) { testTranslateNBest(t, model) })
	t.Run("align", func(t *testing.T) { testTranslateAlign(t, model) })
	t.Run("json", func(t *testing.T) { testTranslateJSON(t, model) })
	t.Run("srt", func(t *testing.T) { testTranslateSRT(t, model) })
	t.Run("eval", func(t *testing.T) { testEvalMT(t, model, devTSV) })
	t.Run("convert", func(t *testing.T) { testModelsConvert(t, model) })
	t.Run("average", func(t *testing.T) { testModelsAverage(t, model) })
	t.Run("resume", func(t *testing.T) {
		code, _, stderr := runCLI("train", "mt", "--train", trainTSV, "--dev", devTSV, "--out", model,
			"--epochs", "13", "--lr", "0.01", "--warmup", "5", "--batch", "16", "--resume")
		if code != exitOK || !strings.Contains(stderr, "epoch 13.00/13") {
			t.Errorf("train mt --resume: exit %d: %s", code, stderr)
		}
		if _, err := translate.LoadFile(model); err != nil {
			t.Errorf("the resumed model does not load: %v", err)
		}
	})
}

// testModelsConvert: "parley models convert --int8" shrinks the model,
// which still loads and translates; bad invocations are usage errors.
func testModelsConvert(t *testing.T, model string) {
	small := filepath.Join(t.TempDir(), "tiny.int8.safetensors")
	code, _, stderr := runCLI("models", "convert", "--int8", model, small)
	if code != exitOK || !strings.Contains(stderr, "wrote "+small) {
		t.Fatalf("models convert: exit %d: %s", code, stderr)
	}
	a, _ := os.Stat(model)
	b, _ := os.Stat(small)
	if b == nil || a == nil || b.Size() >= a.Size()*2/3 {
		t.Errorf("int8 file not smaller enough: %v → %v", a, b)
	}
	if code, stdout, stderr := runCLI("translate", "--model", small, "--beam", "1", "The big dog sleeps.", ""); code != exitOK || len(outLines(stdout)) != 2 {
		t.Errorf("translate with the int8 model: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"models", "convert", model, small},
		{"models", "convert", "--int8", "--float16", model, small},
		{"models", "convert", "--int8", model},
	} {
		if code, _, _ := runCLI(args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	code, _, stderr = runCLI("models", "convert", "--int8", filepath.Join(t.TempDir(), "nope.safetensors"), small)
	if code != exitFailure || !strings.Contains(stderr, "nope.safetensors") {
		t.Errorf("a missing file: exit %d: %s", code, stderr)
	}
}

// testModelsAverage: "parley models average" of a model and its last
// training state is a model that loads and translates; bad invocations are
// usage errors, and a missing file is named.
func testModelsAverage(t *testing.T, model string) {
	avg := filepath.Join(t.TempDir(), "avg.safetensors")
	code, _, stderr := runCLI("models", "average", "-o", avg, model, model+".last")
	if code != exitOK || !strings.Contains(stderr, "wrote "+avg) {
		t.Fatalf("models average: exit %d: %s", code, stderr)
	}
	tr, err := translate.LoadFile(avg)
	if err != nil {
		t.Fatalf("the averaged model does not load: %v", err)
	}
	if !strings.Contains(tr.Provenance()["averaged"], model+".last") {
		t.Errorf("provenance %v does not list the averaged files", tr.Provenance())
	}
	if code, stdout, stderr := runCLI("translate", "--model", avg, "--beam", "1", "The big dog sleeps."); code != exitOK || len(outLines(stdout)) != 1 {
		t.Errorf("translate with the averaged model: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"models", "average", model, model},
		{"models", "average", "-o", avg, model},
		{"models", "average", "--int8", "--float16", "-o", avg, model, model},
	} {
		if code, _, _ := runCLI(args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	code, _, stderr = runCLI("models", "average", "-o", avg, model, filepath.Join(t.TempDir(), "nope.safetensors"))
	if code != exitFailure || !strings.Contains(stderr, "nope.safetensors") {
		t.Errorf("a missing file: exit %d: %s", code, stderr)
	}
}

// testTranslateFile: a file with empty, blank, long, emoji and invalid
// UTF-8 lines gives exactly one output line per input line.
func testTranslateFile(t *testing.T, model string) {
	dir := t.TempDir()
	long := strings.Repeat("The big cat sleeps. ", 15)
	in := []string{"The red dog runs.", "", "The old bird sings 😀 🎉.", "   ", long, "The small \xff\xfe man eats.", "", "El perro come."}
	path := filepath.Join(dir, "in.txt")
	os.WriteFile(path, []byte(strings.Join(in, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "out.txt")
	code, stdout, stderr := runCLI("translate", "--model", model, "--max-pieces", "12", "--input", path, "-o", out)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := outLines(string(b))
	if len(got) != len(in) {
		t.Fatalf("%d output lines for %d input lines:\n%s", len(got), len(in), b)
	}
	for i, l := range in {
		if strings.TrimSpace(l) == "" && got[i] != "" {
			t.Errorf("line %d: %q for an empty input line", i+1, got[i])
		}
	}
	for _, want := range []string{path + ":6: invalid UTF-8", path + ":5: line of"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the output directory (temporary files left?)", len(entries))
	}

	// Two inputs, one of them standard input, go out in order.
	code, stdout, stderr = runIn("The dog eats.\n\n", "translate", "--model", model, "--input", path, "--input", "-")
	if code != exitOK || len(outLines(stdout)) != len(in)+2 {
		t.Errorf("two inputs: exit %d, %d lines, want %d: %s", code, len(outLines(stdout)), len(in)+2, stderr)
	}
}

var nbestLine = regexp.MustCompile(`^(\d+) \|\|\| (.*) \|\|\| (-?\d+\.\d{4})$`)

func testTranslateNBest(t *testing.T, model string) {
	const k = 3
	code, stdout, stderr := runCLI("translate", "--model", model, "--nbest", strconv.Itoa(k), "--beam", "2",
		"The big dog sleeps.", "", "The old cat sings.")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := outLines(stdout)
	if len(got) != 3*k {
		t.Fatalf("%d lines, want %d (K per input line):\n%s", len(got), 3*k, stdout)
	}
	for n, l := range got {
		m := nbestLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %q is not i ||| text ||| score", l)
			continue
		}
		if i, _ := strconv.Atoi(m[1]); i != n/k {
			t.Errorf("line %q: number %d, want %d", l, i, n/k)
		}
		if n/k == 1 && (m[2] != "" || m[3] != "0.0000") {
			t.Errorf("line %q for an empty input", l)
		}
	}
	// The best of the n-best list is the plain translation.
	code, plain, _ := runCLI("translate", "--model", model, "--beam", "3", "The big dog sleeps.")
	if m := nbestLine.FindStringSubmatch(got[0]); code != exitOK || m == nil || m[2] != strings.TrimSuffix(plain, "\n") {
		t.Errorf("best of n-best %q, plain translation %q", got[0], plain)
	}
	// With --align, a fourth field.
	code, stdout, _ = runCLI("translate", "--model", model, "--nbest", "2", "--align", "The big dog sleeps.")
	for _, l := range outLines(stdout) {
		if strings.Count(l, " ||| ") != 3 {
			t.Errorf("n-best with alignments: %q", l)
		}
	}
	if code != exitOK || len(outLines(stdout)) != 2 {
		t.Errorf("--nbest 2 --align: exit %d, %q", code, stdout)
	}
}

var pharaohRE = regexp.MustCompile(`^(\d+-\d+( \d+-\d+)*)?$`)

func testTranslateAlign(t *testing.T, model string) {
	in := []string{"The big dog sleeps.", "", "The old cat sings."}
	code, stdout, stderr := runCLI(append([]string{"translate", "--model", model, "--align"}, in...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := outLines(stdout)
	if len(got) != len(in) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(in), stdout)
	}
	for n, l := range got {
		text, align, ok := strings.Cut(l, " ||| ")
		if !ok || !pharaohRE.MatchString(align) {
			t.Errorf("line %q is not translation ||| i-j ...", l)
			continue
		}
		src, tgt := len(strings.Fields(in[n])), len(strings.Fields(text))
		for _, a := range strings.Fields(align) {
			i, j, _ := strings.Cut(a, "-")
			if si, _ := strconv.Atoi(i); si >= src {
				t.Errorf("line %q: source word %d of %d", l, si, src)
			}
			if tj, _ := strconv.Atoi(j); tj >= tgt {
				t.Errorf("line %q: target word %d of %d", l, tj, tgt)
			}
		}
	}
}

func testTranslateJSON(t *testing.T, model string) {
	in := "The big dog sleeps.\n\nThe small \xff man eats.\n"
	code, stdout, stderr := runIn(in, "translate", "--model", model, "--json", "--nbest", "2", "--align")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := outLines(stdout)
	if len(got) != 3 {
		t.Fatalf("%d JSON lines, want 3:\n%s", len(got), stdout)
	}
	for n, l := range got {
		var r struct {
			Source      *string `json:"source"`
			Translation *string `json:"translation"`
			Hyps        []struct {
				Text  *string   `json:"text"`
				Score *float64  `json:"score"`
				Norm  *float64  `json:"norm"`
				Align *[]string `json:"align"`
			} `json:"hyps"`
			Warnings []string `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d %q: %v", n+1, l, err)
		}
		if r.Source == nil || r.Translation == nil || r.Hyps == nil {
			t.Errorf("line %d %q: missing source, translation or hyps", n+1, l)
			continue
		}
		if n == 1 {
			if len(r.Hyps) != 0 || *r.Translation != "" {
				t.Errorf("empty line: %q", l)
			}
			continue
		}
		if len(r.Hyps) != 2 || *r.Hyps[0].Text != *r.Translation {
			t.Errorf("line %d %q: want 2 hyps, the first the translation", n+1, l)
		}
		for _, h := range r.Hyps {
			if h.Text == nil || h.Score == nil || h.Norm == nil || h.Align == nil {
				t.Errorf("line %d %q: hypothesis without text, score, norm or align", n+1, l)
			} else if !pharaohRE.MatchString(strings.Join(*h.Align, " ")) {
				t.Errorf("line %d: align %q", n+1, *h.Align)
			}
		}
		if n == 2 && (len(r.Warnings) == 0 || !strings.Contains(*r.Source, "\uFFFD")) {
			t.Errorf("invalid UTF-8 line: %q", l)
		}
	}
}

func testTranslateSRT(t *testing.T, model string) {
	dir := t.TempDir()
	cues := []translate.Cue{
		{Index: 1, Start: time.Second, End: 3500 * time.Millisecond,
			Lines: []string{"The big dog sleeps and the small", "cat eats, the old man sings."}},
		{Index: 2, Start: 4 * time.Second, End: 6 * time.Second, Lines: []string{"<i>The red bird runs.</i>"}},
		{Index: 7, Start: 6 * time.Second, End: 6 * time.Second},
		{Index: 8, Start: 61*time.Minute + 5*time.Millisecond, End: 62 * time.Minute, Settings: "X1:100 X2:600",
			Lines: []string{"The dog", "eats", "and sleeps."}},
	}
	in := filepath.Join(dir, "in.en.srt")
	writeSRTFile(t, in, cues)
	out := filepath.Join(dir, "out.es.srt")
	code, stdout, stderr := runCLI("translate", "--model", model, "--input", in, "-o", out)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := translate.ReadSRT(f, out)
	if err != nil {
		t.Fatalf("the output is not SRT: %v", err)
	}
	if len(got) != len(cues) {
		t.Fatalf("%d cues, want %d", len(got), len(cues))
	}
	for i, c := range got {
		w := cues[i]
		if c.Index != w.Index || c.Start != w.Start || c.End != w.End || c.Settings != w.Settings {
			t.Errorf("cue %d: %+v, want number, timings and settings of %+v", i, c, w)
		}
		// As many lines as the cue had, unless the translation has
		// fewer words.
		words := len(strings.Fields(strings.Join(c.Lines, " ")))
		if len(c.Lines) != min(len(w.Lines), words) {
			t.Errorf("cue %d: %d lines %q, want %d", i, len(c.Lines), c.Lines, min(len(w.Lines), words))
		}
	}

	// --srt reads standard input.
	b, _ := os.ReadFile(in)
	code, stdout, stderr = runIn(string(b), "translate", "--model", model, "--srt")
	if code != exitOK {
		t.Fatalf("--srt: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "01:01:00,005 --> 01:02:00,000 X1:100 X2:600\n") ||
		!strings.HasPrefix(stdout, "1\n00:00:01,000 --> 00:00:03,500\n") {
		t.Errorf("--srt output:\n%s", stdout)
	}
}

func testEvalMT(t *testing.T, model, data string) {
	hyps := filepath.Join(t.TempDir(), "hyps.txt")
	code, stdout, stderr := runCLI("eval", "mt", "--model", model, "--data", data, "--beam", "2", "--hyps", hyps)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, re := range []string{`(?m)^BLEU = \d+\.\d\d `, `(?m)^chrF2 = \d+\.\d\d$`, `sentences 12 `, `sentences/s`, `target tokens/s`, `en→es`} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("output does not match %s:\n%s", re, stdout)
		}
	}
	b, err := os.ReadFile(hyps)
	if err != nil || len(outLines(string(b))) != 12 {
		t.Errorf("--hyps: %v, %d lines, want 12", err, len(outLines(string(b))))
	}

	code, stdout, stderr = runCLI("eval", "mt", "--model", model, "--data", data, "--from", "es", "--json")
	if code != exitOK {
		t.Fatalf("--json: exit %d: %s", code, stderr)
	}
	var rep evalMTReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if rep.Sentences != 12 || rep.From != "es" || rep.To != "en" || rep.BLEU < 0 || rep.ChrF < 0 ||
		!strings.HasPrefix(rep.BLEULine, "BLEU = ") || rep.SentencesPerSecond <= 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestMTUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tsv := filepath.Join(dir, "a.tsv")
	writeMTCorpus(t, tsv, 5, 0)
	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("hello\thola\nno tab here\n"), 0o644)
	empty := filepath.Join(dir, "empty.tsv")
	os.WriteFile(empty, nil, 0o644)
	out := filepath.Join(dir, "m.safetensors")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"train", "mt"}, exitUsage, "--train is required"},
		{[]string{"train", "mt", "--train", tsv}, exitUsage, "--dev is required"},
		{[]string{"train", "mt", "--train", tsv, "--dev", tsv}, exitUsage, "--out is required"},
		{[]string{"train", "mt", "--train", tsv, "--dev", tsv, "--out", out, "--langs", "en"}, exitUsage, "--langs"},
		{[]string{"train", "mt", "--train", tsv, "--dev", tsv, "--out", out, "--langs", "en,en"}, exitUsage, "--langs"},
		{[]string{"train", "mt", "--train", tsv, "--dev", tsv, "--out", out, "--epochs", "0"}, exitUsage, "positive"},
		{[]string{"train", "mt", "--bogus"}, exitUsage, "-bogus"},
		{[]string{"train", "mt", "--train", bad, "--dev", tsv, "--out", out}, exitFailure, bad + ":2: no tab"},
		{[]string{"train", "mt", "--train", empty, "--dev", tsv, "--out", out}, exitFailure, "no sentence pairs"},
		{[]string{"eval", "mt"}, exitUsage, "--data is required"},
		{[]string{"eval", "mt", "--data", tsv, "--from", "fr"}, exitUsage, `"fr"`},
		{[]string{"eval", "mt", "--data", tsv, "--beam", "0"}, exitUsage, "--beam"},
		{[]string{"eval", "mt", "--data", bad}, exitFailure, bad + ":2: no tab"},
		{[]string{"eval", "mt", "--data", empty}, exitFailure, "no sentence pairs"},
		{[]string{"eval", "bogus"}, exitUsage, "available: nlu, mt"},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) || stdout != "" {
			t.Errorf("%q: exit %d (want %d), stdout %q, stderr %q (want %q)", tc.args, code, tc.code, stdout, stderr, tc.stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run wrote %s", out)
	}
}
