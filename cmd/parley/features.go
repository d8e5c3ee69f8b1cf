package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parley-ai/parley/audio"
	"github.com/parley-ai/parley/audio/features"
	"github.com/parley-ai/parley/internal/plot"
)

// featuresOptions are the flags of "parley features".
type featuresOptions struct {
	out     string
	kind    string
	preset  string
	format  string
	melBins int
	ceps    int
	channel int
	deltas  bool
	cmvn    bool
	png     bool
	json    bool
}

func (o *featuresOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.out, "o", ".", "output `dir`ectory (created if missing)")
	fs.StringVar(&o.kind, "type", "fbank", "feature `type`: fbank (log-mel), mfcc or spectrogram")
	fs.StringVar(&o.preset, "preset", "kaldi", "option `preset`: kaldi (Kaldi's defaults, dither 1) or torchaudio (dither 0)")
	fs.StringVar(&o.format, "format", "npy", "output `format`: npy (NumPy float32 frames×dims) or csv")
	fs.IntVar(&o.melBins, "mel-bins", 0, "mel bins (0: 80 for fbank, the preset's 23 for mfcc)")
	fs.IntVar(&o.ceps, "ceps", 0, "MFCC cepstra (0: the preset's 13)")
	fs.IntVar(&o.channel, "channel", 0, "channel to read, counted from 1 (0: mix all channels down)")
	fs.BoolVar(&o.deltas, "deltas", false, "append deltas and delta-deltas (Kaldi's add-deltas)")
	fs.BoolVar(&o.cmvn, "cmvn", false, "normalise each file's features to zero mean and unit variance")
	fs.BoolVar(&o.png, "png", false, "also write a PNG image of each file's features")
	fs.BoolVar(&o.json, "json", false, "print a JSON summary on stdout")
}

func newFeaturesCommand() *Command {
	var opts featuresOptions
	return &Command{
		Name:  "features",
		Usage: "[flags] IN...",
		Short: "compute speech features (log-mel fbank, MFCC, spectrogram) of WAV files",
		Long: `
Features computes speech features of WAV files with Kaldi's conventions
(25 ms frames every 10 ms, povey window, pre-emphasis 0.97, mel filterbank
from 20 Hz to Nyquist, MFCC with lifter 22 and energy as C0) and writes one
file per input to the output directory: NAME.fbank.npy, NAME.mfcc.npy or
NAME.spectrogram.npy (or .csv), frames × dimensions, float32, readable by
numpy.load as is. --png adds NAME.TYPE.png, an image of the features (time
to the right, low frequencies at the bottom).

IN may be WAV files, directories (searched for *.wav), glob patterns
(quoted, so that the shell leaves them alone) or - for standard input.
Each file is read at its own sample rate. A file that cannot be read is
reported and skipped; the others are still processed, and the command then
exits with status 1. Outputs are written atomically (a temporary file, then
a rename), so an interrupted run leaves no half-written files.

The kaldi preset adds Kaldi's dither (seeded, so runs repeat exactly); the
torchaudio preset has none and matches torchaudio.compliance.kaldi.

EXAMPLES
	parley features -o feats/ recordings/
	parley features --type mfcc --deltas --cmvn 'data/*.wav'
	parley features --preset torchaudio --png -o /tmp/f speech.wav
	sox in.flac -t wav - | parley features -o out -
	parley features --json -o feats/ recordings/ | jq .xrt
`,
		Flags: opts.addFlags,
		Run: func(ctx context.Context, s *Streams, args []string) error {
			return runFeatures(ctx, opts, s, args)
		},
	}
}

// featureFile is one output of a run, as listed by --json.
type featureFile struct {
	Input   string  `json:"input"`
	Output  string  `json:"output,omitempty"`
	Image   string  `json:"image,omitempty"`
	Rate    int     `json:"rate,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Frames  int     `json:"frames"`
	Dims    int     `json:"dims"`
	Error   string  `json:"error,omitempty"`
}

// featuresSummary is the --json output.
type featuresSummary struct {
	Type         string        `json:"type"`
	Preset       string        `json:"preset"`
	Files        int           `json:"files"`
	Failed       int           `json:"failed"`
	AudioSeconds float64       `json:"audio_seconds"`
	Seconds      float64       `json:"seconds"`
	XRT          float64       `json:"xrt"`
	Outputs      []featureFile `json:"outputs"`
}

func (o featuresOptions) config(rate int) (features.Config, error) {
	var cfg features.Config
	switch o.preset {
	case "kaldi":
		cfg = features.Kaldi()
	case "torchaudio":
		cfg = features.Torchaudio()
	default:
		return cfg, usagef(nil, "unknown --preset %q (want kaldi or torchaudio)", o.preset)
	}
	cfg.SampleRate = rate
	switch o.kind {
	case "fbank":
		cfg.MelBins = 80
	case "mfcc", "spectrogram":
	default:
		return cfg, usagef(nil, "unknown --type %q (want fbank, mfcc or spectrogram)", o.kind)
	}
	if o.melBins > 0 {
		cfg.MelBins = o.melBins
	}
	if o.ceps > 0 {
		cfg.MFCC.NumCeps = o.ceps
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef(nil, "%v", err)
	}
	return cfg, nil
}

func runFeatures(ctx context.Context, opts featuresOptions, s *Streams, args []string) error {
	if len(args) == 0 {
		return usagef(nil, "no input files")
	}
	if opts.format != "npy" && opts.format != "csv" {
		return usagef(nil, "unknown --format %q (want npy or csv)", opts.format)
	}
	if opts.channel < 0 {
		return usagef(nil, "--channel %d: channels are counted from 1 (0 mixes them down)", opts.channel)
	}
	if _, err := opts.config(16000); err != nil { // check the flags before any work
		return err
	}
	inputs, err := expandInputs(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	names, err := outputNames(inputs)
	if err != nil {
		return err
	}

	extractors := map[int]*features.Extractor{} // per sample rate
	sum := featuresSummary{Type: opts.kind, Preset: opts.preset, Outputs: []featureFile{}}
	prog := newProgress(s.Err, len(inputs), "files")
	start := time.Now()
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := featureFile{Input: in}
		if err := featurise(opts, s, in, names[i], extractors, &res); err != nil {
			res.Error = err.Error()
			sum.Failed++
			fmt.Fprintf(s.Err, "parley features: %v\n", err)
		}
		sum.AudioSeconds += res.Seconds
		sum.Outputs = append(sum.Outputs, res)
		prog.update(i+1, sum.AudioSeconds, time.Since(start))
	}
	prog.done()
	sum.Files = len(inputs)
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.XRT = sum.AudioSeconds / sum.Seconds
	}
	if opts.json {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(s.Err, "parley features: %d files, %.1f s of audio in %.2f s (%.0f× real time), %d failed\n",
			sum.Files, sum.AudioSeconds, sum.Seconds, sum.XRT, sum.Failed)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("features: %d of %d files failed", sum.Failed, sum.Files)
	}
	return nil
}

// featurise computes and writes the features of one input.
func featurise(opts featuresOptions, s *Streams, in, name string, extractors map[int]*features.Extractor, res *featureFile) error {
	sig, _, err := audio.ReadWAVFile(in, audio.ReadOptions{Channel: opts.channel, Stdin: s.In})
	if err != nil {
		return err
	}
	res.Rate, res.Seconds = sig.Rate, sig.Duration().Seconds()
	ex := extractors[sig.Rate]
	if ex == nil {
		cfg, err := opts.config(sig.Rate)
		if err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		if ex, err = features.New(cfg); err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		extractors[sig.Rate] = ex
	}
	var m features.Matrix
	switch opts.kind {
	case "fbank":
		m, err = ex.Fbank(features.Matrix{}, sig)
	case "mfcc":
		m, err = ex.MFCC(features.Matrix{}, sig)
	default:
		m, err = ex.Spectrogram(features.Matrix{}, sig)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if opts.deltas {
		if m, err = features.Deltas(features.Matrix{}, m, features.DefaultDeltaConfig()); err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
	}
	if opts.cmvn {
		if m, err = features.NormalizeUtterance(features.Matrix{}, m, true); err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
	}
	res.Frames, res.Dims = m.Rows, m.Cols
	res.Output = filepath.Join(opts.out, name+"."+opts.kind+"."+opts.format)
	err = writeAtomic(res.Output, func(w io.Writer) error {
		if opts.format == "csv" {
			return writeCSV(w, m)
		}
		return features.WriteNPY(w, m)
	})
	if err != nil {
		return err
	}
	if opts.png && m.Rows > 0 && m.Cols > 0 {
		res.Image = filepath.Join(opts.out, name+"."+opts.kind+".png")
		err := writeAtomic(res.Image, func(w io.Writer) error {
			return plot.Heatmap(w, m.Rows, m.Cols, m.Data, plot.HeatmapOptions{})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeCSV writes one frame per line, comma-separated.
func writeCSV(w io.Writer, m features.Matrix) error {
	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 32)
	for r := 0; r < m.Rows; r++ {
		for c, v := range m.Row(r) {
			if c > 0 {
				bw.WriteByte(',')
			}
			buf = strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32)
			bw.Write(buf)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// writeAtomic writes path through a temporary file in the same directory
// and a rename, so readers never see a partial file.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// expandInputs turns arguments into input paths: directories are searched
// for *.wav files (sorted), glob patterns expanded, "-" kept.
func expandInputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		if strings.ContainsAny(a, "*?[") {
			matches, err := filepath.Glob(a)
			if err != nil {
				return nil, usagef(nil, "bad pattern %q: %v", a, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("features: no file matches %q", a)
			}
			out = append(out, matches...)
			continue
		}
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a) // reading reports a missing file
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".wav") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("features: no .wav files in %s", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// outputNames gives each input the base name of its outputs ("stdin" for
// -), and refuses two inputs that would write the same file.
func outputNames(inputs []string) ([]string, error) {
	names := make([]string, len(inputs))
	seen := map[string]string{}
	for i, in := range inputs {
		name := "stdin"
		if in != "-" {
			name = strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("features: %s and %s would both write %s.*; process them into different directories", prev, in, name)
		}
		seen[name] = in
		names[i] = name
	}
	return names, nil
}

// progress prints a progress bar with counts, rate and ETA to a terminal
// (and nothing when w is not one), for any command that works through a
// known number of items.
type progress struct {
	w     io.Writer
	total int
	unit  string // what is counted, e.g. "files"
	tty   bool
	last  time.Time
	drawn bool // a bar is on the current line
	shown int  // the count it shows
}

func newProgress(w io.Writer, total int, unit string) *progress {
	return &progress{w: w, total: total, unit: unit, tty: isTerminal(w)}
}

// isTerminal reports whether f (a stream) is a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update shows the progress of features: done files of audioSec seconds.
func (p *progress) update(done int, audioSec float64, elapsed time.Duration) {
	p.show(done, fmt.Sprintf("%.0f× real time", audioSec/elapsed.Seconds()), elapsed)
}

// show draws the bar for done of total items, with rate (e.g. "12 lines/s")
// after the counts. It draws at most every 200 ms, and always the last one.
func (p *progress) show(done int, rate string, elapsed time.Duration) {
	done = min(done, p.total)
	if !p.tty || p.total < 2 || done <= 0 || done == p.shown && p.drawn ||
		(time.Since(p.last) < 200*time.Millisecond && done < p.total) {
		return
	}
	p.last, p.shown = time.Now(), done
	perItem := elapsed.Seconds() / float64(done)
	eta := time.Duration(perItem * float64(p.total-done) * float64(time.Second))
	width := 30
	filled := width * done / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s  %s  ETA %v   ",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, p.total, p.unit,
		rate, eta.Round(time.Second))
	p.drawn = true
}

// clear erases a bar that is on the terminal's current line, so that a
// message can be printed; the next show draws it again.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn, p.last = false, time.Time{}
	}
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
