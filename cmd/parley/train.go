package main

import (
	"context"
	"errors"
	"flag"
	"io"
)

// parseTargetFlags parses the flags of "parley VERB TARGET [flags]".
func parseTargetFlags(verb, target string, args []string, add func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet("parley "+verb+" "+target, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	add(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usagef(nil, "see 'parley help %s' for the flags of %s", verb, target)
		}
		return usagef(nil, "%s %s: %v", verb, target, err)
	}
	if fs.NArg() > 0 {
		return usagef(nil, "%s %s: unexpected argument %q", verb, target, fs.Arg(0))
	}
	return nil
}

func newTrainCommand() *Command {
	return &Command{
		Name:  "train",
		Usage: "TARGET [flags]",
		Short: "train a model on a data set (targets: nlu)",
		Long: `
Train trains one of Parley's models and writes it as a .safetensors file
(weights, configuration, vocabulary and provenance; float16 by default).

TARGETS
	nlu    joint intent classification and slot filling. Flags:
	       --data PATH    training data: a seq.in/seq.out/label directory
	                      (ATIS, SNIPS), a Rasa-style .yaml file or a
	                      Rhasspy-style .ini template grammar
	       --dev PATH     dev data: early stopping and confidence calibration
	       --out FILE     the model file (default nlu.safetensors)
	       --epochs N, --max-time DURATION, --float16=false, --json

Progress (loss and dev scores per epoch) goes to standard error; --json
prints one JSON object per epoch on standard output.

EXAMPLES
	parley train nlu --data ../shared/data/snips/train --dev ../shared/data/snips/valid --out snips.safetensors
	parley train nlu --data intents.ini --out assistant.safetensors
`,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			if len(args) == 0 {
				return usagef(nil, "missing TARGET (nlu)")
			}
			switch args[0] {
			case "nlu":
				var opts trainNLUOptions
				if err := parseTargetFlags("train", "nlu", args[1:], opts.addFlags); err != nil {
					return err
				}
				return runTrainNLU(ctx, opts, s)
			}
			return usagef(nil, "unknown TARGET %q (available: nlu)", args[0])
		},
	}
}

func newEvalCommand() *Command {
	return &Command{
		Name:  "eval",
		Usage: "TARGET [flags]",
		Short: "evaluate a model on a data set (targets: nlu)",
		Long: `
Eval scores a model on annotated data.

TARGETS
	nlu    intent accuracy, slot F1 (span level, conlleval rules), sentence
	       accuracy (intent and every slot right), per-intent and per-slot
	       precision / recall / F1, the intent confusion matrix and the
	       calibration error of the confidences. Flags:
	       --model FILE   the model (default: the embedded one)
	       --data PATH    a seq.in/seq.out/label directory, .yaml or .ini
	       --png FILE     the confusion matrix as a PNG image
	       --errors FILE  every wrong example, as JSON lines
	       --json         the full report as JSON on standard output

EXAMPLES
	parley eval nlu --model snips.safetensors --data ../shared/data/snips/valid --png confusion.png --errors wrong.jsonl
`,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			if len(args) == 0 {
				return usagef(nil, "missing TARGET (nlu)")
			}
			switch args[0] {
			case "nlu":
				var opts evalNLUOptions
				if err := parseTargetFlags("eval", "nlu", args[1:], opts.addFlags); err != nil {
					return err
				}
				return runEvalNLU(ctx, opts, s)
			}
			return usagef(nil, "unknown TARGET %q (available: nlu)", args[0])
		},
	}
}
