package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/parley-ai/parley/nlu/models"
	"text/tabwriter"
)

// modelInfo describes one model embedded in the binary. Its JSON form is
// the stable output of "parley models --json".
type modelInfo struct {
	Name        string `json:"name"`        // e.g. "asr-fsdd-digits"
	Task        string `json:"task"`        // the command that uses it, e.g. "transcribe"
	Description string `json:"description"` // one line
	Bytes       int64  `json:"bytes"`       // size of the embedded weights
}

// embeddedModels lists the models built into this binary, in display order.
// Each issue that embeds a model appends its entry here (built by a
// function of its package, so that this stays free of state).
func embeddedModels() []modelInfo {
	snips, atis := models.SNIPSInfo(), models.ATISInfo()
	return []modelInfo{
		{Name: snips.Name, Task: "parse", Description: snips.Description + " (the default)", Bytes: snips.Bytes},
		{Name: atis.Name, Task: "parse", Description: atis.Description + " (parse --model atis)", Bytes: atis.Bytes},
	}
}

// modelsOptions are the flags of "parley models".
type modelsOptions struct {
	json bool
}

func (o *modelsOptions) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "print the list as a JSON array of {name, task, description, bytes}")
}

func newModelsCommand() *Command {
	var opts modelsOptions
	return &Command{
		Name:  "models",
		Usage: "[--json]",
		Short: "list the models embedded in this binary",
		Long: `
Models lists the trained models built into this binary: their name, the
command that uses them, a description and the size of their weights.
Parley downloads nothing at run time.

With --json it prints a JSON array (an empty array when there are none),
a stable format for scripts.

EXAMPLES
	parley models
	parley models --json | jq -r '.[].name'
`,
		Flags: opts.addFlags,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			if len(args) > 0 {
				return usagef(nil, "unexpected argument %q", args[0])
			}
			return runModels(ctx, opts, s, embeddedModels())
		},
	}
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Task, humanBytes(m.Bytes), m.Description)
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
