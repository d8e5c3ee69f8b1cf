// Package optim holds nnlib's optimisers: Adam, AdamW and SGD with
// momentum, global-norm gradient clipping and learning-rate schedules.
//
// gorgonia's solvers cannot be used for training that must resume: their
// moment estimates are unexported, clipping is element-wise only and Adam
// clones four tensors per parameter per step (shared/notes/gorgonia.md, P9).
// The optimisers here work in place on nnlib.Param values instead.
//
// # Protocol
//
// A training step accumulates gradients into Param.Grad (the nnlib
// machine does that), then calls Optimizer.Step with the parameters to
// update. Step
//
//  1. optionally clips the global gradient norm (AdamConfig.ClipNorm,
//     SGDConfig.ClipNorm; torch's clip_grad_norm_),
//  2. asks the Schedule for the learning rate of this update,
//  3. updates every Param.Value in place from its Param.Grad, and
//  4. zeroes every Param.Grad, so the next batch starts from zero.
//
// # Data conventions
//
// Parameters are float32 or float64 tensors (nnlib.Float32, nnlib.Float64).
// Update arithmetic is carried out in float64 and rounded to the parameter's
// type when stored; optimiser state (moments, momentum buffers) has the
// parameter's type. The update formulas are those of torch.optim (Adam,
// AdamW, SGD, PyTorch 2.x, non-foreach, non-fused, amsgrad=False,
// maximize=False), including where bias correction and ε enter Adam's
// denominator. float64 results agree with torch to rounding; float32
// results may differ from torch's in the last bits, because torch rounds
// every intermediate to float32 and this package only the stored values.
//
// Steps are counted from 1: the first update is step 1, which is the t of
// Adam's bias correction and the argument the Schedule receives.
//
// # State and resuming
//
// Per-parameter state is allocated lazily the first time a parameter is
// seen and is keyed by Param.Name; after that Step does not allocate.
// State exports the step counter and every state buffer as tensors named
// like torch's state dict ("exp_avg/enc.l0.wh", "exp_avg_sq/…",
// "momentum_buffer/…", "step/…"); SetState imports them into a fresh
// optimiser of the same kind. Training N steps straight and training N/2
// steps, exporting, importing into a new optimiser and training N/2 more
// give bit-identical parameters. Package nnlib/checkpoint stores a State as
// a safetensors file.
//
// # Concurrency
//
// An optimiser is not safe for concurrent use; it must be the only writer
// of the parameters while Step runs.
package optim
