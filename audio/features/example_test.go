package features_test

import (
	"context"
	"fmt"
	"math"

	"github.com/parley-ai/parley/audio"
	"github.com/parley-ai/parley/audio/features"
)

// tone returns a second of a 440 Hz tone at 16 kHz.
func tone() audio.Signal {
	s := make([]float32, 16000)
	for i := range s {
		s[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	return audio.Signal{Samples: s, Rate: 16000}
}

func ExampleExtractor_Fbank() {
	cfg := features.Kaldi()
	cfg.MelBins = 80 // the usual size for speech recognition
	e, err := features.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fb, err := e.Fbank(features.Matrix{}, tone())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frames × %d log-mel energies\n", fb.Rows, fb.Cols)
	// Output: 98 frames × 80 log-mel energies
}

func ExampleExtractor_MFCC() {
	e, err := features.New(features.Kaldi()) // 13 cepstra, C0 = log energy
	if err != nil {
		fmt.Println(err)
		return
	}
	mfcc, err := e.MFCC(features.Matrix{}, tone())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Append deltas and delta-deltas, then normalise the utterance.
	withDeltas, err := features.Deltas(features.Matrix{}, mfcc, features.DefaultDeltaConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	norm, err := features.NormalizeUtterance(features.Matrix{}, withDeltas, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frames × %d\n", norm.Rows, norm.Cols)
	// Output: 98 frames × 39
}

func ExampleExtractor_FbankBatch() {
	e, err := features.New(features.Torchaudio())
	if err != nil {
		fmt.Println(err)
		return
	}
	short := audio.Signal{Samples: make([]float32, 300), Rate: 16000} // under one frame
	out, err := e.FbankBatch(context.Background(), []audio.Signal{tone(), short})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range out {
		fmt.Println(m.Rows, m.Cols)
	}
	// Output:
	// 98 23
	// 0 23
}
