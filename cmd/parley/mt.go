package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/parley-ai/parley/translate"
	"github.com/parley-ai/parley/translate/models"
)

// This file holds what "parley translate", "parley train mt" and "parley
// eval mt" share (loading a model, choosing the direction, translating in
// chunks with a progress bar) and the train and eval targets.

// openTranslator returns the model for --model and the direction of
// --from and --to (either may be empty). Without --model it is the
// embedded model made for the direction (en→es when neither language is
// given); an embedded model's name (en-es, es-en) or a model file picks
// one. With neither --from nor --to, detect (if not nil) may name the
// source language among the candidates it is given ("" if unsure). A
// direction the model cannot translate is a usage error. name is how
// messages call the model.
func openTranslator(model, from, to string, detect func(langs []string) string) (t *translate.Translator, name, src, tgt string, err error) {
	if model == "" {
		if from == "" && to == "" && detect != nil {
			from = detect(models.Languages())
		}
		if from, to, err = resolveLangs("the embedded models", true, models.Languages(), func(f, t string) bool {
			_, ok := models.For(f, t)
			return ok
		}, from, to); err != nil {
			return nil, "", "", "", err
		}
		model, _ = models.For(from, to)
	}
	if t, name, err = loadTranslator(model); err != nil {
		return nil, "", "", "", err
	}
	if from == "" && to == "" && detect != nil {
		from = detect(t.Languages())
	}
	if src, tgt, err = resolveLangs("model "+name, false, t.Languages(), t.Supports, from, to); err != nil {
		return nil, "", "", "", err
	}
	return t, name, src, tgt, nil
}

// loadTranslator returns the model named by --model: an embedded one or a
// model file. name is how messages call it.
func loadTranslator(model string) (t *translate.Translator, name string, err error) {
	if models.IsEmbedded(model) {
		t, err := models.Load(model)
		if err != nil {
			return nil, "", trimLib(err)
		}
		return t, model, nil
	}
	if _, err := os.Stat(model); errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("--model %s: no such file (the embedded models are %s)", model, joinAnd(embeddedMTNames()))
	}
	t, err = translate.LoadFile(model)
	if err != nil {
		return nil, "", trimLib(err)
	}
	return t, model, nil
}

func embeddedMTNames() []string {
	var names []string
	for _, m := range models.List() {
		names = append(names, m.Name)
	}
	return names
}

// resolveLangs fills in --from and --to for what (a model, or the
// embedded models together: plural) translating between langs: en→es when
// neither is given (or the first two languages if it lacks those), else
// the other language. A direction it cannot translate is a usage error.
func resolveLangs(what string, plural bool, langs []string, supports func(from, to string) bool, from, to string) (string, string, error) {
	other := func(l string) string {
		for _, x := range langs {
			if x != l {
				return x
			}
		}
		return ""
	}
	switch {
	case from == "" && to == "":
		from, to = "en", "es"
		if !supports(from, to) && len(langs) >= 2 {
			from, to = langs[0], langs[1]
		}
	case to == "":
		to = other(from)
	case from == "":
		from = other(to)
	}
	if supports(from, to) {
		return from, to, nil
	}
	knows, verb := "does not know", "it translates"
	if plural {
		knows, verb = "do not know", "they translate"
	}
	for _, l := range []string{from, to} {
		if !slices.Contains(langs, l) {
			return "", "", usagef(nil, "%s %s the language %q: %s between %s", what, knows, l, verb, joinAnd(langs))
		}
	}
	var dirs []string // the directions it does translate
	all := true
	for _, a := range langs {
		for _, b := range langs {
			if a == b {
				continue
			}
			if supports(a, b) {
				dirs = append(dirs, a+"→"+b)
			} else {
				all = false
			}
		}
	}
	if all || len(dirs) == 0 {
		return "", "", usagef(nil, "%s cannot translate %s→%s: %s between %s", what, from, to, verb, joinAnd(langs))
	}
	return "", "", usagef(nil, "%s cannot translate %s→%s: %s %s only", what, from, to, verb, joinAnd(dirs))
}

// joinAnd joins words as "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// libError is an error of package translate without its "translate: "
// prefix (the command name already says it); it unwraps to the original.
type libError struct {
	msg string
	err error
}

func (e *libError) Error() string { return e.msg }
func (e *libError) Unwrap() error { return e.err }

func trimLib(err error) error {
	if err == nil {
		return nil
	}
	msg, ok := strings.CutPrefix(err.Error(), "translate: ")
	if !ok {
		return err
	}
	return &libError{msg: msg, err: err}
}

// chunkLines is how many lines one call of Translate gets: enough for
// batches of similar length, few enough that output streams and memory
// stays bounded.
const chunkLines = 1024

// translateChunks translates texts chunk by chunk, calling each with the
// index of a chunk's first text and its results, and drawing the progress
// bar (lines done, lines/s, ETA) on prog, which may be nil.
func translateChunks(ctx context.Context, t *translate.Translator, texts []string, opt translate.Options,
	prog *progress, each func(lo int, res []translate.Result) error) error {
	start := time.Now()
	show := func(done int) {
		if prog != nil {
			el := time.Since(start)
			prog.show(done, fmt.Sprintf("%.1f lines/s", float64(done)/el.Seconds()), el)
		}
	}
	for lo := 0; lo < len(texts); lo += chunkLines {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := texts[lo:min(lo+chunkLines, len(texts))]
		o := opt
		// Progress counts decoded parts (a long line may have several,
		// an empty one none): scale them to the chunk's lines.
		o.Progress = func(done, total int) {
			if total > 0 {
				show(lo + len(chunk)*min(done, total)/total)
			}
		}
		res, err := t.Translate(ctx, chunk, o)
		if err != nil {
			return trimLib(err)
		}
		if len(res) != len(chunk) { // the library promises one result a line
			return fmt.Errorf("model returned %d results for %d lines", len(res), len(chunk))
		}
		show(lo + len(chunk))
		if err := each(lo, res); err != nil {
			return err
		}
	}
	return nil
}

// oneLine makes s safe as one line of output: line breaks become spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\v\f\u0085\u2028\u2029") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// --- parley train mt ---

// trainMTOptions are the flags of "parley train mt".
type trainMTOptions struct {
	train, dev, out, langs string
	float16, int8, json    bool
	cfg                    translate.TrainConfig
}

func (o *trainMTOptions) addFlags(fs *flag.FlagSet) {
	o.cfg = translate.DefaultTrainConfig()
	c := &o.cfg
	fs.StringVar(&o.train, "train", "", "training pairs: a `TSV` file of source<TAB>target lines (.gz allowed)")
	fs.StringVar(&o.dev, "dev", "", "dev pairs (`TSV`) for the dev BLEU that picks the model to keep")
	fs.StringVar(&o.out, "out", "", "model `file` to write: the best by dev BLEU (OUT.last holds the latest state, for --resume)")
	fs.StringVar(&o.langs, "langs", "en,es", "the `languages` of the two columns, comma-separated")
	fs.BoolVar(&c.OneWay, "one-way", false, "learn only column 1 → column 2 (default: both directions)")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "`epochs` over the training pairs")
	fs.DurationVar(&c.MaxTime, "max-time", 0, "stop (after an evaluation) once this `duration` has passed (0: no limit)")
	fs.IntVar(&c.Merges, "merges", c.Merges, "byte-pair-encoding `merges` (the subword vocabulary grows by one piece per merge)")
	fs.IntVar(&c.Emb, "emb", c.Emb, "embedding `size`")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "LSTM hidden `size`")
	fs.IntVar(&c.OutDim, "out-dim", c.OutDim, "attentional layer `size` before the output (0: none)")
	fs.IntVar(&c.EncLayers, "enc-layers", c.EncLayers, "BiLSTM encoder `layers`")
	fs.StringVar(&c.Attention, "attention", c.Attention, "attention `kind`: general or dot (Luong), additive (Bahdanau), location")
	fs.Float64Var(&c.Dropout, "dropout", c.Dropout, "dropout `rate` in training")
	fs.Float64Var(&c.LabelSmoothing, "label-smoothing", c.LabelSmoothing, "label smoothing `ε`")
	fs.StringVar(&c.Tag, "tag", c.Tag, "where the target-language tag goes: decoder (its first input) or source (the first source token)")
	fs.IntVar(&c.BatchSize, "batch", c.BatchSize, "sentence `pairs` per step")
	fs.Float64Var(&c.LR, "lr", c.LR, "peak learning `rate` (Adam, warm-up then cosine decay)")
	fs.IntVar(&c.Warmup, "warmup", c.Warmup, "warm-up `steps`")
	fs.IntVar(&c.EvalEvery, "eval-every", 0, "evaluate and save every `N` steps (0: after each epoch)")
	fs.IntVar(&c.DevSentences, "dev-sentences", c.DevSentences, "dev `pairs` translated for the dev BLEU")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random `seed`")
	fs.IntVar(&c.MaxGraphs, "max-graphs", 12, "compiled training graphs to keep, one per batch shape (more: faster, more memory)")
	fs.BoolVar(&c.Resume, "resume", false, "continue the run saved in OUT.last")
	fs.BoolVar(&o.float16, "float16", true, "store the final weights as float16 (half the size)")
	fs.BoolVar(&o.int8, "int8", false, "store the final weight matrices as int8 with a scale per row (a quarter of float32; overrides --float16)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per progress report on stdout")
}

// trainMTFlagsHelp lists the tuning flags of "parley train mt" with their
// defaults, for "parley help train".
func trainMTFlagsHelp() string {
	c := translate.DefaultTrainConfig()
	return fmt.Sprintf(`	       --epochs N (%d), --max-time DURATION (none), --merges N (%d),
	       --emb N (%d), --hidden N (%d), --out-dim N (%d), --batch N (%d),
	       --lr F (%g), --warmup N (%d), --eval-every N (0: per epoch),
	       --dev-sentences N (%d), --seed N (%d), --float16=false, --int8,
	       --json`,
		c.Epochs, c.Merges, c.Emb, c.Hidden, c.OutDim, c.BatchSize, c.LR, c.Warmup, c.DevSentences, c.Seed)
}

// check reports flag values that cannot work, as usage errors.
func (o *trainMTOptions) check() error {
	c := &o.cfg
	switch {
	case o.train == "":
		return usagef(nil, "--train is required")
	case o.dev == "":
		return usagef(nil, "--dev is required")
	case o.out == "":
		return usagef(nil, "--out is required")
	case c.Epochs < 1, c.Merges < 1, c.Emb < 1, c.Hidden < 1, c.BatchSize < 1, c.OutDim < 0,
		c.Warmup < 0, c.EvalEvery < 0, c.DevSentences < 1, c.MaxTime < 0, !(c.LR > 0):
		return usagef(nil, "--epochs, --merges, --emb, --hidden, --batch, --dev-sentences and --lr must be positive; --out-dim, --warmup, --eval-every and --max-time not negative")
	}
	langs := strings.Split(o.langs, ",")
	if len(langs) != 2 || !validLang(langs[0]) || !validLang(langs[1]) || langs[0] == langs[1] {
		return usagef(nil, "--langs %q: want two different language codes, such as en,es", o.langs)
	}
	c.Langs = [2]string{langs[0], langs[1]}
	c.Out = o.out
	return nil
}

// validLang reports whether l can be a language code (it becomes the tag
// "<2l>" of the vocabulary).
func validLang(l string) bool {
	if l == "" || len(l) > 16 {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func runTrainMT(ctx context.Context, o trainMTOptions, s *Streams, args []string) error {
	if err := o.check(); err != nil {
		return err
	}
	cfg := o.cfg
	train, err := translate.ReadPairsFile(o.train)
	if err != nil {
		return trimLib(err)
	}
	dev, err := translate.ReadPairsFile(o.dev)
	if err != nil {
		return trimLib(err)
	}
	if len(train) == 0 {
		return fmt.Errorf("%s: no sentence pairs", o.train)
	}
	if len(dev) == 0 {
		return fmt.Errorf("%s: no sentence pairs", o.dev)
	}
	dir := "both directions"
	if cfg.OneWay {
		dir = cfg.Langs[0] + " → " + cfg.Langs[1] + " only"
	}
	fmt.Fprintf(s.Err, "train mt: %d training and %d dev pairs, %s ↔ %s (%s), %d epochs\n",
		len(train), len(dev), cfg.Langs[0], cfg.Langs[1], dir, cfg.Epochs)
	enc := json.NewEncoder(s.Out)
	best := -1.0
	t, err := translate.Train(ctx, train, dev, cfg, func(p translate.Progress) {
		// Train numbers epochs inconsistently between its reports, so
		// show the epoch reached as a fraction from the step count.
		epoch := 0.0
		if p.Steps > 0 {
			epoch = float64(p.Step) * float64(cfg.Epochs) / float64(p.Steps)
		}
		el := p.Elapsed.Round(time.Second)
		if p.DevBLEU < 0 {
			fmt.Fprintf(s.Err, "epoch %5.2f/%d  step %d/%d  loss %.4f  lr %.2e  %v\n",
				epoch, cfg.Epochs, p.Step, p.Steps, p.Loss, p.LR, el)
			if o.json {
				enc.Encode(map[string]any{"epoch": epoch, "step": p.Step, "steps": p.Steps, "loss": p.Loss,
					"lr": p.LR, "seconds": p.Elapsed.Seconds()})
			}
			return
		}
		mark := ""
		if p.Best {
			best = p.DevBLEU
			mark = "  * best, saved"
		}
		fmt.Fprintf(s.Err, "epoch %5.2f/%d  step %d/%d  dev BLEU %.2f (greedy)  %v%s\n",
			epoch, cfg.Epochs, p.Step, p.Steps, p.DevBLEU, el, mark)
		if o.json {
			enc.Encode(map[string]any{"epoch": epoch, "step": p.Step, "steps": p.Steps, "dev_bleu": p.DevBLEU,
				"best": p.Best, "seconds": p.Elapsed.Seconds()})
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			if _, serr := os.Stat(o.out); serr == nil {
				fmt.Fprintf(s.Err, "train mt: stopped; the best model so far is in %s (continue with --resume)\n", o.out)
			}
			return ctx.Err()
		}
		return trimLib(err)
	}
	// Rewrite the best model with the provenance of this run (and as
	// float16); OUT.last stays as Train wrote it, for --resume.
	prov := maps.Clone(t.Provenance())
	if prov == nil {
		prov = map[string]string{}
	}
	prov["data"] = o.train
	prov["dev"] = o.dev
	prov["langs"] = o.langs
	if best >= 0 || prov["command"] == "" {
		// This run made the kept model (else a resumed run kept the one
		// an earlier run made, and its command).
		prov["command"] = "parley train mt " + strings.Join(args, " ")
	}
	if err := t.SaveFile(o.out, translate.SaveOptions{Float16: o.float16, Int8: o.int8, Provenance: prov}); err != nil {
		return trimLib(err)
	}
	if best < 0 {
		fmt.Fprintf(s.Err, "train mt: kept %s: no evaluation of this run beat its dev BLEU %s (greedy); %s.last holds the latest state\n",
			o.out, cmp.Or(prov["dev_bleu_greedy"], "?"), o.out)
		return nil
	}
	fmt.Fprintf(s.Err, "train mt: wrote %s (dev BLEU %.2f, greedy)\n", o.out, best)
	return nil
}

// lengthPenalty maps the --length-penalty flag (0: none) to
// translate.Options.LengthPenalty (0: the default, negative: none).
func lengthPenalty(alpha float64) float64 {
	if alpha == 0 {
		return -1
	}
	return alpha
}

// --- parley eval mt ---

// evalMTOptions are the flags of "parley eval mt".
type evalMTOptions struct {
	model, data, from, to, hyps string
	beam                        int
	lengthPenalty               float64
	json                        bool
}

func (o *evalMTOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.model, "model", "", "translation model: en-es or es-en (embedded), or a `file` from 'parley train mt' (default: the embedded model for the direction)")
	fs.StringVar(&o.data, "data", "", "test pairs: a `TSV` file whose columns are the model's two languages in order (en<TAB>es)")
	fs.StringVar(&o.from, "from", "", "source `language` (default en; the other column is the reference)")
	fs.StringVar(&o.to, "to", "", "target `language` (default: the model's other language)")
	fs.IntVar(&o.beam, "beam", 5, "beam `width` (1: greedy)")
	fs.Float64Var(&o.lengthPenalty, "length-penalty", 0.6, "beam search length normalisation `α` (GNMT; 0: none)")
	fs.StringVar(&o.hyps, "hyps", "", "write the translations, one a line, to this `file` (atomically)")
	fs.BoolVar(&o.json, "json", false, "print the scores as one JSON object")
}

// evalMTReport is the --json output of "parley eval mt".
type evalMTReport struct {
	Model                 string     `json:"model"`
	From                  string     `json:"from"`
	To                    string     `json:"to"`
	Beam                  int        `json:"beam"`
	Sentences             int        `json:"sentences"`
	BLEU                  float64    `json:"bleu"`
	BLEUPrecisions        [4]float64 `json:"bleu_precisions"`
	BLEUBrevityPenalty    float64    `json:"bleu_bp"`
	BLEURatio             float64    `json:"bleu_ratio"`
	HypLen                int        `json:"hyp_len"`
	RefLen                int        `json:"ref_len"`
	BLEULine              string     `json:"bleu_line"`
	ChrF                  float64    `json:"chrf"`
	Seconds               float64    `json:"seconds"`
	SentencesPerSecond    float64    `json:"sentences_per_second"`
	TargetTokensPerSecond float64    `json:"target_tokens_per_second"`
}

func runEvalMT(ctx context.Context, o evalMTOptions, s *Streams) error {
	if o.data == "" {
		return usagef(nil, "--data is required")
	}
	if o.beam < 1 {
		return usagef(nil, "--beam %d: want 1 or more", o.beam)
	}
	if !(o.lengthPenalty >= 0 && o.lengthPenalty <= 5) {
		return usagef(nil, "--length-penalty %v: want 0 to 5", o.lengthPenalty)
	}
	t, name, from, to, err := openTranslator(o.model, o.from, o.to, nil)
	if err != nil {
		return err
	}
	langs := t.Languages()
	swap := false
	switch {
	case from == langs[0] && to == langs[1]:
	case from == langs[1] && to == langs[0]:
		swap = true
	default:
		return usagef(nil, "the columns of --data are %s and %s (the model's first two languages): evaluate %s→%s or %s→%s",
			langs[0], langs[1], langs[0], langs[1], langs[1], langs[0])
	}
	pairs, err := translate.ReadPairsFile(o.data)
	if err != nil {
		return trimLib(err)
	}
	if len(pairs) == 0 {
		return fmt.Errorf("%s: no sentence pairs", o.data)
	}
	src, ref := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		src[i], ref[i] = p.Src, p.Tgt
		if swap {
			src[i], ref[i] = p.Tgt, p.Src
		}
	}

	hyps := make([]string, len(src))
	prog := newProgress(s.Err, len(src), "sentences")
	start := time.Now()
	err = translateChunks(ctx, t, src, translate.Options{From: from, To: to, Beam: o.beam, LengthPenalty: lengthPenalty(o.lengthPenalty)}, prog,
		func(lo int, res []translate.Result) error {
			for i, r := range res {
				hyps[lo+i] = oneLine(r.Text())
				for _, w := range r.Warnings {
					prog.clear()
					fmt.Fprintf(s.Err, "parley eval mt: %s: pair %d: %s\n", o.data, lo+i+1, w)
				}
			}
			return nil
		})
	prog.done()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)

	bleu, err := translate.CorpusBLEU(hyps, [][]string{ref}, translate.BLEUOptions{})
	if err != nil {
		return trimLib(err)
	}
	chrf, err := translate.CorpusChrF(hyps, [][]string{ref})
	if err != nil {
		return trimLib(err)
	}
	if o.hyps != "" {
		err := writeAtomic(o.hyps, func(w io.Writer) error {
			for _, h := range hyps {
				if _, err := io.WriteString(w, h+"\n"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	sec := max(elapsed.Seconds(), 1e-9)
	rep := evalMTReport{Model: name, From: from, To: to, Beam: o.beam, Sentences: len(src),
		BLEU: bleu.Score, BLEUPrecisions: bleu.Precisions, BLEUBrevityPenalty: bleu.BP, BLEURatio: bleu.Ratio,
		HypLen: bleu.HypLen, RefLen: bleu.RefLen, BLEULine: bleu.String(), ChrF: chrf.Score,
		Seconds: elapsed.Seconds(), SentencesPerSecond: float64(len(src)) / sec,
		TargetTokensPerSecond: float64(bleu.HypLen) / sec}
	if o.json {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	_, err = fmt.Fprintf(s.Out, "%s\n%s\nmodel %s  %s→%s  beam %d  sentences %d  elapsed %v  %.1f sentences/s  %.0f target tokens/s\n",
		bleu, chrf, name, from, to, o.beam, rep.Sentences, elapsed.Round(time.Millisecond),
		rep.SentencesPerSecond, rep.TargetTokensPerSecond)
	return err
}
