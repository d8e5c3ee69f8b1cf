// Package productcard pins the libraries the product card fixes for
// Parley (WAV I/O, FFT, the terminal UI) in go.mod until the packages that
// use them (audio/, tui/) exist. It has no code and nothing imports it.
package productcard

import (
	_ "github.com/charmbracelet/bubbletea" // tui/
	_ "github.com/go-audio/wav"            // audio/ WAV I/O
	_ "github.com/mjibson/go-dsp/fft"      // audio/ STFT
)
