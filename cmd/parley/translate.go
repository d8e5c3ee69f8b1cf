package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-ai/parley/translate"
	"github.com/parley-ai/parley/translate/models"
)

// translateOptions are the flags of "parley translate".
type translateOptions struct {
	from, to, model string
	beam, nbest     int
	lengthPenalty   float64
	maxPieces       int
	batch           int
	align, json     bool
	srt             bool
	out             string
	inputs          stringList
	audio           string
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (o *translateOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.from, "from", "", "source `language` (default en, or the model's other language when --to is given)")
	fs.StringVar(&o.to, "to", "", "target `language` (default es, or the model's other language when --from is given)")
	fs.StringVar(&o.model, "model", "", "translation model: en-es or es-en (embedded), or a `file` from 'parley train mt' (default: the embedded model for the direction)")
	fs.IntVar(&o.beam, "beam", 5, "beam `width` (1: greedy)")
	fs.Float64Var(&o.lengthPenalty, "length-penalty", 0.6, "beam search length normalisation `α` (GNMT; 0: none; higher favours longer translations)")
	fs.IntVar(&o.nbest, "nbest", 0, "print the `K` best translations of each line: i ||| text ||| score")
	fs.BoolVar(&o.align, "align", false, "add word alignments: translation ||| i-j ... (source word i, target word j, from 0)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per line: source, translation, hyps, warnings")
	fs.BoolVar(&o.srt, "srt", false, "the input is SRT subtitles (automatic for an --input file ending in .srt)")
	fs.StringVar(&o.out, "o", "", "write to this `file` (atomically) instead of standard output")
	fs.Var(&o.inputs, "input", "translate the lines of this `file` (repeatable; - is standard input)")
	fs.IntVar(&o.maxPieces, "max-pieces", 200, "split longer lines (in subword `pieces`) at sentence ends or words, and warn")
	fs.IntVar(&o.batch, "batch", 32, "`sentences` decoded together")
	fs.StringVar(&o.audio, "audio", "", "translate speech from a WAV `file` (not available yet: needs the speech recognition model)")
}

func newTranslateCommand() *Command {
	var opts translateOptions
	return &Command{
		Name:  "translate",
		Usage: "[--from LANG] [--to LANG] [--model en-es|es-en|FILE] [--beam N] [--nbest K] [--align] [--json] [--srt] [-o OUT] [--input FILE]... [TEXT...]",
		Short: "translate text or SRT subtitles between languages",
		Long: `
Translate translates text with a neural translation model, offline: an
embedded model — en-es for English → Spanish, es-en for Spanish →
English (chosen by --from/--to unless --model names one) — or a model
file from 'parley train mt'.

Each TEXT argument is one line to translate. Without TEXT, the lines of
the --input files are translated, in order (- is standard input); without
either, the lines of standard input. The output has exactly one line per
input line, in the same order, on standard output or in the -o file
(written atomically: an interrupted run leaves no partial file). Empty
lines stay empty. A line that is not valid UTF-8 is translated with its
bad bytes replaced by U+FFFD; a line longer than --max-pieces subword
pieces is split at sentence ends (else between words) and translated in
parts. Both give a warning on standard error that names FILE:LINE.

With neither --from nor --to, the input's language chooses the
direction: frequent words and letters of English, Spanish, French and
German are counted over all the input (over each line as it is typed in
a terminal), and a note on standard error says when this turns the
direction away from the default. Input with no such evidence (names,
numbers) goes en → es. Given one of --from and --to, the other defaults
to the model's other language.

OUTPUT
	(default)   the translation
	--align     translation ||| 0-0 1-2 2-1
	            Pharaoh word alignments: source word i is aligned with
	            target word j (words split at spaces, counted from 0)
	--nbest K   K lines per input line, in Moses n-best style:
	            i ||| translation ||| score
	            i is the input line counted from 0 over all inputs, score
	            the length-normalised log-probability the beam ranks by
	            (best first); with --align, a fourth field holds the
	            alignments. An empty line gives K empty translations, and
	            when the beam finds fewer than K its last one is repeated,
	            so there are always K lines per input line. The beam
	            widens to K if --beam is smaller.
	--json      one JSON object per input line (JSON Lines):
	            {"source", "translation", "hyps": [{"text", "score",
	            "norm", "align": ["i-j", ...]}], "warnings": [...]}
	            (align with --align only, warnings when there are any)

SUBTITLES
With --srt, or when the --input file ends in .srt, the input is a SubRip
file. The text of each cue (its lines joined by a space) is translated,
and the cues are written back with their numbers, timings and settings
unchanged, the translation wrapped at word boundaries into as many lines
of balanced length as the cue had (fewer when it has fewer words). Tags
that open and close a cue (<i>...</i>, {\an8}) are kept around the
translation; tags inside the text are dropped. A cue whose translation
comes out empty keeps its text, with a warning. A malformed file is an
error naming FILE:LINE.
One subtitle file is translated at a time.

Standard input on a terminal is translated line by line as it is typed.
Otherwise the input is read whole and translated in batches, with a
progress bar on standard error when that is a terminal. Speech input
(--audio) is planned: it needs the speech recognition model.

EXAMPLES
	parley translate "Where is the train station?"
	parley translate --from es "¿Dónde está la estación?"
	parley translate --input book.en.txt -o book.es.txt
	parley translate --input movie.en.srt -o movie.es.srt
	cat notes.txt | parley translate --align
	parley translate --nbest 5 --input test.en > test.nbest
	parley translate --json "Good morning" | jq -r .translation
	parley translate --model en-fr.safetensors --to fr "Thank you"
`,
		Flags: opts.addFlags,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			return runTranslate(ctx, opts, s, args)
		},
	}
}

// inputLine is one line to translate and where it comes from.
type inputLine struct {
	name string // file name, "<stdin>", or "" for a TEXT argument
	n    int    // line (or argument) number, from 1
	text string
}

// where names the line in messages: FILE:LINE, or "argument N".
func (l inputLine) where() string {
	if l.name == "" {
		return fmt.Sprintf("argument %d", l.n)
	}
	return fmt.Sprintf("%s:%d", l.name, l.n)
}

// translateJob is one run of "parley translate" after its flags are
// checked and its model loaded.
type translateJob struct {
	o    translateOptions
	s    *Streams
	t    *translate.Translator
	opt  translate.Options
	next int // the n-best number of the next line
}

func runTranslate(ctx context.Context, o translateOptions, s *Streams, args []string) error {
	if o.audio != "" {
		return &notAvailableError{name: "translate --audio",
			planned: "speech translation; it needs the speech recognition model of 'parley transcribe'"}
	}
	switch {
	case o.beam < 1:
		return usagef(nil, "--beam %d: want 1 or more", o.beam)
	case !(o.lengthPenalty >= 0 && o.lengthPenalty <= 5):
		return usagef(nil, "--length-penalty %v: want 0 to 5", o.lengthPenalty)
	case o.nbest < 0:
		return usagef(nil, "--nbest %d: want 1 or more (0: just the best translation)", o.nbest)
	case o.maxPieces < 1:
		return usagef(nil, "--max-pieces %d: want 1 or more", o.maxPieces)
	case o.batch < 1:
		return usagef(nil, "--batch %d: want 1 or more", o.batch)
	case len(args) > 0 && len(o.inputs) > 0:
		return usagef(nil, "give TEXT arguments or --input files, not both")
	}
	srt, err := o.srtMode(args)
	if err != nil {
		return err
	}
	j := &translateJob{o: o, s: s}

	// Read the input before the output is opened, so that a bad input
	// leaves no output file; and before the model is chosen, so that
	// without --from and --to the input's language picks the direction.
	var (
		write  func(w io.Writer) error
		sample []string // the text the language is detected from
	)
	switch {
	case srt:
		name, data, err := j.readSRTInput(ctx)
		if err != nil {
			return err
		}
		cues, err := translate.ReadSRT(bytes.NewReader(data), name)
		if err != nil {
			return trimLib(err)
		}
		for _, c := range cues {
			sample = append(sample, c.Lines...)
		}
		write = func(w io.Writer) error { return j.writeSRT(ctx, w, name, cues) }
	case len(args) == 0 && (len(o.inputs) == 0 || len(o.inputs) == 1 && o.inputs[0] == "-") && isTerminal(s.In):
		write = func(w io.Writer) error { return j.interactive(ctx, w) }
	default:
		lines, err := j.readLines(ctx, args)
		if err != nil {
			return err
		}
		for _, l := range lines {
			sample = append(sample, l.text)
		}
		write = func(w io.Writer) error { return j.writeText(ctx, w, lines) }
	}
	detect := func(langs []string) string {
		l, ok := translate.DetectLanguage(sample, langs)
		if !ok {
			return ""
		}
		if def := defaultSource(langs); l != def {
			// Say so when the guess changes the direction.
			fmt.Fprintf(s.Err, "parley translate: the input looks like %s, not %s: translating from %s (--from sets the language)\n",
				languageName(l), languageName(def), languageName(l))
		}
		return l
	}
	t, _, from, to, err := openTranslator(o.model, o.from, o.to, detect)
	if err != nil {
		return err
	}
	j.t, j.opt = t, translate.Options{From: from, To: to,
		Beam: max(o.beam, o.nbest), NBest: max(o.nbest, 1), Align: o.align,
		MaxPieces: o.maxPieces, BatchSize: o.batch, LengthPenalty: lengthPenalty(o.lengthPenalty)}

	var jobErr error
	if o.out != "" {
		// writeAtomic removes the temporary file on an error; report
		// the job's own error rather than its "write OUT:" wrapping.
		err := writeAtomic(o.out, func(w io.Writer) error { jobErr = write(w); return jobErr })
		if jobErr != nil {
			return jobErr
		}
		return err
	}
	bw := bufio.NewWriterSize(s.Out, 1<<16)
	jobErr = write(bw)
	if err := bw.Flush(); jobErr == nil {
		jobErr = err
	}
	return jobErr
}

// srtMode reports whether the input is subtitles, and refuses what does
// not go with them.
func (o *translateOptions) srtMode(args []string) (bool, error) {
	nsrt := 0
	for _, in := range o.inputs {
		if strings.EqualFold(filepath.Ext(in), ".srt") {
			nsrt++
		}
	}
	if !o.srt && nsrt == 0 {
		return false, nil
	}
	switch {
	case nsrt > 0 && nsrt < len(o.inputs):
		return false, usagef(nil, "cannot mix .srt files with text files: translate them in separate runs")
	case len(o.inputs) > 1:
		return false, usagef(nil, "translate one subtitle file at a time (%d --input files given)", len(o.inputs))
	case len(args) > 0:
		return false, usagef(nil, "subtitles come from --input FILE or standard input, not TEXT arguments")
	case o.json || o.nbest > 0 || o.align:
		return false, usagef(nil, "--json, --nbest and --align are for text, not subtitles")
	}
	return true, nil
}

// readLines reads the lines to translate: the TEXT arguments, else the
// --input files, else standard input.
func (j *translateJob) readLines(ctx context.Context, args []string) ([]inputLine, error) {
	var lines []inputLine
	if len(args) > 0 {
		for i, a := range args {
			lines = append(lines, inputLine{n: i + 1, text: a})
		}
		return lines, nil
	}
	inputs := j.o.inputs
	if len(inputs) == 0 {
		inputs = stringList{"-"}
	}
	for _, path := range inputs {
		name, r := "<stdin>", j.s.In
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			name, r = path, f
		}
		n := 0
		err := eachLine(ctx, r, func(text string) error {
			n++
			lines = append(lines, inputLine{name: name, n: n, text: text})
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return lines, nil
}

// readSRTInput reads the whole subtitle file (or standard input).
func (j *translateJob) readSRTInput(ctx context.Context) (name string, data []byte, err error) {
	if len(j.o.inputs) == 1 && j.o.inputs[0] != "-" {
		data, err := os.ReadFile(j.o.inputs[0])
		return j.o.inputs[0], data, err
	}
	var b bytes.Buffer
	err = eachLine(ctx, j.s.In, func(text string) error {
		b.WriteString(text)
		b.WriteByte('\n')
		return nil
	})
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("<stdin>: %w", err)
	}
	return "<stdin>", b.Bytes(), err
}

// eachLine calls fn with each line of r, without its line end ("\n" or
// "\r\n"); a last line without a line end counts too. Reading happens in
// a goroutine so that a cancelled ctx stops a wait on a terminal or pipe
// at once.
func eachLine(ctx context.Context, r io.Reader, fn func(text string) error) error {
	type item struct {
		text string
		err  error
		end  bool
	}
	ch := make(chan item, 64)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		br := bufio.NewReaderSize(r, 1<<16)
		for {
			s, err := br.ReadString('\n')
			if s != "" {
				s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
				select {
				case ch <- item{text: s}:
				case <-stop:
					return
				}
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				select {
				case ch <- item{err: err, end: true}:
				case <-stop:
				}
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case it := <-ch:
			if it.end {
				return it.err
			}
			if err := fn(it.text); err != nil {
				return err
			}
		}
	}
}

// flush flushes w if it buffers, so that output appears chunk by chunk.
func flush(w io.Writer) error {
	if f, ok := w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// writeText translates lines and writes the output, chunk by chunk.
func (j *translateJob) writeText(ctx context.Context, w io.Writer, lines []inputLine) error {
	texts := make([]string, len(lines))
	warns := make([][]string, len(lines))
	for i, l := range lines {
		texts[i], warns[i] = sanitise(l.text)
	}
	prog := newProgress(j.s.Err, len(lines), "lines")
	defer prog.done()
	return translateChunks(ctx, j.t, texts, j.opt, prog, func(lo int, res []translate.Result) error {
		for i, r := range res {
			l := lines[lo+i]
			ws := append(warns[lo+i], r.Warnings...)
			for _, msg := range ws {
				prog.clear()
				fmt.Fprintf(j.s.Err, "parley translate: %s: %s\n", l.where(), msg)
			}
			if err := j.writeResult(w, r, ws); err != nil {
				return err
			}
		}
		return flush(w)
	})
}

// defaultSource is the source language when none is given or detected:
// English if langs has it, else the first.
func defaultSource(langs []string) string {
	if slices.Contains(langs, "en") || len(langs) == 0 {
		return "en"
	}
	return langs[0]
}

// languageName names the languages DetectLanguage knows.
func languageName(code string) string {
	switch code {
	case "en":
		return "English"
	case "es":
		return "Spanish"
	case "fr":
		return "French"
	case "de":
		return "German"
	}
	return code
}

// interactive translates each line as it is typed. With no --model,
// --from or --to, each line's language picks the embedded model for it,
// so either language can be typed.
func (j *translateJob) interactive(ctx context.Context, w io.Writer) error {
	auto := j.o.model == "" && j.o.from == "" && j.o.to == ""
	n := 0
	return eachLine(ctx, j.s.In, func(text string) error {
		n++
		if auto {
			if l, ok := translate.DetectLanguage([]string{text}, models.Languages()); ok && l != j.opt.From {
				t, _, from, to, err := openTranslator("", l, "", nil)
				if err != nil {
					return err
				}
				j.t, j.opt.From, j.opt.To = t, from, to
			}
		}
		return j.writeText(ctx, w, []inputLine{{name: "<stdin>", n: n, text: text}})
	})
}

// sanitise makes text valid UTF-8, with a warning when it was not.
func sanitise(text string) (string, []string) {
	if utf8.ValidString(text) {
		return text, nil
	}
	return strings.ToValidUTF8(text, "\uFFFD"), []string{"invalid UTF-8: bad bytes replaced by U+FFFD"}
}

// translationJSON is one line of --json output.
type translationJSON struct {
	Source      string    `json:"source"`
	Translation string    `json:"translation"`
	Hyps        []hypJSON `json:"hyps"`
	Warnings    []string  `json:"warnings,omitempty"`
}

type hypJSON struct {
	Text  string  `json:"text"`
	Score float64 `json:"score"`
	Norm  float64 `json:"norm"`
	// Align is a []string of "i-j" with --align (an empty one is [],
	// kept), else nil (left out).
	Align any `json:"align,omitempty"`
}

// writeResult writes the output of one input line in the chosen format.
func (j *translateJob) writeResult(w io.Writer, r translate.Result, warnings []string) error {
	i := j.next
	j.next++
	var b strings.Builder
	switch {
	case j.o.json:
		out := translationJSON{Source: r.Source, Translation: oneLine(r.Text()), Hyps: []hypJSON{}, Warnings: warnings}
		for _, h := range r.Hyps {
			hj := hypJSON{Text: oneLine(h.Text), Score: h.Score, Norm: h.Norm}
			if j.o.align {
				align := make([]string, len(h.Align))
				for k, a := range h.Align {
					align[k] = fmt.Sprintf("%d-%d", a[0], a[1])
				}
				hj.Align = align
			}
			out.Hyps = append(out.Hyps, hj)
		}
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	case j.o.nbest > 0:
		for k := range j.o.nbest {
			var h translate.Hypothesis // an empty line: empty translations
			if len(r.Hyps) > 0 {
				h = r.Hyps[min(k, len(r.Hyps)-1)]
			}
			fmt.Fprintf(&b, "%d ||| %s ||| %s", i, oneLine(h.Text), strconv.FormatFloat(h.Norm, 'f', 4, 64))
			if j.o.align {
				b.WriteString(" ||| " + pharaoh(h.Align))
			}
			b.WriteByte('\n')
		}
	case j.o.align:
		var h translate.Hypothesis
		if len(r.Hyps) > 0 {
			h = r.Hyps[0]
		}
		b.WriteString(oneLine(h.Text) + " ||| " + pharaoh(h.Align) + "\n")
	default:
		b.WriteString(oneLine(r.Text()) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pharaoh formats word alignments as "0-0 1-2".
func pharaoh(align [][2]int) string {
	parts := make([]string, len(align))
	for k, a := range align {
		parts[k] = strconv.Itoa(a[0]) + "-" + strconv.Itoa(a[1])
	}
	return strings.Join(parts, " ")
}

// writeSRT translates the text of each cue and writes the cues back with
// their numbers and timings.
func (j *translateJob) writeSRT(ctx context.Context, w io.Writer, name string, cues []translate.Cue) error {
	texts := make([]string, len(cues))
	wraps := make([][2]string, len(cues))
	for i, c := range cues {
		var body string
		wraps[i][0], body, wraps[i][1] = splitTags(strings.Join(c.Lines, " "))
		texts[i] = body
	}
	out := make([]translate.Cue, len(cues))
	prog := newProgress(j.s.Err, len(cues), "cues")
	defer prog.done()
	warn := func(c translate.Cue, msg string) {
		prog.clear()
		fmt.Fprintf(j.s.Err, "parley translate: %s: cue %d: %s\n", name, c.Index, msg)
	}
	err := translateChunks(ctx, j.t, texts, j.opt, prog, func(lo int, res []translate.Result) error {
		for i, r := range res {
			c := cues[lo+i]
			for _, msg := range r.Warnings {
				warn(c, msg)
			}
			text := oneLine(r.Text())
			switch {
			case len(c.Lines) == 0:
				// no text, nothing to translate
			case strings.TrimSpace(text) == "":
				warn(c, "the translation is empty: kept the original text")
			default:
				c.Lines = wrapBalanced(text, len(c.Lines))
				if w := wraps[lo+i]; len(c.Lines) > 0 {
					c.Lines[0] = w[0] + c.Lines[0]
					c.Lines[len(c.Lines)-1] += w[1]
				}
			}
			out[lo+i] = c
		}
		return nil
	})
	if err != nil {
		return err
	}
	return trimLib(translate.WriteSRT(w, out))
}

// subtitleTag matches SubRip formatting: HTML-like tags (<i>, </font>) and
// ASS override blocks ({\an8}).
var subtitleTag = regexp.MustCompile(`\{\\[^}]*\}|</?[a-zA-Z][^<>]*>`)

// splitTags separates the formatting tags that open and close a cue's text
// (kept around the translation) from the text to translate; tags inside
// the text are dropped, since their words move in translation.
func splitTags(text string) (prefix, body, suffix string) {
	locs := subtitleTag.FindAllStringIndex(text, -1)
	start, end := 0, len(text)
	for _, l := range locs {
		if strings.TrimSpace(text[start:l[0]]) != "" {
			break
		}
		prefix += text[l[0]:l[1]]
		start = l[1]
	}
	for k := len(locs) - 1; k >= 0; k-- {
		l := locs[k]
		if l[0] < start || strings.TrimSpace(text[l[1]:end]) != "" {
			break
		}
		suffix = text[l[0]:l[1]] + suffix
		end = l[0]
	}
	body = strings.Join(strings.Fields(subtitleTag.ReplaceAllString(text[start:end], " ")), " ")
	return prefix, body, suffix
}

// wrapBalanced splits text at spaces into at most n lines (fewer when it
// has fewer words) of lengths as equal as possible: it minimises the sum of
// the squared line lengths in characters. A line that is a number and
// would read as the start of a new cue (the next line holding "-->") is
// joined with the next.
func wrapBalanced(text string, n int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return nil
	}
	n = max(1, min(n, len(words)))
	m := len(words)
	// pre[i] is the length of words[:i] with one space after each word.
	pre := make([]int, m+1)
	for i, w := range words {
		pre[i+1] = pre[i] + utf8.RuneCountInString(w) + 1
	}
	width := func(a, b int) int { return pre[b] - pre[a] - 1 } // words[a:b] on one line
	const inf = int(^uint(0) >> 2)
	// cost[k][i]: the best cost of words[:i] on k lines; cut[k][i]: where
	// its last line starts.
	cost := make([][]int, n+1)
	cut := make([][]int, n+1)
	for k := range cost {
		cost[k] = make([]int, m+1)
		cut[k] = make([]int, m+1)
		for i := range cost[k] {
			cost[k][i] = inf
		}
	}
	cost[0][0] = 0
	for k := 1; k <= n; k++ {
		for i := k; i <= m; i++ {
			for a := k - 1; a < i; a++ {
				if cost[k-1][a] == inf {
					continue
				}
				wd := width(a, i)
				if c := cost[k-1][a] + wd*wd; c < cost[k][i] {
					cost[k][i], cut[k][i] = c, a
				}
			}
		}
	}
	lines := make([]string, n)
	for k, i := n, m; k > 0; k-- {
		a := cut[k][i]
		lines[k-1] = strings.Join(words[a:i], " ")
		i = a
	}
	for k := 0; k+1 < len(lines); k++ {
		if isDigits(lines[k]) && strings.Contains(lines[k+1], "-->") {
			lines[k] += " " + lines[k+1]
			lines = append(lines[:k+1], lines[k+2:]...)
			k--
		}
	}
	return lines
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
