// Package checkpoint saves and loads nnlib parameter sets and optimiser
// state as safetensors files.
//
// # Format
//
// A safetensors file (https://github.com/huggingface/safetensors) is
//
//	8 bytes    N, the header length, unsigned little-endian
//	N bytes    a JSON object: for every tensor
//	           "name": {"dtype": "F32", "shape": [4, 8], "data_offsets": [begin, end]}
//	           plus "__metadata__": {string: string}
//	the rest   the tensors' raw little-endian bytes; data_offsets are
//	           relative to the start of this section
//
// Files written here are readable by the Python safetensors package and
// by github.com/nlpodyssey/safetensors. Tensor names are nnlib parameter
// names. Weights are stored as F32 (float32 sets), F64 (float64 sets) or,
// with SaveOptions.Float16, as IEEE half precision (F16) for shipped
// models, or, with SaveOptions.Int8, weight matrices as int8 (I8) with a
// float32 scale per row in a companion tensor "NAME:scale" and the rest as
// F16 — a quarter of the float32 size. Load reads F16, BF16, F32, F64 and
// such int8 pairs and converts to the ParamSet's dtype.
//
// The __metadata__ map carries a Meta: the format version, the model
// config and the vocabulary as JSON strings, and provenance (training
// data, date, command, nnlib version). ReadMeta reads it without the
// weights, so a caller can build the model from the config before Load
// fills its parameters. Optimiser state (package nnlib/optim) goes into a
// second file, by convention "<model>.optim.safetensors" (see StatePath,
// SaveState, LoadState).
//
// # Why an own codec
//
// The format is small enough to implement here (about 300 lines with
// validation), and doing so lets Load stream from an io.Reader instead of
// reading whole files into memory (github.com/nlpodyssey/safetensors
// deserialises from a []byte), validate strictly with errors that name the
// tensor and the problem, reject absurd header lengths before allocating
// (safe for fuzzing and for foreign files), and control float16 rounding.
// Compatibility was checked outside the tests in both directions against
// github.com/nlpodyssey/safetensors, and the F16 rounding bit for bit
// against CPython's struct "e" packing on 200,000 random values; the tests
// pin the exact bytes of a small file (TestGolden) instead of depending on
// another implementation.
//
// # Validation
//
// Load and LoadState reject, without panicking and without allocating
// more than the input or the model justifies: truncated files, header
// lengths over MaxHeaderSize or beyond the end of the input, headers that
// are not a JSON object (or have duplicate keys, unknown fields or trailing
// data), unknown or unsupported dtypes, shapes that do not match the byte
// ranges, byte ranges that overlap, leave gaps or do not cover the data
// section exactly, and format versions newer than FormatVersion; they
// wrap ErrFormat or ErrUnsupported. Load additionally rejects, wrapping
// ErrMismatch, tensors whose shape differs from the model's parameter,
// parameters missing from the file and tensors in the file that the model
// does not have. Load is all-or-nothing: on error the ParamSet is
// unchanged.
//
// # Concurrency
//
// The functions are safe for concurrent use on distinct parameter sets.
// Save reads the parameters and Load writes them, so neither may run
// concurrently with training on the same set.
package checkpoint
