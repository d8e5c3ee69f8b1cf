package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/parley-ai/parley/nlu/models"
	"github.com/parley-ai/parley/nnlib/checkpoint"
	mtmodels "github.com/parley-ai/parley/translate/models"
)

// modelInfo describes one model embedded in the binary. Its JSON form is
// the stable output of "parley models --json".
type modelInfo struct {
	Name        string `json:"name"`        // e.g. "asr-fsdd-digits"
	Task        string `json:"task"`        // the command that uses it, e.g. "transcribe"
	Description string `json:"description"` // one line
	Bytes       int64  `json:"bytes"`       // size of the embedded weights
	// Languages are the languages of a translation model (ISO 639-1).
	Languages []string `json:"languages,omitempty"`
	// Provenance is how the model was made, as stored in its file
	// (training data, date, dev scores), when it says.
	Provenance map[string]string `json:"provenance,omitempty"`
}

// embeddedModels lists the models built into this binary, in display order.
// Each issue that embeds a model appends its entry here (built by a
// function of its package, so that this stays free of state).
func embeddedModels() []modelInfo {
	snips, atis := models.SNIPSInfo(), models.ATISInfo()
	return append([]modelInfo{
		{Name: snips.Name, Task: "parse", Description: snips.Description + " (the default)", Bytes: snips.Bytes},
		{Name: atis.Name, Task: "parse", Description: atis.Description + " (parse --model atis)", Bytes: atis.Bytes},
	}, translationModelInfos()...)
}

// translationModelInfos describes the embedded translation models. Their
// languages and provenance are in the model files, so they are loaded
// (once each).
func translationModelInfos() []modelInfo {
	var out []modelInfo
	for _, info := range mtmodels.List() {
		m := modelInfo{Name: info.Name, Task: "translate", Bytes: info.Bytes}
		t, err := mtmodels.Load(info.Name)
		if err != nil {
			m.Description = fmt.Sprintf("translation model (cannot be loaded: %v)", err)
			out = append(out, m)
			continue
		}
		m.Languages = t.Languages()
		m.Provenance = t.Provenance()
		if t.Supports(info.To, info.From) {
			m.Description = fmt.Sprintf("translation %s → %s (the default for it) and %s → %s, one model", info.From, info.To, info.To, info.From)
		} else {
			m.Description = fmt.Sprintf("translation %s → %s only", info.From, info.To)
		}
		out = append(out, m)
	}
	return out
}

// modelsOptions are the flags of "parley models".
type modelsOptions struct {
	json bool
}

func (o *modelsOptions) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "print the list as a JSON array of {name, task, description, bytes, languages, provenance}")
}

func newModelsCommand() *Command {
	var opts modelsOptions
	return &Command{
		Name:  "models",
		Usage: "[--json] | convert --int8|--float16|--float32 IN OUT | average [--int8|--float16] -o OUT IN...",
		Short: "list the models embedded in this binary",
		Long: `
Models lists the trained models built into this binary: their name, the
command that uses them, a description and the size of their weights.
Parley downloads nothing at run time.

With --json it prints a JSON array (an empty array when there are none),
a stable format for scripts.

"parley models convert [--int8 | --float16 | --float32] IN OUT" rewrites
a model file (any of Parley's .safetensors models) with other weight
storage: --int8 stores weight matrices as 8-bit integers with a scale per
row and the rest as float16 (a quarter of float32), --float16 halves
float32, --float32 undoes either (the rounding stays). The model keeps its
configuration, vocabulary and provenance; OUT is written atomically and
may be IN.

"parley models average [--int8 | --float16] -o OUT IN..." writes the
element-wise mean of the weights of several checkpoints of one model
(same tensors, configuration and vocabulary; for example the best and
the last state of one training run), float32 unless a flag says
otherwise.

EXAMPLES
	parley models
	parley models --json | jq -r '.[].name'
	parley models convert --int8 en-es.safetensors en-es.int8.safetensors
	parley models average -o avg.safetensors en-es.safetensors en-es.safetensors.last
`,
		Flags: opts.addFlags,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			if len(args) > 0 && args[0] == "convert" {
				return runConvert(s, args[1:])
			}
			if len(args) > 0 && args[0] == "average" {
				return runAverage(s, args[1:])
			}
			if len(args) > 0 {
				return usagef(nil, "unexpected argument %q", args[0])
			}
			return runModels(ctx, opts, s, embeddedModels())
		},
	}
}

// runConvert is "parley models convert [--int8|--float16|--float32] IN OUT".
func runConvert(s *Streams, args []string) error {
	fs := flag.NewFlagSet("parley models convert", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var i8, f16, f32 bool
	fs.BoolVar(&i8, "int8", false, "weight matrices as int8 with a scale per row, the rest float16")
	fs.BoolVar(&f16, "float16", false, "every tensor as float16")
	fs.BoolVar(&f32, "float32", false, "every tensor as float32")
	if err := fs.Parse(args); err != nil {
		return usagef(nil, "models convert: %v", err)
	}
	n := 0
	for _, b := range []bool{i8, f16, f32} {
		if b {
			n++
		}
	}
	if n != 1 {
		return usagef(nil, "models convert: give exactly one of --int8, --float16, --float32")
	}
	if fs.NArg() != 2 {
		return usagef(nil, "models convert: want IN and OUT files, got %d arguments", fs.NArg())
	}
	in, out := fs.Arg(0), fs.Arg(1)
	before, err := os.Stat(in)
	if err != nil {
		return fmt.Errorf("models convert: %w", err)
	}
	if err := checkpoint.ConvertFile(in, out, checkpoint.SaveOptions{Int8: i8, Float16: f16}); err != nil {
		return fmt.Errorf("models convert: %w", err)
	}
	after, err := os.Stat(out)
	if err != nil {
		return fmt.Errorf("models convert: %w", err)
	}
	fmt.Fprintf(s.Err, "models convert: wrote %s (%s; was %s)\n", out, humanBytes(after.Size()), humanBytes(before.Size()))
	return nil
}

// runModels prints models to s.Out as a table, or as JSON.
func runModels(_ context.Context, opts modelsOptions, s *Streams, models []modelInfo) error {
	if opts.json {
		if models == nil {
			models = []modelInfo{} // "[]", not "null"
		}
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(models)
	}
	if len(models) == 0 {
		_, err := fmt.Fprintln(s.Out, "No models are embedded in this build yet.")
		return err
	}
	tw := tabwriter.NewWriter(s.Out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTASK\tSIZE\tDESCRIPTION")
	for _, m := range models {
		desc := m.Description
		if p := provenanceSummary(m.Provenance); p != "" {
			desc += "; " + p
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Task, humanBytes(m.Bytes), desc)
	}
	return tw.Flush()
}

// humanBytes formats n bytes with a binary unit, e.g. "1.5 MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// provenanceSummary is the short form of a provenance for the table, e.g.
// "trained 2026-12-03 on eng-spa.train.tsv, dev BLEU 31.2 (greedy)".
func provenanceSummary(p map[string]string) string {
	var parts []string
	if d := p["date"]; d != "" {
		parts = append(parts, "trained "+strings.SplitN(d, "T", 2)[0])
	}
	if d := p["data"]; d != "" {
		parts = append(parts, "on "+d)
	}
	if b := p["dev_bleu_greedy"]; b != "" {
		parts = append(parts, "dev BLEU "+b+" (greedy)")
	}
	return strings.Join(parts, ", ")
}

// runAverage is "parley models average [--int8|--float16] -o OUT IN...".
func runAverage(s *Streams, args []string) error {
	fs := flag.NewFlagSet("parley models average", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var i8, f16 bool
	var out string
	fs.BoolVar(&i8, "int8", false, "weight matrices as int8 with a scale per row, the rest float16")
	fs.BoolVar(&f16, "float16", false, "every tensor as float16")
	fs.StringVar(&out, "o", "", "the averaged model file")
	if err := fs.Parse(args); err != nil {
		return usagef(nil, "models average: %v", err)
	}
	if i8 && f16 {
		return usagef(nil, "models average: give at most one of --int8, --float16")
	}
	if out == "" || fs.NArg() < 2 {
		return usagef(nil, "models average: want -o OUT and at least two model files, got %d", fs.NArg())
	}
	if err := checkpoint.AverageFiles(fs.Args(), out, checkpoint.SaveOptions{Int8: i8, Float16: f16}); err != nil {
		return fmt.Errorf("models average: %w", err)
	}
	fmt.Fprintf(s.Err, "models average: wrote %s (the mean of %d models)\n", out, fs.NArg())
	return nil
}
