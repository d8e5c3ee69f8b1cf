// Package parley is the root of Parley, an offline speech and dialogue
// suite: speech recognition, translation, intent parsing, text generation,
// audio analysis and a terminal voice assistant, trained and run on the CPU
// with no network. The root package holds no code; this comment maps the
// module, and deps_test.go enforces the dependency rules below.
//
// # Layout
//
// The folder tree is the architecture diagram. From the bottom up:
//
//   - nnlib/ is the neural-network core and the only package tree that
//     imports gorgonia (gorgonia.org/gorgonia, gorgonia.org/tensor). It
//     hides gorgonia's graph, machine and solver protocols behind a graph
//     builder, fused kernels (LSTM, attention, losses), named parameter sets
//     with save and load, and returns errors instead of panics. Its
//     sub-packages hold the layers (nnlib/layers), the optimisers
//     (nnlib/optim), the encoder-decoder and beam search shared by asr and
//     translate (nnlib/seq2seq) and the test helpers, such as gradient
//     checks (nnlib/nntest).
//   - audio/ is a leaf: signals, WAV reading and writing, resampling, voice
//     activity detection; it never imports nnlib. Its sub-packages compute
//     features (audio/features: STFT, mel filterbank, MFCC, deltas, CMVN,
//     with the batched matrix steps on nnlib) and glottal closure instants
//     (audio/glottal, whose neural detector is an nnlib model).
//   - asr/ recognises speech: audio and features in, text out, with models
//     built on nnlib. translate/ translates text between languages, nlu/
//     parses an utterance into an intent and slots, and nlg/ writes a
//     sentence for a dialogue act; each has the same shape (a Config, a
//     model type, training, evaluation with its metric).
//   - dialog/ keeps the state of a conversation and chooses the next act
//     from what nlu parsed; it joins asr, nlu and nlg behind small
//     interfaces.
//   - tui/ is the terminal interface of the voice assistant, built on
//     bubbletea. It depends on small interfaces (a recogniser, a dialogue
//     manager), never on gorgonia, so it stays light and testable.
//   - cmd/parley is the single binary, with one file per subcommand (chat,
//     transcribe, translate, parse, generate, features, glottal, train,
//     eval, models). It is wiring only: it turns flags into the typed
//     configs of the packages above, and it alone maps errors to exit codes.
//   - internal/ holds what no public package should promise.
//
// Folders that a later change adds are listed here when they land; until a
// package exists, the rules below simply have nothing to check for it.
//
// # Dependency rules
//
// deps_test.go checks these with "go list", for the packages and for their
// tests:
//
//   - the audio package itself does not depend on nnlib, directly or
//     indirectly (its sub-packages may).
//   - nnlib does not depend on asr, translate, nlu, nlg, tui or dialog.
//   - tui does not depend on anything under gorgonia.org, even indirectly.
//   - Nothing imports cmd/... .
//   - Only packages under nnlib/ import gorgonia.org/gorgonia or
//     gorgonia.org/tensor directly; everything else goes through nnlib.
package parley
