// Package nnlib is Parley's neural-network core: every model of the suite
// (speech recognition, translation, intent and slot tagging, data-to-text
// generation, the glottal detector) is built from it. It is the only code
// in Parley that imports gorgonia.
//
// # Overview
//
// gorgonia.org/gorgonia v0.9.18 provides the expression graph, symbolic
// differentiation and the tape machine that runs a graph. nnlib keeps those
// and replaces the parts that are slow or wrong for sequence models
// (../shared/notes/gorgonia.md lists twenty measured pitfalls) with fused
// kernels of its own: each kernel is one graph node with a hand-written,
// gradient-checked forward and backward pass, calling BLAS directly for its
// matrix products. A whole LSTM direction over a padded batch
// (LSTMSeq, BiLSTMSeq), a GRU direction (GRUSeq), an LSTM step (LSTMCell),
// an attention step (AdditiveAttention, LocationAttention,
// LuongAttention), the cross-entropy over integer targets
// (CrossEntropy), Linear, Embedding, Conv1D, LayerNorm, Dropout,
// FrameStack, Concat, LogSoftmax, BCEWithLogits, CTCLoss, and for feature
// extraction Log and BandLinear (a banded product for mel filterbanks) are
// kernels;
// gorgonia's own ops remain for glue (Add, Mul, Tanh, Reshape, Sum).
//
// # Using it
//
// A ParamSet holds named parameters ("enc.l0.fwd.wh"). A Graph binds them
// (without copying: several graphs, e.g. a training graph, an encoder and
// a one-step decoder, share one set) and adds operations; build errors are
// sticky and reported by Err or Compile. A Machine runs a compiled graph:
// Let binds inputs, Run executes (and, for a training graph with a loss,
// accumulates every parameter's gradient into Param.Grad), Value and
// Float32s read nodes marked with Output. Trainer wraps that protocol for
// training: one graph per shape bucket, compiled once and kept in a bounded
// LRU cache, an Optimizer step per batch (nnlib/optim). The subpackages:
//
//	layers/      trainable blocks that own parameters: Linear, Embedding,
//	             LSTM and GRU stacks, LSTMCell, Conv1D, LayerNorm, Attention
//	optim/       Adam, AdamW, SGD, global-norm clipping, schedules, state
//	checkpoint/  safetensors files: weights (float32 or float16), config,
//	             vocabulary and provenance; optimiser state for resuming
//	seq2seq/     the encoder-decoder with attention shared by asr/ and
//	             translate/: training graphs, greedy and beam decoding
//	nntest/      finite-difference gradient checks and test data
//
// # Conventions
//
// Sequences are time-major: (S, B, D) with step t of the batch contiguous.
// Integer data (token ids, lengths, targets) travels as float-encoded
// input nodes, so every kernel input is a float tensor. Padded steps
// (t >= lens[b]) change neither recurrent state nor output, which is zero
// there, so results equal those of running each sequence alone. Weights of
// Linear layers are (in, out). Float32 is the dtype of models; float64 is
// used by the gradient checks.
//
// # Backends
//
// The default build is pure Go (gonum's BLAS; no cgo). The openblas build
// tag routes every matrix product through OpenBLAS, which is several times
// faster; nnlib then runs OpenBLAS single-threaded and splits large
// products over goroutines itself. The cuda build tag selects gorgonia's
// CUDA tape machine for gorgonia's own ops; nnlib's kernels run on the CPU
// there (see README).
//
// # Errors and concurrency
//
// No panic escapes nnlib: gorgonia's panics and kernel panics become
// errors. A Graph and its Machine belong to one goroutine at a time;
// concurrent inference builds one graph per goroutine over shared
// parameters (seq2seq.Model does this and is safe for concurrent use).
// Training mutates parameters and must not overlap with inference on them.
package nnlib
