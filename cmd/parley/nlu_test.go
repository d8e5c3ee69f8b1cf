package main

import (
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-ai/parley/nlu"
)

// writeNLUData writes a small Rasa-style YAML file with two intents.
func writeNLUData(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: \"1\"\nintents:\n  - intent: set_timer\n    examples: |\n")
	for _, d := range []string{"five minutes", "ten seconds", "an hour", "two minutes", "half an hour", "three hours"} {
		fmt.Fprintf(&b, "      - set a timer for [%s](duration)\n      - start a [%s](duration) timer\n", d, d)
	}
	b.WriteString("  - intent: get_weather\n    examples: |\n")
	for _, c := range []string{"paris", "berlin", "tokyo", "madrid", "oslo", "lima"} {
		fmt.Fprintf(&b, "      - what is the weather in [%s](city)\n      - will it rain in [%s](city) today\n", c, c)
	}
	path := filepath.Join(dir, "data.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNLUTrainParseEval trains a tiny model through the CLI, parses with
// it and evaluates it.
func TestNLUTrainParseEval(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	dir := t.TempDir()
	data := writeNLUData(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCLI("train", "nlu", "--data", data, "--dev", data, "--epochs", "12", "--out", model)
	if code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "epoch  1") || !strings.Contains(stderr, "wrote") {
		t.Errorf("train progress missing: %s", stderr)
	}

	code, stdout, stderr := runCLI("parse", "--model", model, "set a timer for ten seconds")
	if code != exitOK {
		t.Fatalf("parse: exit %d: %s", code, stderr)
	}
	var r nlu.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("parse output %q: %v", stdout, err)
	}
	if r.Intent != "set_timer" {
		t.Errorf("intent %q, want set_timer (%s)", r.Intent, stdout)
	}

	png1, errs := filepath.Join(dir, "c.png"), filepath.Join(dir, "e.jsonl")
	code, stdout, stderr = runCLI("eval", "nlu", "--model", model, "--data", data, "--png", png1, "--errors", errs, "--json")
	if code != exitOK {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var rep nlu.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.N != 24 || rep.IntentAccuracy < 0.9 {
		t.Errorf("report: n %d, intent accuracy %.2f", rep.N, rep.IntentAccuracy)
	}
	f, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("confusion png: %v", err)
	}
	if _, err := os.Stat(errs); err != nil {
		t.Errorf("errors file: %v", err)
	}
}

// TestNLUTrainCRF: --crf trains a model with a CRF slot layer, which
// parse then uses.
func TestNLUTrainCRF(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	dir := t.TempDir()
	data := writeNLUData(t, dir)
	model := filepath.Join(dir, "crf.safetensors")
	if code, _, stderr := runCLI("train", "nlu", "--crf", "--data", data, "--epochs", "3", "--out", model); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	m, err := nlu.LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Cfg.CRF || m.Params.Get("slot_crf.trans") == nil {
		t.Errorf("model config %+v: no CRF layer", m.Cfg)
	}
	if code, stdout, stderr := runCLI("parse", "--model", model, "what is the weather in oslo"); code != exitOK || !strings.Contains(stdout, `"intent"`) {
		t.Errorf("parse: exit %d: %s %s", code, stdout, stderr)
	}
}

func TestNLUUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"train"},
		{"train", "asr"},
		{"train", "nlu"},
		{"train", "nlu", "--bogus"},
		{"eval", "nlu"},
	} {
		if code, _, _ := runCLI(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("intents: [unclosed"), 0o644)
	if code, _, stderr := runCLI("train", "nlu", "--data", bad); code != exitFailure || !strings.Contains(stderr, "bad.yaml") {
		t.Errorf("broken YAML: exit %d, stderr %q", code, stderr)
	}
}
