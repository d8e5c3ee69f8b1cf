package translate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reserved token ids of every Vocab.
const (
	PadID = 0 // padding
	BOSID = 1 // start of output
	EOSID = 2 // end of output
	UnkID = 3 // a run of characters the vocabulary cannot spell
)

// wordStart marks the first piece of a whitespace-separated word (as in
// SentencePiece), so that decoding restores spaces exactly.
const wordStart = "▁"

var reserved = []string{"<pad>", "<s>", "</s>", "<unk>"}

// Vocab is a byte-pair-encoding subword vocabulary learned from text. It
// keeps case, punctuation, digits and accents: text is split into words at
// whitespace, each word into runs of letters, single digits and single
// punctuation or symbol characters, and pieces never cross those runs, so
// Decode(Encode(s)) gives back s with its whitespace normalised to single
// spaces. Characters the vocabulary has never seen become UnkID; Encode
// reports them so that a translator can copy them through.
//
// Language tags ("<2es>") are ordinary reserved pieces, added with Learn's
// Tags option.
type Vocab struct {
	pieces []string
	ids    map[string]int
	ranks  map[[2]string]int // merge rank of a pair of adjacent pieces
	merges [][2]string
}

// VocabData is the serialisable form of a Vocab (stored in model files).
type VocabData struct {
	Pieces []string    `json:"pieces"`
	Merges [][2]string `json:"merges"`
}

// LearnConfig configures Learn.
type LearnConfig struct {
	// Merges is the number of merge operations (the vocabulary grows by one
	// piece per merge). Default 8000.
	Merges int
	// MinCharCount drops characters seen fewer times from the base
	// alphabet (they become UnkID). Default 2.
	MinCharCount int
	// Tags are extra reserved pieces (language tags such as "<2es>").
	Tags []string
}

// Learn learns a vocabulary from lines of text.
func Learn(lines []string, cfg LearnConfig) (*Vocab, error) {
	if cfg.Merges == 0 {
		cfg.Merges = 8000
	}
	if cfg.MinCharCount == 0 {
		cfg.MinCharCount = 2
	}
	if cfg.Merges < 0 || cfg.MinCharCount < 0 {
		return nil, fmt.Errorf("translate: negative Merges or MinCharCount")
	}
	words := map[string]int{}
	for _, l := range lines {
		for _, w := range pretokenize(l) {
			words[w]++
		}
	}
	chars := map[string]int{}
	for w, n := range words {
		for _, r := range w {
			chars[string(r)] += n
		}
	}
	pieces := append(slices.Clone(reserved), cfg.Tags...)
	var alphabet []string
	for c, n := range chars {
		if n >= cfg.MinCharCount {
			alphabet = append(alphabet, c)
		}
	}
	slices.Sort(alphabet)
	pieces = append(pieces, alphabet...)
	v, err := newVocab(VocabData{Pieces: pieces})
	if err != nil {
		return nil, err
	}
	v.learnMerges(words, cfg.Merges)
	return v, nil
}

type bpeWord struct {
	syms  []int
	count int
}

// learnMerges runs the BPE merge loop on the word counts, keeping pair
// counts and pair → word indexes up to date incrementally.
func (v *Vocab) learnMerges(counts map[string]int, merges int) {
	keys := make([]string, 0, len(counts))
	for w := range counts {
		keys = append(keys, w)
	}
	slices.Sort(keys)
	words := make([]bpeWord, 0, len(keys))
	for _, w := range keys {
		var syms []int
		ok := true
		for _, r := range w {
			id, found := v.ids[string(r)]
			if !found {
				ok = false
				break
			}
			syms = append(syms, id)
		}
		if ok && len(syms) > 1 {
			words = append(words, bpeWord{syms, counts[w]})
		}
	}
	type pair [2]int
	pc := map[pair]int{}
	where := map[pair]map[int]bool{}
	add := func(wi int, sign int) {
		w := words[wi]
		for i := 0; i+1 < len(w.syms); i++ {
			p := pair{w.syms[i], w.syms[i+1]}
			pc[p] += sign * w.count
			if pc[p] <= 0 {
				delete(pc, p) // never chosen again unless a word brings it back
			}
			if sign > 0 {
				if where[p] == nil {
					where[p] = map[int]bool{}
				}
				where[p][wi] = true
			}
		}
	}
	for i := range words {
		add(i, 1)
	}
	for range merges {
		best, bestN := pair{}, 0
		for p, n := range pc {
			if n > bestN || (n == bestN && (p[0] < best[0] || (p[0] == best[0] && p[1] < best[1]))) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		a, b := v.pieces[best[0]], v.pieces[best[1]]
		merged := a + b
		id, exists := v.ids[merged]
		if !exists {
			id = len(v.pieces)
			v.pieces = append(v.pieces, merged)
			v.ids[merged] = id
		}
		v.ranks[[2]string{a, b}] = len(v.merges)
		v.merges = append(v.merges, [2]string{a, b})
		idx := make([]int, 0, len(where[best]))
		for wi := range where[best] {
			idx = append(idx, wi)
		}
		slices.Sort(idx)
		for _, wi := range idx {
			add(wi, -1)
			w := &words[wi]
			out := w.syms[:0:0]
			for i := 0; i < len(w.syms); i++ {
				if i+1 < len(w.syms) && w.syms[i] == best[0] && w.syms[i+1] == best[1] {
					out = append(out, id)
					i++
					continue
				}
				out = append(out, w.syms[i])
			}
			w.syms = out
			add(wi, 1)
		}
		delete(pc, best)
		delete(where, best)
	}
}

// NewVocab rebuilds a vocabulary from its serialised form.
func NewVocab(d VocabData) (*Vocab, error) { return newVocab(d) }

func newVocab(d VocabData) (*Vocab, error) {
	if len(d.Pieces) < len(reserved) {
		return nil, errors.New("translate: vocabulary has fewer pieces than the reserved ones")
	}
	for i, r := range reserved {
		if d.Pieces[i] != r {
			return nil, fmt.Errorf("translate: vocabulary piece %d is %q, want %q", i, d.Pieces[i], r)
		}
	}
	v := &Vocab{pieces: slices.Clone(d.Pieces), ids: make(map[string]int, len(d.Pieces)), ranks: map[[2]string]int{}}
	for i, p := range v.pieces {
		if p == "" || !utf8.ValidString(p) {
			return nil, fmt.Errorf("translate: vocabulary piece %d is empty or invalid UTF-8", i)
		}
		if _, dup := v.ids[p]; dup {
			return nil, fmt.Errorf("translate: vocabulary piece %q appears twice", p)
		}
		v.ids[p] = i
	}
	for i, m := range d.Merges {
		if _, ok := v.ids[m[0]]; !ok {
			return nil, fmt.Errorf("translate: merge %d uses unknown piece %q", i, m[0])
		}
		if _, ok := v.ids[m[1]]; !ok {
			return nil, fmt.Errorf("translate: merge %d uses unknown piece %q", i, m[1])
		}
		if _, ok := v.ids[m[0]+m[1]]; !ok {
			return nil, fmt.Errorf("translate: merge %d makes %q, which is not a piece", i, m[0]+m[1])
		}
		if _, dup := v.ranks[m]; !dup {
			v.ranks[m] = i
		}
		v.merges = append(v.merges, m)
	}
	return v, nil
}

// Data returns the serialisable form of v.
func (v *Vocab) Data() VocabData {
	return VocabData{Pieces: slices.Clone(v.pieces), Merges: slices.Clone(v.merges)}
}

// Size is the number of pieces (the model's vocabulary size).
func (v *Vocab) Size() int { return len(v.pieces) }

// Piece returns the text of id ("" when out of range).
func (v *Vocab) Piece(id int) string {
	if id < 0 || id >= len(v.pieces) {
		return ""
	}
	return v.pieces[id]
}

// ID returns the id of a piece and whether it exists.
func (v *Vocab) ID(piece string) (int, bool) {
	id, ok := v.ids[piece]
	return id, ok
}

// Encoded is a text split into pieces.
type Encoded struct {
	IDs []int
	// Unknown holds, in order, the text of each UnkID in IDs.
	Unknown []string
	// Word[i] is the index of the whitespace-separated word piece i
	// belongs to (for word alignments).
	Word []int
}

// Encode splits text into piece ids.
func (v *Vocab) Encode(text string) Encoded {
	var e Encoded
	word := -1
	for _, pt := range pretokenize(text) {
		if strings.HasPrefix(pt, wordStart) {
			word++
		}
		word = max(word, 0)
		v.encodeWord(pt, word, &e)
	}
	return e
}

func (v *Vocab) encodeWord(w string, word int, e *Encoded) {
	syms := make([]string, 0, len(w))
	for _, r := range w {
		syms = append(syms, string(r))
	}
	for len(syms) > 1 {
		best, bestRank := -1, 0
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := v.ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < bestRank) {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		syms[best] += syms[best+1]
		syms = slices.Delete(syms, best+1, best+2)
	}
	for _, s := range syms {
		id, ok := v.ids[s]
		if !ok {
			if n := len(e.IDs); n > 0 && e.IDs[n-1] == UnkID && e.Word[n-1] == word && s != wordStart {
				e.Unknown[len(e.Unknown)-1] += s // one UnkID per run
				continue
			}
			id = UnkID
			e.Unknown = append(e.Unknown, s)
		}
		e.IDs = append(e.IDs, id)
		e.Word = append(e.Word, word)
	}
}

// Decode turns piece ids back into text. Reserved ids are dropped, except
// that the k-th UnkID is replaced by unknown[k] when given.
func (v *Vocab) Decode(ids []int, unknown []string) string {
	var b strings.Builder
	k := 0
	for _, id := range ids {
		switch {
		case id == UnkID:
			if k < len(unknown) {
				b.WriteString(unknown[k])
			}
			k++
		case id < len(reserved) || id >= len(v.pieces) || strings.HasPrefix(v.pieces[id], "<2"):
		default:
			b.WriteString(v.pieces[id])
		}
	}
	s := strings.ReplaceAll(b.String(), wordStart, " ")
	return strings.TrimSpace(s)
}

// Words splits a piece sequence into the whitespace-separated words
// Decode would produce: Words(ids)[i] lists the positions in ids of the
// pieces of word i (reserved ids belong to no word).
func (v *Vocab) Words(ids []int) [][]int {
	var out [][]int
	for i, id := range ids {
		p := v.Piece(id)
		if id == UnkID {
			p = "x"
		} else if id < len(reserved) || strings.HasPrefix(p, "<2") {
			continue
		}
		if strings.HasPrefix(p, wordStart) || len(out) == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], i)
	}
	return out
}

// pretokenize splits text into the units BPE works within: runs of letters
// (with combining marks), single digits and single other characters; the
// first unit of every whitespace-separated word starts with wordStart.
// Invalid UTF-8 bytes become U+FFFD.
func pretokenize(text string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToValidUTF8(text, "\uFFFD")) {
		first := true
		emit := func(s string) {
			if first {
				s = wordStart + s
				first = false
			}
			out = append(out, s)
		}
		start := -1
		for i, r := range w {
			if unicode.IsLetter(r) || (unicode.IsMark(r) && start >= 0) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				emit(w[start:i])
				start = -1
			}
			emit(string(r))
		}
		if start >= 0 {
			emit(w[start:])
		}
	}
	return out
}
