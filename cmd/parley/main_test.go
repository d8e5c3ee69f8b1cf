package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// runArgs runs parley with args and returns the exit status and both streams.
func runArgs(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings stdout must contain
		stderr     []string // substrings stderr must contain
		quietOut   bool     // stdout must be empty
		quietError bool     // stderr must be empty
	}{
		{name: "help", args: []string{"help"}, code: exitOK,
			stdout:     []string{"usage: parley <command>", "transcribe", "models", "EXIT STATUS", "130", "EXAMPLES"},
			quietError: true},
		{name: "dash_h", args: []string{"-h"}, code: exitOK, stdout: []string{"Commands:"}, quietError: true},
		{name: "double_dash_help", args: []string{"--help"}, code: exitOK, stdout: []string{"Commands:"}, quietError: true},
		{name: "help_command", args: []string{"help", "models"}, code: exitOK,
			stdout: []string{"usage: parley models [--json]", "-json", "EXIT STATUS"}, quietError: true},
		{name: "help_planned_command", args: []string{"help", "transcribe"}, code: exitOK,
			stdout: []string{"usage: parley transcribe", "not available yet", "batch speech recognition"}, quietError: true},
		{name: "planned_command_dash_h", args: []string{"transcribe", "-h"}, code: exitOK,
			stdout: []string{"not available yet"}, quietError: true},
		{name: "command_dash_h", args: []string{"models", "-h"}, code: exitOK,
			stdout: []string{"usage: parley models"}, quietError: true},
		{name: "help_help", args: []string{"help", "help"}, code: exitOK, stdout: []string{"Commands:"}, quietError: true},
		{name: "help_unknown_topic", args: []string{"help", "nosuch"}, code: exitUsage,
			stderr: []string{`unknown help topic "nosuch"`, "usage: parley"}, quietOut: true},
		{name: "help_two_topics", args: []string{"help", "models", "version"}, code: exitUsage, quietOut: true},
		{name: "no_args", args: nil, code: exitUsage, stderr: []string{"no command given", "usage: parley"}, quietOut: true},
		{name: "unknown_command", args: []string{"nosuch"}, code: exitUsage,
			stderr: []string{`parley: unknown command "nosuch"`, "usage: parley <command>", "parley help"}, quietOut: true},
		{name: "unknown_top_flag", args: []string{"--nosuch"}, code: exitUsage,
			stderr: []string{"unknown flag --nosuch"}, quietOut: true},
		{name: "unknown_command_flag", args: []string{"models", "--nosuch"}, code: exitUsage,
			stderr: []string{"parley models: flag provided but not defined: -nosuch", "usage: parley models [--json]"}, quietOut: true},
		{name: "unexpected_argument", args: []string{"models", "extra"}, code: exitUsage,
			stderr: []string{`parley models: unexpected argument "extra"`, "usage: parley models"}, quietOut: true},
		{name: "version", args: []string{"version"}, code: exitOK,
			stdout: []string{"parley dev " + runtime.Version()}, quietError: true},
		{name: "dash_dash_version", args: []string{"--version"}, code: exitOK,
			stdout: []string{"parley dev "}, quietError: true},
		{name: "version_extra_argument", args: []string{"version", "x"}, code: exitUsage, quietOut: true},
		{name: "models", args: []string{"models"}, code: exitOK,
			stdout: []string{"nlu-snips", "parse"}, quietError: true},
		{name: "unavailable_with_flags", args: []string{"transcribe", "--json", "a.wav"}, code: exitUnavailable,
			stderr: []string{"parley transcribe: not available yet (planned: batch speech recognition); see README"}, quietOut: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runArgs(t, context.Background(), tc.args...)
			if code != tc.code {
				t.Errorf("exit status = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if tc.quietOut && stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
			if tc.quietError && stderr != "" {
				t.Errorf("stderr = %q, want empty", stderr)
			}
		})
	}
}

// Every planned command answers with exit status 3 and one line naming it.
func TestRunPlannedCommands(t *testing.T) {
	for _, c := range commands() {
		if c.available() {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runArgs(t, context.Background(), c.Name)
			if code != exitUnavailable {
				t.Errorf("exit status = %d, want %d", code, exitUnavailable)
			}
			want := "parley " + c.Name + ": not available yet (planned: " + c.Planned + "); see README\n"
			if stderr != want {
				t.Errorf("stderr = %q, want %q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
		})
	}
}

func TestRunModelsJSON(t *testing.T) {
	code, stdout, stderr := runArgs(t, context.Background(), "models", "--json")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit status %d, stderr %q", code, stderr)
	}
	var got []modelInfo
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if got == nil || len(got) != len(embeddedModels()) {
		t.Errorf("stdout = %q, want a JSON array of %d models", stdout, len(embeddedModels()))
	}
	if len(embeddedModels()) == 0 && strings.TrimSpace(stdout) != "[]" {
		t.Errorf("stdout = %q, want []", stdout)
	}
}

func TestRunModelsTable(t *testing.T) {
	models := []modelInfo{
		{Name: "asr-digits", Task: "transcribe", Description: "spoken digits", Bytes: 3 << 20},
		{Name: "nlu-atis", Task: "parse", Description: "ATIS intents", Bytes: 512},
	}
	var out bytes.Buffer
	if err := runModels(context.Background(), modelsOptions{}, &Streams{Out: &out}, models); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NAME", "asr-digits", "transcribe", "3.0 MiB", "nlu-atis", "512 B"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not contain %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runModels(context.Background(), modelsOptions{json: true}, &Streams{Out: &out}, models); err != nil {
		t.Fatal(err)
	}
	var got []modelInfo
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, models) {
		t.Errorf("JSON round trip = %+v, want %+v", got, models)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, stderr := runArgs(t, ctx, "models")
	if code != exitCancelled {
		t.Errorf("exit status = %d, want %d", code, exitCancelled)
	}
	if !strings.Contains(stderr, "interrupted") {
		t.Errorf("stderr = %q, want it to say interrupted", stderr)
	}
}

func TestReportFailure(t *testing.T) {
	var errb bytes.Buffer
	err := &commandError{name: "transcribe", err: context.DeadlineExceeded}
	code := report(context.Background(), &Streams{Err: &errb}, err)
	if code != exitFailure {
		t.Errorf("exit status = %d, want %d", code, exitFailure)
	}
	if want := "parley transcribe: context deadline exceeded\n"; errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
}

func TestCommandTable(t *testing.T) {
	seen := map[string]bool{"help": true} // help is built into dispatch
	for _, c := range commands() {
		if seen[c.Name] {
			t.Errorf("command %q is listed twice (or shadows help)", c.Name)
		}
		seen[c.Name] = true
		if c.Short == "" || strings.HasSuffix(c.Short, ".") {
			t.Errorf("command %q: Short = %q, want one line without a final period", c.Name, c.Short)
		}
		if c.available() && (c.Long == "" || c.Planned != "") {
			t.Errorf("command %q: available commands need Long and no Planned", c.Name)
		}
		if !c.available() && c.Planned == "" {
			t.Errorf("command %q: unavailable commands need Planned", c.Name)
		}
	}
	// The subcommands promised by the README, available or not.
	for _, name := range []string{"chat", "transcribe", "translate", "parse", "generate",
		"features", "glottal", "train", "eval", "models", "version"} {
		if !seen[name] {
			t.Errorf("command %q is missing from the table", name)
		}
	}
}

func TestVersionString(t *testing.T) {
	goVer := runtime.Version()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name string
		rel  string
		info *debug.BuildInfo
		want string
	}{
		{"no_build_info", "dev", nil, "parley dev " + goVer + " " + platform},
		{"ldflags_version", "v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"parley v1.2.3 go1.26.8 " + platform},
		{"module_version", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.0"}},
			"parley v0.4.0 go1.26.8 " + platform},
		{"pseudo_version", "dev", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "v0.0.0-20261203142650-9458f933e4d9+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "9458f933e4d9aaaa"}, {Key: "vcs.modified", Value: "true"}}},
			"parley dev go1.26.8 " + platform + " rev 9458f933e4d9+dirty"},
		{"pseudo_version_after_tag", "dev", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.4.1-0.20261203142650-9458f933e4d9"}},
			"parley dev go1.26.8 " + platform},
		{"vcs_clean", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}},
			"parley dev go1.26.8 " + platform + " rev 0123456789ab"},
		{"vcs_dirty", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			"parley dev go1.26.8 " + platform + " rev 0123456789ab+dirty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionString(tc.rel, tc.info); got != tc.want {
				t.Errorf("versionString = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {5 << 30, "5.0 GiB"},
	}
	for _, tc := range tests {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
