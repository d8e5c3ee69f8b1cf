// Package nlu understands what was said: it parses an utterance into an
// intent ("set_timer", "PlayMusic") with a confidence, and slots with
// values ("duration=5 minutes", "artist=Miles Davis") and their character
// spans. The model is a joint intent classifier and BIO slot tagger on
// nnlib: word embeddings plus character features, a BiLSTM encoder, an
// attention-pooled intent head and a slot head with constrained decoding.
//
// Training data comes in the formats people already have: the
// seq.in / seq.out / label directories of ATIS and SNIPS, Rasa-style YAML
// with inline annotations ("set a timer for [five minutes](duration)"),
// and Rhasspy-style template grammars that expand to examples.
package nlu
