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
		Short: "train a model on a data set (targets: nlu, mt)",
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
	       --crf          a CRF slot layer (learned tag-transition scores)
	       --epochs N, --max-time DURATION, --float16=false, --int8, --json

	mt     machine translation between two languages, both ways in one
	       model (a target-language tag is the decoder's first input),
	       or one way with --one-way.
	       Flags:
	       --train TSV    training pairs, "source<TAB>target" a line, the
	                      columns in the order of --langs (.gz allowed)
	       --dev TSV      dev pairs: the model with the best dev BLEU
	                      (greedy) is the one kept at --out
	       --out FILE     the model file; FILE.last holds the latest state
	       --langs en,es  the languages of the two columns
	       --one-way      learn column 1 → column 2 only
	       --resume       continue the run saved in FILE.last
` + trainMTFlagsHelp() + `

Progress goes to standard error: for nlu the loss and dev scores per
epoch; for mt the loss every 100 steps and the dev BLEU at each
evaluation, marking the best (saved) one. --json prints one JSON object
per report on standard output.

EXAMPLES
	parley train nlu --data ../shared/data/snips/train --dev ../shared/data/snips/valid --out snips.safetensors
	parley train nlu --data intents.ini --out assistant.safetensors
	parley train mt --train eng-spa.train.tsv --dev eng-spa.dev.tsv --out en-es.safetensors --max-time 2h
	parley train mt --train en-fr.tsv --dev en-fr.dev.tsv --langs en,fr --out en-fr.safetensors --resume
`,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			if len(args) == 0 {
				return usagef(nil, "missing TARGET (nlu or mt)")
			}
			switch args[0] {
			case "nlu":
				var opts trainNLUOptions
				if err := parseTargetFlags("train", "nlu", args[1:], opts.addFlags); err != nil {
					return err
				}
				return runTrainNLU(ctx, opts, s)
			case "mt":
				var opts trainMTOptions
				if err := parseTargetFlags("train", "mt", args[1:], opts.addFlags); err != nil {
					return err
				}
				return runTrainMT(ctx, opts, s, args[1:])
			}
			return usagef(nil, "unknown TARGET %q (available: nlu, mt)", args[0])
		},
	}
}

func newEvalCommand() *Command {
	return &Command{
		Name:  "eval",
		Usage: "TARGET [flags]",
		Short: "evaluate a model on a data set (targets: nlu, mt)",
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

	mt     corpus BLEU (sacreBLEU's defaults: 13a tokens, exp smoothing;
	       the line sacreBLEU prints) and chrF2 of the translations of
	       the test sources, with the speed (sentences and target tokens
	       per second). Flags:
	       --model FILE   the model: a file, or en-es / es-en (default:
	                      the embedded model for the direction)
	       --data TSV     test pairs, one "en<TAB>es" a line: the model's
	                      languages in order, whatever the direction
	       --from, --to   the direction (default en → es); --from es
	                      translates the second column into the first
	       --beam N       the beam width (default 5)
	       --hyps FILE    the translations, one a line
	       --json         the scores as one JSON object

EXAMPLES
	parley eval nlu --model snips.safetensors --data ../shared/data/snips/valid --png confusion.png --errors wrong.jsonl
	parley eval mt --data eng-spa.test.tsv --hyps test.es
	parley eval mt --model en-es.safetensors --data eng-spa.test.tsv --from es --json
`,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			if len(args) == 0 {
				return usagef(nil, "missing TARGET (nlu or mt)")
			}
			switch args[0] {
			case "nlu":
				var opts evalNLUOptions
				if err := parseTargetFlags("eval", "nlu", args[1:], opts.addFlags); err != nil {
					return err
				}
				return runEvalNLU(ctx, opts, s)
			case "mt":
				var opts evalMTOptions
				if err := parseTargetFlags("eval", "mt", args[1:], opts.addFlags); err != nil {
					return err
				}
				return runEvalMT(ctx, opts, s)
			}
			return usagef(nil, "unknown TARGET %q (available: nlu, mt)", args[0])
		},
	}
}
