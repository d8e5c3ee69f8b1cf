package audio_test

import (
	"fmt"
	"math"

	"github.com/parley-ai/parley/audio"
)

// DetectSpeech finds the voiced stretch of a signal: here a 200 Hz
// harmonic tone from 0.5 s to 1.5 s in 2 s of silence.
func ExampleDetectSpeech() {
	const rate = 16000
	s := audio.Signal{Samples: make([]float32, 2*rate), Rate: rate}
	for i := rate / 2; i < 3*rate/2; i++ {
		t := float64(i) / rate
		for k := 1; k <= 10; k++ {
			s.Samples[i] += float32(0.1 / float64(k) * math.Sin(2*math.Pi*200*float64(k)*t))
		}
	}
	cfg := audio.DefaultVADConfig()
	cfg.Padding = 0
	segs, err := audio.DetectSpeech(s, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range segs {
		fmt.Printf("%.2f s – %.2f s\n", g.Start.Seconds(), g.End.Seconds())
	}
	// Output: 0.49 s – 1.51 s
}
