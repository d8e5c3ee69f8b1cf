// Package audio reads and writes WAV files, resamples, and finds speech in
// long recordings. It is the leaf every speech path of Parley starts
// from: batch transcription, the voice assistant, glottal analysis.
//
// Samples are float32 in [-1, 1] (full scale), mono unless a function says
// otherwise; rates are int Hz; times are time.Duration. The package imports
// the standard library and the go-audio WAV libraries only;
// features (audio/features) and glottal analysis (audio/glottal) build on it.
package audio
