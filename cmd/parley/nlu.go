package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parley-ai/parley/internal/plot"
	"github.com/parley-ai/parley/nlu"
)

// loadNLUData reads NLU training data: a directory in the seq.in / seq.out
// / label format (ATIS, SNIPS), a Rasa-style .yaml/.yml file, or a
// Rhasspy-style .ini template grammar.
func loadNLUData(path string) ([]nlu.Example, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nlu.ReadDir(path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return nlu.ReadYAMLFile(path)
	case ".ini":
		return nlu.ExpandGrammarFile(path, nil, 20000)
	}
	return nil, fmt.Errorf("%s: unknown data format (want a seq.in/seq.out/label directory, .yaml or .ini)", path)
}

// trainNLUOptions are the flags of "parley train nlu".
type trainNLUOptions struct {
	data, dev, out string
	epochs         int
	maxTime        time.Duration
	float16, int8  bool
	crf            bool
	json           bool
}

func (o *trainNLUOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.data, "data", "", "training data: a seq.in/seq.out/label `dir`ectory, a .yaml file or an .ini grammar")
	fs.StringVar(&o.dev, "dev", "", "dev data for early stopping and calibration (same formats); none: no early stopping")
	fs.StringVar(&o.out, "out", "nlu.safetensors", "model `file` to write (atomically)")
	fs.IntVar(&o.epochs, "epochs", 0, "maximum epochs (0: the default, 20)")
	fs.DurationVar(&o.maxTime, "max-time", 0, "stop after the epoch that passes this `duration` (0: no limit)")
	fs.BoolVar(&o.float16, "float16", true, "store the weights as float16 (half the size)")
	fs.BoolVar(&o.int8, "int8", false, "store the weight matrices as int8 with a scale per row (a quarter of float32; overrides --float16)")
	fs.BoolVar(&o.crf, "crf", false, "a CRF slot layer: learned tag-transition scores, trained on whole tag sequences")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per epoch on stdout")
}

func runTrainNLU(ctx context.Context, opts trainNLUOptions, s *Streams) error {
	if opts.data == "" {
		return usagef(nil, "--data is required")
	}
	train, err := loadNLUData(opts.data)
	if err != nil {
		return fmt.Errorf("train nlu: %w", err)
	}
	var dev []nlu.Example
	if opts.dev != "" {
		if dev, err = loadNLUData(opts.dev); err != nil {
			return fmt.Errorf("train nlu: %w", err)
		}
	}
	cfg := nlu.DefaultTrainConfig()
	if opts.epochs > 0 {
		cfg.Epochs = opts.epochs
	}
	cfg.MaxTime = opts.maxTime
	cfg.Model.CRF = opts.crf
	fmt.Fprintf(s.Err, "train nlu: %d training and %d dev examples\n", len(train), len(dev))
	enc := json.NewEncoder(s.Out)
	m, err := nlu.Train(ctx, train, dev, cfg, func(p nlu.Progress) {
		if opts.json {
			enc.Encode(map[string]any{"epoch": p.Epoch, "steps": p.Steps, "loss": p.Loss, "final": p.Final,
				"dev_intent_accuracy": p.Dev.IntentAccuracy, "dev_slot_f1": p.Dev.Slot.F1,
				"dev_sentence_accuracy": p.Dev.SentenceAccuracy, "best": p.Best, "seconds": p.Elapsed.Seconds()})
		}
		mark := ""
		if p.Best {
			mark = " *"
		}
		if p.Final {
			fmt.Fprintf(s.Err, "final: dev intent %.2f%%  slot F1 %.2f%%  sentence %.2f%%  (temperature %.2f, ECE %.3f → %.3f)  %v\n",
				100*p.Dev.IntentAccuracy, 100*p.Dev.Slot.F1, 100*p.Dev.SentenceAccuracy, p.Temperature, p.ECEBefore, p.Dev.ECE, p.Elapsed.Round(time.Second))
			return
		}
		fmt.Fprintf(s.Err, "epoch %2d  loss %.4f  dev intent %.2f%%  slot F1 %.2f%%  sentence %.2f%%  %v%s\n",
			p.Epoch, p.Loss, 100*p.Dev.IntentAccuracy, 100*p.Dev.Slot.F1, 100*p.Dev.SentenceAccuracy, p.Elapsed.Round(time.Second), mark)
	})
	if err != nil {
		return fmt.Errorf("train nlu: %w", err)
	}
	if err := m.SaveFile(opts.out, nlu.SaveOptions{Float16: opts.float16, Int8: opts.int8}); err != nil {
		return fmt.Errorf("train nlu: %w", err)
	}
	fmt.Fprintf(s.Err, "train nlu: wrote %s\n", opts.out)
	return nil
}

// evalNLUOptions are the flags of "parley eval nlu".
type evalNLUOptions struct {
	model, data, png, errors string
	json                     bool
}

func (o *evalNLUOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.model, "model", "", "NLU model `file` (default: the embedded model)")
	fs.StringVar(&o.data, "data", "", "test data: a seq.in/seq.out/label `dir`ectory, a .yaml file or an .ini grammar")
	fs.StringVar(&o.png, "png", "", "write the intent confusion matrix as a PNG to this `file`")
	fs.StringVar(&o.errors, "errors", "", "write every wrong example (JSON lines) to this `file`")
	fs.BoolVar(&o.json, "json", false, "print the full report as JSON")
}

func runEvalNLU(ctx context.Context, opts evalNLUOptions, s *Streams) error {
	if opts.data == "" {
		return usagef(nil, "--data is required")
	}
	m, err := loadNLU(opts.model)
	if err != nil {
		return err
	}
	data, err := loadNLUData(opts.data)
	if err != nil {
		return fmt.Errorf("eval nlu: %w", err)
	}
	rep, err := nlu.EvaluateContext(ctx, m, data)
	if err != nil {
		return fmt.Errorf("eval nlu: %w", err)
	}
	if opts.errors != "" {
		err := writeAtomic(opts.errors, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			for _, mk := range rep.SortedMistakes() {
				if err := enc.Encode(mk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	intents := confusionLabels(rep.Confusion)
	if opts.png != "" {
		n := len(intents)
		cells := make([]float32, n*n)
		for i, gold := range intents {
			total := 0
			for _, c := range rep.Confusion[gold] {
				total += c
			}
			for j, pred := range intents {
				if total > 0 {
					// rows of the image are predicted intents, columns gold ones
					cells[i*n+(n-1-j)] = float32(rep.Confusion[gold][pred]) / float32(total)
				}
			}
		}
		err := writeAtomic(opts.png, func(w io.Writer) error {
			return plot.Heatmap(w, n, n, cells, plot.HeatmapOptions{ScaleX: 24, ScaleY: 24, Clip: 1e-9})
		})
		if err != nil {
			return err
		}
	}
	if opts.json {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printNLUReport(s.Out, rep, intents)
}

// confusionLabels lists every intent of a confusion matrix, sorted.
func confusionLabels(conf map[string]map[string]int) []string {
	set := map[string]bool{}
	for g, row := range conf {
		set[g] = true
		for p := range row {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func printNLUReport(w io.Writer, rep nlu.Report, intents []string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "examples %d  intent accuracy %.2f%%  slot F1 %.2f%% (P %.2f%%, R %.2f%%)  sentence accuracy %.2f%%  ECE %.3f\n\n",
		rep.N, 100*rep.IntentAccuracy, 100*rep.Slot.F1, 100*rep.Slot.Precision, 100*rep.Slot.Recall, 100*rep.SentenceAccuracy, rep.ECE)
	tw := tabwriter.NewWriter(bw, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "INTENT\tPRECISION\tRECALL\tF1\tSUPPORT")
	for _, k := range sortedKeys(rep.Intents) {
		p := rep.Intents[k]
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%d\n", k, 100*p.Precision, 100*p.Recall, 100*p.F1, p.Gold)
	}
	fmt.Fprintln(tw, "\nSLOT\tPRECISION\tRECALL\tF1\tSUPPORT")
	for _, k := range sortedKeys(rep.Slots) {
		p := rep.Slots[k]
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%d\n", k, 100*p.Precision, 100*p.Recall, 100*p.F1, p.Gold)
	}
	tw.Flush()
	fmt.Fprintln(bw, "\nconfusion (rows gold, columns predicted, in the order above):")
	for _, g := range intents {
		fmt.Fprintf(bw, "%-28s", g)
		for _, p := range intents {
			fmt.Fprintf(bw, " %4d", rep.Confusion[g][p])
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
