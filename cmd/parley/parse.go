package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/parley-ai/parley/nlu"
	"github.com/parley-ai/parley/nlu/models"
)

// parseOptions are the flags of "parley parse".
type parseOptions struct {
	model string
}

func (o *parseOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.model, "model", "", "NLU model: a `file` from 'parley train nlu', or the embedded snips (default) or atis")
}

func newParseCommand() *Command {
	var opts parseOptions
	return &Command{
		Name:  "parse",
		Usage: "[--model FILE] [TEXT...]",
		Short: "parse an utterance into an intent and slots",
		Long: `
Parse finds the intent of an utterance and its slots with a joint intent
and slot-filling model, and prints one JSON object per utterance: the
intent and its confidence, "fallback": true when the confidence is below
the model's out-of-scope threshold, the slots (name, value, raw text and
byte offsets start/end in the utterance) and the next best intents.

With TEXT arguments they form one utterance; without, each line of
standard input is one utterance (empty lines give an empty parse).

EXAMPLES
	parley parse "play some jazz by miles davis"
	parley parse --model atis "flights from boston to denver on monday"
	parley parse --model my.safetensors "set a timer for five minutes"
	printf 'book a table for two\nwill it rain tomorrow\n' | parley parse --model snips.safetensors
`,
		Flags: opts.addFlags,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			return runParse(ctx, opts, s, args)
		},
	}
}

func loadNLU(path string) (*nlu.Model, error) {
	switch path {
	case "atis":
		return models.ATIS()
	case "snips":
		return models.SNIPS()
	}
	if path == "" {
		m, err := defaultNLUModel()
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, usagef(nil, "no NLU model is embedded in this build yet: pass --model FILE (see 'parley help train')")
		}
		return m, nil
	}
	return nlu.LoadFile(path)
}

func runParse(ctx context.Context, opts parseOptions, s *Streams, args []string) error {
	m, err := loadNLU(opts.model)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(s.Out)
	enc.SetEscapeHTML(false)
	if len(args) > 0 {
		r, err := m.Parse(strings.Join(args, " "))
		if err != nil {
			return err
		}
		return enc.Encode(r)
	}
	sc := bufio.NewScanner(s.In)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := m.Parse(sc.Text())
		if err != nil {
			return fmt.Errorf("parse: line %d: %w", line, err)
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("parse: standard input: %w", err)
	}
	return nil
}
