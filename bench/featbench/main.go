// Command featbench times Parley's 80-bin log-mel fbank on a set of WAV
// files with the settings of ../shared/peers/feats_reference.py (25/10 ms
// povey frames, snip edges, DC removal, pre-emphasis 0.97, dither 0): the
// files are read first, then featurised one after the other; only the
// feature computation is timed, as in the reference. It prints one JSON
// line with audio seconds per second of computation.
//
// usage: featbench [-reps 3] [-batch] WAV|DIR...
// Run with GOMAXPROCS=1 for the one-core figure (bench/features_vs_reference.sh does).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/parley-ai/parley/audio"
	"github.com/parley-ai/parley/audio/features"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "featbench:", err)
		os.Exit(1)
	}
}

func run() error {
	reps := flag.Int("reps", 3, "timed passes over the files (the fastest counts)")
	batch := flag.Bool("batch", false, "featurise all files in one FbankBatch call")
	flag.Parse()
	var paths []string
	for _, a := range flag.Args() {
		st, err := os.Stat(a)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			paths = append(paths, a)
			continue
		}
		filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".wav") {
				paths = append(paths, p)
			}
			return err
		})
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return fmt.Errorf("no WAV files given")
	}
	var sigs []audio.Signal
	audioSec := 0.0
	for _, p := range paths {
		s, _, err := audio.ReadWAVFile(p, audio.ReadOptions{})
		if err != nil {
			return err
		}
		sigs = append(sigs, s)
		audioSec += s.Duration().Seconds()
	}
	cfg := features.Torchaudio()
	cfg.SampleRate = sigs[0].Rate
	cfg.MelBins = 80
	cfg.EnergyFloor = 0
	ex, err := features.New(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	best := time.Duration(1 << 62)
	frames := 0
	for r := 0; r < *reps; r++ {
		frames = 0
		t0 := time.Now()
		if *batch {
			out, err := ex.FbankBatch(ctx, sigs)
			if err != nil {
				return err
			}
			for _, m := range out {
				frames += m.Rows
			}
		} else {
			var m features.Matrix
			for _, s := range sigs {
				if s.Rate != cfg.SampleRate {
					return fmt.Errorf("all files must have one rate (%d Hz), got %d", cfg.SampleRate, s.Rate)
				}
				if m, err = ex.Fbank(m, s); err != nil {
					return err
				}
				frames += m.Rows
			}
		}
		best = min(best, time.Since(t0))
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"bench": "parley_fbank", "files": len(sigs), "audio_s": audioSec, "frames": frames,
		"gomaxprocs": runtime.GOMAXPROCS(0), "batch": *batch, "fbank_s": best.Seconds(),
		"fbank_audio_s_per_s": audioSec / best.Seconds(),
	})
}
