package nlu

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parley-ai/parley/nnlib"
	"github.com/parley-ai/parley/nnlib/layers"
)

// maxParseBatch bounds the sentences run through one inference graph.
const maxParseBatch = 32

// maxCachedGraphs bounds the inference graphs one session keeps (the
// least recently used goes first).
const maxCachedGraphs = 32

// session holds the inference graphs of one goroutine, keyed by padded
// sizes (B, S, L).
type session struct {
	graphs *nnlib.GraphCache[[3]int, *inferGraph]
}

type inferGraph struct {
	m *nnlib.Machine
	n graphNodes
}

func (m *Model) session() *session {
	if s, ok := m.sessions.Get().(*session); ok {
		return s
	}
	return &session{graphs: nnlib.NewGraphCache[[3]int](maxCachedGraphs, func(ig *inferGraph) { ig.m.Close() })}
}

func (m *Model) graph(s *session, B, S, L int) (*inferGraph, error) {
	return s.graphs.Get([3]int{B, S, L}, func() (*inferGraph, error) {
		g := nnlib.NewGraph(m.Params, nnlib.GraphConfig{})
		n := m.forward(g, B, S, L)
		g.Output(n.intentLogits)
		g.Output(n.slotLogits)
		mc, err := g.Compile()
		if err != nil {
			return nil, fmt.Errorf("nlu: inference graph: %w", err)
		}
		return &inferGraph{m: mc, n: n}, nil
	})
}

// prediction is the model's raw output for one token sequence.
type prediction struct {
	intentProbs []float64 // calibrated, over Vocab.Intents
	tags        []int     // constrained Viterbi path, ids into Vocab.Tags
	// rawLogits are the intent logits before temperature scaling.
	rawLogits []float64
}

// maxChunk is the longest token sequence run through the model at once:
// longer inputs are cut into chunks of at most maxChunk tokens, tagged
// chunk by chunk (a slot cannot span a chunk boundary) and their intent
// distributions averaged, weighted by chunk length.
const maxChunk = 128

// predict runs the model over token sequences (none empty).
func (m *Model) predict(ctx context.Context, toks [][]string) ([]prediction, error) {
	var chunks [][]string
	var owner []int
	for i, ts := range toks {
		for lo := 0; lo < len(ts); lo += maxChunk {
			chunks = append(chunks, ts[lo:min(lo+maxChunk, len(ts))])
			owner = append(owner, i)
		}
	}
	if len(chunks) == len(toks) {
		return m.predictChunks(ctx, toks)
	}
	cp, err := m.predictChunks(ctx, chunks)
	if err != nil {
		return nil, err
	}
	out := make([]prediction, len(toks))
	for k, p := range cp {
		o := &out[owner[k]]
		w := float64(len(chunks[k])) / float64(len(toks[owner[k]]))
		if o.intentProbs == nil {
			o.intentProbs = make([]float64, len(p.intentProbs))
			o.rawLogits = make([]float64, len(p.rawLogits))
		}
		for j := range p.intentProbs {
			o.intentProbs[j] += w * p.intentProbs[j]
			o.rawLogits[j] += w * p.rawLogits[j]
		}
		o.tags = append(o.tags, p.tags...)
	}
	return out, nil
}

// predictChunks runs the model over token sequences of at most maxChunk
// tokens (none empty).
func (m *Model) predictChunks(ctx context.Context, toks [][]string) ([]prediction, error) {
	out := make([]prediction, len(toks))
	if len(toks) == 0 {
		return out, nil
	}
	// Sort by length so sentences of one graph run have similar lengths.
	idx := make([]int, len(toks))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return len(toks[idx[a]]) < len(toks[idx[b]]) })
	s := m.session()
	defer m.sessions.Put(s)
	trans := m.allowed()
	var crf *layers.CRFScores
	if m.crf != nil {
		// Read per call: training changes the scores between evaluations.
		sc := m.crf.Scores()
		crf = &sc
	}
	for lo := 0; lo < len(idx); {
		// Long inputs run alone; short ones in batches of up to maxParseBatch.
		hi := lo + 1
		for hi < len(idx) && hi-lo < maxParseBatch && len(toks[idx[hi]]) <= 64 {
			hi++
		}
		part := make([]encodedTokens, hi-lo)
		for i := range part {
			part[i] = m.encodeTokens(toks[idx[lo+i]])
		}
		B := len(part)
		if B > 1 {
			B = nnlib.PadLen(B, 8)
		}
		S, L := padDims(part)
		ig, err := m.graph(s, B, S, L)
		if err != nil {
			return nil, err
		}
		if err := m.feed(ig.m, ig.n, m.encodeInputs(part, B, S, L)); err != nil {
			return nil, err
		}
		if err := ig.m.Run(ctx); err != nil {
			return nil, err
		}
		il, err := ig.m.Float32s(ig.n.intentLogits)
		if err != nil {
			return nil, err
		}
		sl, err := ig.m.Float32s(ig.n.slotLogits)
		if err != nil {
			return nil, err
		}
		nI, nT := len(m.Vocab.Intents), len(m.Vocab.Tags)
		for b, e := range part {
			ts := e.words
			raw := make([]float64, nI)
			for j := range raw {
				raw[j] = float64(il[b*nI+j])
			}
			lp := make([][]float64, len(ts))
			for t := range ts {
				row := sl[(t*B+b)*nT : (t*B+b+1)*nT]
				if crf != nil {
					lp[t] = float64s(row) // CRF emissions are scores, not log-probabilities
				} else {
					lp[t] = logSoftmax32(row)
				}
			}
			var tags []int
			if crf != nil {
				tags, _ = crf.Viterbi(lp, trans.allows)
			} else {
				tags = viterbi(lp, trans)
			}
			out[idx[lo+b]] = prediction{
				intentProbs: softmaxT(raw, m.Temperature),
				tags:        tags,
				rawLogits:   raw,
			}
		}
		lo = hi
	}
	return out, nil
}

func logSoftmax32(x []float32) []float64 {
	out := make([]float64, len(x))
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(sum)
	for i, v := range x {
		out[i] = float64(v) - lse
	}
	return out
}

// softmaxT returns softmax(x / T).
func softmaxT(x []float64, T float64) []float64 {
	if !(T > 0) {
		T = 1
	}
	out := make([]float64, len(x))
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v/T)
	}
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(v/T - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// allowed returns the BIO transition mask of the model's tags.
func (m *Model) allowed() transitions {
	m.transOnce.Do(func() { m.trans = bioTransitions(m.Vocab.Tags) })
	return m.trans
}

// transitions says which tag may follow which: next[i][j] is whether tag j
// may follow tag i; start[j] whether tag j may open a sentence.
type transitions struct {
	start []bool
	next  [][]bool
}

// allows says whether tag j may follow tag i (i = −1: open the sentence).
func (tr transitions) allows(i, j int) bool {
	if i < 0 {
		return tr.start[j]
	}
	return tr.next[i][j]
}

func float64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// bioTransitions allows I-x only after B-x or I-x (never first).
func bioTransitions(tags []string) transitions {
	n := len(tags)
	tr := transitions{start: make([]bool, n), next: make([][]bool, n)}
	for j, tj := range tags {
		name, isI := strings.CutPrefix(tj, "I-")
		tr.start[j] = !isI
		for i := range n {
			if tr.next[i] == nil {
				tr.next[i] = make([]bool, n)
			}
			tr.next[i][j] = !isI || tags[i] == "B-"+name || tags[i] == tj
		}
	}
	return tr
}

// viterbi returns the best tag path under the transition constraints
// for per-token tag log-probabilities lp (T, tags). Every path it returns
// is valid BIO (assuming some tag, such as O, is allowed everywhere).
func viterbi(lp [][]float64, tr transitions) []int {
	T := len(lp)
	if T == 0 {
		return nil
	}
	n := len(lp[0])
	neg := math.Inf(-1)
	score := make([]float64, n)
	for j := range n {
		score[j] = neg
		if tr.start[j] {
			score[j] = lp[0][j]
		}
	}
	back := make([][]int32, T)
	next := make([]float64, n)
	for t := 1; t < T; t++ {
		back[t] = make([]int32, n)
		for j := range n {
			best, arg := neg, -1
			for i := range n {
				if !tr.next[i][j] || score[i] == neg {
					continue
				}
				if score[i] > best || arg < 0 {
					best, arg = score[i], i
				}
			}
			if arg < 0 {
				next[j] = neg
				back[t][j] = 0
				continue
			}
			next[j] = best + lp[t][j]
			if math.IsNaN(next[j]) {
				next[j] = best - 1e30
			}
			back[t][j] = int32(arg)
		}
		score, next = next, score
	}
	best, arg := neg, 0
	for j, s := range score {
		if s > best {
			best, arg = s, j
		}
	}
	path := make([]int, T)
	path[T-1] = arg
	for t := T - 1; t > 0; t-- {
		path[t-1] = int(back[t][path[t]])
	}
	return path
}

// token is one whitespace-separated token with its byte span.
type token struct {
	text       string
	start, end int
}

// tokenize splits text at Unicode white space, keeping byte offsets, and
// splits trailing punctuation off words exactly as the training-data
// readers do (punctStart: ?, ! and , off any word, a final . off the last
// one, one token per character), so a typed "what time is it?" meets the
// tokens the model was trained on. Invalid UTF-8 bytes are kept inside
// tokens.
func tokenize(text string) []token {
	var words []token
	start := -1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		space := unicode.IsSpace(r) && !(r == utf8.RuneError && size == 1)
		if space {
			if start >= 0 {
				words = append(words, token{text[start:i], start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		words = append(words, token{text[start:], start, len(text)})
	}
	out := make([]token, 0, len(words))
	for i, w := range words {
		cut := punctStart(w.text, i == len(words)-1)
		out = append(out, token{w.text[:cut], w.start, w.start + cut})
		for j := cut; j < len(w.text); j++ {
			out = append(out, token{w.text[j : j+1], w.start + j, w.start + j + 1})
		}
	}
	return out
}

// Parse parses one utterance. Tokens are the whitespace-separated words
// of text. Text with no tokens (empty or only white space) gives a Result
// with no intent, no slots and Fallback set, not an error. Errors come
// only from the model itself (a broken graph or weights).
func (m *Model) Parse(text string) (Result, error) {
	rs, err := m.ParseBatch([]string{text})
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// ParseBatch parses several utterances at once (faster than one by one).
func (m *Model) ParseBatch(texts []string) ([]Result, error) {
	return m.ParseBatchContext(context.Background(), texts)
}

// ParseBatchContext is ParseBatch with a context that can cancel it.
func (m *Model) ParseBatchContext(ctx context.Context, texts []string) ([]Result, error) {
	results := make([]Result, len(texts))
	var toks [][]string
	var spans [][]token
	var which []int
	for i, text := range texts {
		ts := tokenize(text)
		if len(ts) == 0 {
			results[i] = Result{Text: text, Fallback: true, Slots: []Slot{}}
			continue
		}
		words := make([]string, len(ts))
		for j, t := range ts {
			words[j] = t.text
		}
		toks = append(toks, words)
		spans = append(spans, ts)
		which = append(which, i)
	}
	preds, err := m.predict(ctx, toks)
	if err != nil {
		return nil, err
	}
	for k, p := range preds {
		results[which[k]] = m.result(texts[which[k]], spans[k], p)
	}
	return results, nil
}

// result turns a prediction into a Result.
func (m *Model) result(text string, ts []token, p prediction) Result {
	r := Result{Text: text, Slots: []Slot{}}
	order := make([]int, len(p.intentProbs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.intentProbs[order[a]] > p.intentProbs[order[b]] })
	r.Intent = m.Vocab.Intents[order[0]]
	r.Confidence = p.intentProbs[order[0]]
	r.Fallback = r.Confidence < m.Cfg.Threshold
	for _, i := range order[:min(3, len(order))] {
		r.Alternatives = append(r.Alternatives, IntentScore{Intent: m.Vocab.Intents[i], Confidence: p.intentProbs[i]})
	}
	tags := make([]string, len(p.tags))
	for i, t := range p.tags {
		tags[i] = m.Vocab.Tags[t]
	}
	for _, sp := range Spans(tags) {
		// Split-off punctuation never belongs to a slot value (models
		// trained on punctuation-free data tag a final "?" as I-x).
		for sp.Start < sp.End && isPunct(ts[sp.End-1].text) {
			sp.End--
		}
		for sp.Start < sp.End && isPunct(ts[sp.Start].text) {
			sp.Start++
		}
		if sp.Start == sp.End {
			continue
		}
		start, end := ts[sp.Start].start, ts[sp.End-1].end
		raw := text[start:end]
		r.Slots = append(r.Slots, Slot{Name: sp.Type, Value: raw, Raw: raw, Start: start, End: end})
	}
	return r
}

// isPunct reports whether a token is one of the punctuation marks the
// tokeniser splits off words.
func isPunct(tok string) bool {
	return tok == "?" || tok == "!" || tok == "," || tok == "."
}
