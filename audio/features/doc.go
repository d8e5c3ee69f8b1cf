// Package features computes speech features with Kaldi's conventions:
// log-mel filterbank energies (compute-fbank-feats), MFCCs
// (compute-mfcc-feats), log power spectrograms
// (compute-spectrogram-feats), deltas (compute-deltas) and cepstral mean
// and variance normalisation (compute-cmvn-stats, apply-cmvn), plus a
// reader and writer of NumPy .npy files to exchange feature matrices.
//
// # Overview
//
// A Config holds Kaldi's options; Kaldi() and Torchaudio() return the
// defaults of Kaldi's binaries and of torchaudio.compliance.kaldi.
// New(cfg) validates it and returns an Extractor, the plan object:
//
//	e, err := features.New(cfg)
//	fb, err := e.Fbank(features.Matrix{}, sig)         // frames × MelBins
//	mf, err := e.MFCC(features.Matrix{}, sig)          // frames × NumCeps
//	all, err := e.FbankBatch(ctx, []audio.Signal{...}) // one matrix per signal
//
// The outputs agree with torchaudio.compliance.kaldi 0.13 (and so with
// Kaldi) within 1e-3 absolute for every option the tests cover
// (testdata/cases.json): log-mel energies within 1e-4, MFCCs within 3e-4
// (the lifter scales float32 rounding by up to 12).
//
// # Pipeline
//
// Each frame of FrameLength samples, every FrameShift (see
// Config.SnipEdges for the count and the edges), is scaled to the int16
// range (Config.Scale), dithered, its mean removed, pre-emphasised,
// windowed and zero-padded to the FFT size; its energy is taken before
// pre-emphasis (RawEnergy) or after the window. These steps and the FFT
// (github.com/mjibson/go-dsp/fft, a half-size complex transform per
// frame) run in plain Go in float64. The matrix steps run on nnlib, the
// network core, in float32: the frames of one signal, or of a whole batch
// of signals, form one (frames × FFT bins) matrix that a compiled graph
// multiplies by the filterbank (Graph.BandLinear, which reads only the
// FFT bins under each triangle), takes the floored log of (Graph.Log)
// and, for MFCCs, multiplies by the DCT matrix with the lifter folded in
// (Graph.Linear). The
// Extractor keeps these graphs, one per kind and number of rows (rounded
// up to a bucket), in a small bounded cache.
//
// # Conventions
//
// Signals are audio.Signal: float32 samples in [-1, 1] at Rate Hz, which
// must equal Config.SampleRate. Feature matrices are Matrix values:
// row-major float32, one row per frame (frames × dims). Logs are natural
// logs floored at float32's epsilon (ln ε ≈ −15.94), as Kaldi's. A signal
// shorter than a frame (with SnipEdges) gives a matrix with no rows, as
// Kaldi gives no frames.
//
// Functions that take a dst Matrix reuse its storage when large enough
// and allocate otherwise (the gonum convention); a zero Matrix always
// allocates.
//
// # Randomness, errors and concurrency
//
// The only randomness is the dither, drawn from a generator seeded with
// Config.Seed afresh for each signal: a signal's features depend only on
// the signal and the config. Invalid configs are errors wrapping
// ErrInvalidConfig; signals at the wrong rate give ErrRateMismatch;
// malformed .npy files give errors wrapping ErrNPYFormat. An Extractor
// is safe for concurrent use; CMVN statistics are not (Merge combines
// statistics accumulated separately).
package features
