// Package translate is Parley's machine translation: a byte-pair-encoding
// subword vocabulary (bpe.go), parallel corpus reading (data.go), the
// translator built on nnlib/seq2seq (a BiLSTM encoder and an attention LSTM
// decoder shared with speech recognition), BLEU and chrF scoring (score.go)
// and SRT subtitles (srt.go).
//
// One model translates both ways: the source starts with a target-language
// tag ("<2es>", "<2en>"), as in Google's multilingual NMT, so the two
// directions share a vocabulary and an encoder.
package translate
