package audio_test

import (
	"fmt"
	"math"

	"github.com/parley-ai/parley/audio"
)

// Resample converts a whole signal; equal rates give a copy.
func ExampleResample() {
	s := audio.Signal{Samples: make([]float32, 44100), Rate: 44100} // 1 s
	for i := range s.Samples {
		s.Samples[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/44100))
	}
	out, err := audio.Resample(s, 16000)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Rate, len(out.Samples), out.Duration())
	// Output: 16000 16000 1s
}

// A Resampler is made once per pair of rates and shared; a Stream
// resamples a signal that arrives in chunks, with the same output.
func ExampleResampler_NewStream() {
	r, err := audio.NewResampler(48000, 16000, audio.DefaultResampleConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	st := r.NewStream()
	var out, buf []float32
	for range 10 { // ten 20 ms chunks
		buf = st.Process(buf, make([]float32, 960))
		out = append(out, buf...)
	}
	out = append(out, st.Flush(buf)...)
	fmt.Println(len(out), r.OutputLen(9600))
	// Output: 3200 3200
}
