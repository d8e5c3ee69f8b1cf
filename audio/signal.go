package audio

import (
	"fmt"
	"time"
)

// Signal is mono audio: Samples in [-1, 1] (full scale) at Rate Hz.
type Signal struct {
	Samples []float32
	Rate    int
}

// Duration returns the signal's length in time.
func (s Signal) Duration() time.Duration {
	if s.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(len(s.Samples)) / float64(s.Rate) * float64(time.Second))
}

// Validate reports an unusable signal (a non-positive rate).
func (s Signal) Validate() error {
	if s.Rate <= 0 {
		return fmt.Errorf("audio: invalid sample rate %d", s.Rate)
	}
	return nil
}
