package seq2seq

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/parley-ai/parley/nnlib"
)

// Hypothesis is one decoded output.
type Hypothesis struct {
	// Tokens excludes BOS and EOS.
	Tokens []int
	// Score is the sum of token log-probabilities (EOS included when the
	// hypothesis ended with it); Norm is Score after length normalisation
	// (what beam search ranks by).
	Score, Norm float64
	// Attention[i][s] is the weight on source step s when emitting output
	// step i (one row per token, plus one for EOS when present).
	Attention [][]float32
	// Finished reports whether the hypothesis ended with EOS (rather than
	// reaching the length limit).
	Finished bool
}

// BeamConfig configures decoding.
type BeamConfig struct {
	// Width is the beam width (1 = greedy).
	Width int
	// MaxLen bounds the output length (tokens, EOS excluded); 0 means
	// 2·source length + 10.
	MaxLen int
	// MinLen suppresses EOS until an output has this many tokens.
	MinLen int
	// LengthPenalty α normalises scores by ((5+len)/6)^α (Wu et al. 2016,
	// GNMT); 0 ranks by raw log-probability.
	LengthPenalty float64
	// NBest is how many hypotheses to return per input (default 1, at
	// most Width).
	NBest int
}

func (c BeamConfig) normalised(srcLen int) (BeamConfig, error) {
	if c.Width == 0 {
		c.Width = 1
	}
	if c.NBest == 0 {
		c.NBest = 1
	}
	if c.Width < 1 || c.NBest < 1 || c.NBest > c.Width {
		return c, fmt.Errorf("seq2seq: beam width %d and n-best %d: need 1 <= n-best <= width", c.Width, c.NBest)
	}
	if c.LengthPenalty < 0 {
		return c, fmt.Errorf("seq2seq: negative length penalty %v", c.LengthPenalty)
	}
	if c.MaxLen == 0 {
		c.MaxLen = 2*srcLen + 10
	}
	if c.MaxLen < 0 || c.MinLen < 0 || c.MinLen > c.MaxLen {
		return c, fmt.Errorf("seq2seq: MinLen %d and MaxLen %d: need 0 <= MinLen <= MaxLen", c.MinLen, c.MaxLen)
	}
	return c, nil
}

// Source is one input to decode: token ids or feature frames.
type Source struct {
	Tokens []int
	Frames [][]float32
	// BOS, when non-zero, replaces Config.BOS as the decoder's first input
	// for this source (e.g. a target-language tag, as in mBART).
	BOS int
}

func checkBOS(m *Model, srcs []Source) error {
	for i, s := range srcs {
		if s.BOS < 0 || s.BOS >= m.Cfg.TgtVocab {
			return fmt.Errorf("seq2seq: source %d: BOS %d outside the target vocabulary of %d", i, s.BOS, m.Cfg.TgtVocab)
		}
	}
	return nil
}

func (s Source) bos(m *Model) float32 {
	if s.BOS != 0 {
		return float32(s.BOS)
	}
	return float32(m.Cfg.BOS)
}

func (s Source) example() Example { return Example{Src: s.Tokens, Frames: s.Frames} }

// session holds the inference graphs of one goroutine.
type session struct {
	enc  *nnlib.GraphCache[[2]int, *encGraph]  // by (B, S)
	step *nnlib.GraphCache[[2]int, *stepGraph] // by (B, S)
}

type encGraph struct {
	m                 *nnlib.Machine
	src, lens         *nnlib.Node
	seq, keys, h0, c0 *nnlib.Node
}

type stepGraph struct {
	m                                 *nnlib.Machine
	y, h, c, ctx, seq, keys, lens, pv *nnlib.Node
	logits, hN, cN, ctxN, alpha       *nnlib.Node
}

const maxCachedGraphs = 24

func (m *Model) session() *session {
	if s, ok := m.sessions.Get().(*session); ok {
		return s
	}
	return &session{
		enc:  nnlib.NewGraphCache[[2]int](maxCachedGraphs, func(e *encGraph) { e.m.Close() }),
		step: nnlib.NewGraphCache[[2]int](maxCachedGraphs, func(st *stepGraph) { st.m.Close() }),
	}
}

func (m *Model) release(s *session) { m.sessions.Put(s) }

func (m *Model) encGraph(s *session, B, S int) (*encGraph, error) {
	return s.enc.Get([2]int{B, S}, func() (*encGraph, error) {
		g := nnlib.NewGraph(m.Params, nnlib.GraphConfig{})
		e := &encGraph{}
		if m.Cfg.SrcFeatures > 0 {
			e.src = g.Input("src", S, B, m.Cfg.SrcFeatures)
		} else {
			e.src = g.Input("src", S, B)
		}
		e.lens = g.Input("src_lens", B)
		enc := m.encode(g, e.src, e.lens)
		e.seq, e.h0, e.c0 = g.Output(enc.seq), g.Output(enc.h0), g.Output(enc.c0)
		if enc.keys != nil {
			e.keys = g.Output(enc.keys)
		}
		mc, err := g.Compile()
		if err != nil {
			return nil, fmt.Errorf("seq2seq: encoder graph: %w", err)
		}
		e.m = mc
		return e, nil
	})
}

func (m *Model) stepGraph(s *session, B, S int) (*stepGraph, error) {
	return s.step.Get([2]int{B, S}, func() (*stepGraph, error) {
		g := nnlib.NewGraph(m.Params, nnlib.GraphConfig{})
		D, H := m.encDim(), m.Cfg.Hidden
		st := &stepGraph{
			y: g.Input("y", B), h: g.Input("h", B, H), c: g.Input("c", B, H), ctx: g.Input("ctx", B, D),
			seq: g.Input("seq", S, B, D), lens: g.Input("lens", B),
		}
		e := encoded{seq: st.seq}
		if m.att.HasKeys() { // additive kinds: the keys are an input
			st.keys = g.Input("keys", S, B, m.Cfg.AttDim)
			e.keys = st.keys
		}
		if m.att.NeedsPrev() {
			st.pv = g.Input("prev", B, S)
		}
		yEmb := m.tgtEmb.Fwd(g, st.y)
		hN, cN, ctxN, alpha, feat := m.decodeStep(g, e, st.lens, yEmb, st.h, st.c, st.ctx, st.pv)
		st.logits = g.Output(m.out.Fwd(g, feat))
		st.hN, st.cN, st.ctxN, st.alpha = g.Output(hN), g.Output(cN), g.Output(ctxN), g.Output(alpha)
		mc, err := g.Compile()
		if err != nil {
			return nil, fmt.Errorf("seq2seq: step graph: %w", err)
		}
		st.m = mc
		return st, nil
	})
}

// state is the decoder state of R rows, carried between steps in Go.
type state struct {
	seq, keys, lens []float32 // (S,R,D), (S,R,A), (R)
	h, c, ctx, prev []float32 // (R,H), (R,H), (R,D), (R,S)
}

// start runs the encoder on srcs and returns the initial state with each
// source repeated rep times (rows b·rep+k), and the padded source length.
func (m *Model) start(ctx context.Context, s *session, srcs []Source, rep int) (*state, int, error) {
	exs := make([]Example, len(srcs))
	maxLen := 1
	for i, src := range srcs {
		exs[i] = src.example()
		if exs[i].srcLen() == 0 {
			return nil, 0, fmt.Errorf("seq2seq: source %d is empty", i)
		}
		maxLen = max(maxLen, exs[i].srcLen())
	}
	B, S := len(srcs), nnlib.PadLen(maxLen, 8)
	eg, err := m.encGraph(s, B, S)
	if err != nil {
		return nil, 0, err
	}
	src, lens, err := m.padSource(exs, B, S)
	if err != nil {
		return nil, 0, err
	}
	if err := eg.m.Let(eg.src, src); err != nil {
		return nil, 0, err
	}
	if err := eg.m.Let(eg.lens, lens); err != nil {
		return nil, 0, err
	}
	if err := eg.m.Run(ctx); err != nil {
		return nil, 0, err
	}
	get := func(n *nnlib.Node) []float32 {
		if n == nil || err != nil {
			return nil
		}
		var v []float32
		v, err = eg.m.Float32s(n)
		return v
	}
	seq, keys, h0, c0 := get(eg.seq), get(eg.keys), get(eg.h0), get(eg.c0)
	if err != nil {
		return nil, 0, err
	}
	D, H, R := m.encDim(), m.Cfg.Hidden, B*rep
	st := &state{
		seq: repeatSeq(seq, S, B, D, rep), lens: repeatRows(lens, 1, rep),
		h: repeatRows(h0, H, rep), c: repeatRows(c0, H, rep), ctx: make([]float32, R*D),
	}
	if keys != nil {
		st.keys = repeatSeq(keys, S, B, m.Cfg.AttDim, rep)
	}
	if m.att.NeedsPrev() {
		st.prev = make([]float32, R*S)
	}
	return st, S, nil
}

func repeatRows(v []float32, w, rep int) []float32 {
	if rep == 1 {
		return v
	}
	n := len(v) / w
	out := make([]float32, 0, len(v)*rep)
	for i := 0; i < n; i++ {
		for k := 0; k < rep; k++ {
			out = append(out, v[i*w:(i+1)*w]...)
		}
	}
	return out
}

func repeatSeq(v []float32, S, B, D, rep int) []float32 {
	if rep == 1 {
		return v
	}
	out := make([]float32, 0, len(v)*rep)
	for s := 0; s < S; s++ {
		out = append(out, repeatRows(v[s*B*D:(s+1)*B*D], D, rep)...)
	}
	return out
}

// step runs one decoder step for rows with previous tokens ys and returns
// log-probabilities (R,V) and the new state and weights (R,S).
func (m *Model) step(ctx context.Context, sg *stepGraph, st *state, ys []float32) (logp, alpha []float32, next *state, err error) {
	lets := []struct {
		n *nnlib.Node
		v []float32
	}{{sg.y, ys}, {sg.h, st.h}, {sg.c, st.c}, {sg.ctx, st.ctx}, {sg.seq, st.seq}, {sg.lens, st.lens}}
	if sg.keys != nil {
		lets = append(lets, struct {
			n *nnlib.Node
			v []float32
		}{sg.keys, st.keys})
	}
	if sg.pv != nil {
		lets = append(lets, struct {
			n *nnlib.Node
			v []float32
		}{sg.pv, st.prev})
	}
	for _, l := range lets {
		if err := sg.m.Let(l.n, l.v); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := sg.m.Run(ctx); err != nil {
		return nil, nil, nil, err
	}
	out := make([][]float32, 5)
	for i, n := range []*nnlib.Node{sg.logits, sg.hN, sg.cN, sg.ctxN, sg.alpha} {
		if out[i], err = sg.m.Float32s(n); err != nil {
			return nil, nil, nil, err
		}
	}
	V := m.Cfg.TgtVocab
	logSoftmaxRows(out[0], V)
	next = &state{seq: st.seq, keys: st.keys, lens: st.lens, h: out[1], c: out[2], ctx: out[3]}
	if sg.pv != nil {
		next.prev = out[4]
	}
	return out[0], out[4], next, nil
}

func logSoftmaxRows(x []float32, V int) {
	for r := 0; r+V <= len(x); r += V {
		row := x[r : r+V]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		lse := mx + float32(math.Log(sum))
		for i := range row {
			row[i] -= lse
		}
	}
}

// GreedyConfig bounds greedy decoding.
type GreedyConfig struct {
	// MaxLen bounds the output length (tokens, EOS excluded); 0 means
	// 2·source length + 10.
	MaxLen int
	// MinLen suppresses EOS until an output has this many tokens.
	MinLen int
}

// Greedy decodes each source by taking the most probable token at every
// step (ties: lowest id), all sources in one batch, until every output has
// ended with EOS or reached MaxLen tokens. It returns one hypothesis per
// source.
func (m *Model) Greedy(ctx context.Context, srcs []Source, gc GreedyConfig) ([]Hypothesis, error) {
	if len(srcs) == 0 {
		return nil, nil
	}
	maxSrc := 0
	for _, s := range srcs {
		maxSrc = max(maxSrc, len(s.Tokens)+len(s.Frames))
	}
	cfg, err := BeamConfig{MaxLen: gc.MaxLen, MinLen: gc.MinLen}.normalised(maxSrc)
	if err != nil {
		return nil, err
	}
	sess := m.session()
	defer m.release(sess)
	B := len(srcs)
	if err := checkBOS(m, srcs); err != nil {
		return nil, err
	}
	st, S, err := m.start(ctx, sess, srcs, 1)
	if err != nil {
		return nil, err
	}
	sg, err := m.stepGraph(sess, B, S)
	if err != nil {
		return nil, err
	}
	V := m.Cfg.TgtVocab
	out := make([]Hypothesis, B)
	ys := make([]float32, B)
	for i := range ys {
		ys[i] = srcs[i].bos(m)
	}
	left := B
	stopped := make([]bool, B)
	for t := 0; t <= cfg.MaxLen && left > 0; t++ {
		logp, alpha, next, err := m.step(ctx, sg, st, ys)
		if err != nil {
			return nil, err
		}
		for b := range out {
			h := &out[b]
			if stopped[b] {
				continue
			}
			row := logp[b*V : (b+1)*V]
			best := -1
			for v, x := range row {
				if v == m.Cfg.EOS && len(h.Tokens) < cfg.MinLen {
					continue
				}
				if best < 0 || x > row[best] {
					best = v
				}
			}
			if best != m.Cfg.EOS && t == cfg.MaxLen {
				stopped[b] = true // length limit: unfinished
				left--
				continue
			}
			h.Score += float64(row[best])
			h.Attention = append(h.Attention, alpha[b*S:(b+1)*S:(b+1)*S])
			ys[b] = float32(best)
			if best == m.Cfg.EOS {
				h.Finished, stopped[b] = true, true
				left--
				continue
			}
			h.Tokens = append(h.Tokens, best)
		}
		st = next
	}
	for b := range out {
		out[b].Norm = out[b].Score
	}
	return out, nil
}

// beamItem is a live hypothesis of beam search.
type beamItem struct {
	row    int // row in the previous step's state
	tokens []int
	att    [][]float32
	score  float64
	cut    bool
}

// Beam decodes each source with beam search (all sources in one batch of
// len(srcs)·Width rows) and returns up to NBest hypotheses per source,
// best first. Width 1 is greedy decoding.
func (m *Model) Beam(ctx context.Context, srcs []Source, cfg BeamConfig) ([][]Hypothesis, error) {
	if len(srcs) == 0 {
		return nil, nil
	}
	maxSrc := 0
	for _, s := range srcs {
		maxSrc = max(maxSrc, len(s.Tokens)+len(s.Frames))
	}
	cfg, err := cfg.normalised(maxSrc)
	if err != nil {
		return nil, err
	}
	sess := m.session()
	defer m.release(sess)
	W, B := cfg.Width, len(srcs)
	if err := checkBOS(m, srcs); err != nil {
		return nil, err
	}
	st, S, err := m.start(ctx, sess, srcs, W)
	if err != nil {
		return nil, err
	}
	sg, err := m.stepGraph(sess, B*W, S)
	if err != nil {
		return nil, err
	}
	V := m.Cfg.TgtVocab
	live := make([][]beamItem, B)
	done := make([][]Hypothesis, B)
	for b := range live {
		live[b] = []beamItem{{row: b * W}}
	}
	ys := make([]float32, B*W)
	for i := range ys {
		ys[i] = srcs[i/W].bos(m)
	}
	for t := 0; t <= cfg.MaxLen; t++ {
		active := false
		for b := range live {
			if len(live[b]) > 0 {
				active = true
			}
		}
		if !active {
			break
		}
		logp, alpha, next, err := m.step(ctx, sg, st, ys)
		if err != nil {
			return nil, err
		}
		// New rows are gathered from their parents' rows.
		rows := make([]int, B*W)
		for i := range rows {
			rows[i] = i
		}
		for b := range live {
			if len(live[b]) == 0 {
				continue
			}
			var cands []cand
			for k, it := range live[b] {
				row := logp[it.row*V : (it.row+1)*V]
				for _, v := range topK(row, W+1) {
					if v == m.Cfg.EOS && len(it.tokens) < cfg.MinLen {
						continue
					}
					cands = append(cands, cand{k: k, tok: v, score: it.score + float64(row[v])})
				}
			}
			sort.SliceStable(cands, func(i, j int) bool { return cands[i].better(cands[j]) })
			var nl []beamItem
			for _, c := range cands {
				if len(nl) == W || len(done[b]) >= W {
					break
				}
				it := live[b][c.k]
				if c.tok != m.Cfg.EOS && t == cfg.MaxLen {
					// length limit: the parent ends here, unfinished
					if !it.cut {
						live[b][c.k].cut = true
						h := Hypothesis{Tokens: it.tokens, Score: it.score, Attention: it.att}
						h.Norm = normScore(h.Score, len(h.Tokens), cfg.LengthPenalty)
						done[b] = append(done[b], h)
					}
					continue
				}
				att := append(append([][]float32(nil), it.att...), alpha[it.row*S:(it.row+1)*S:(it.row+1)*S])
				if c.tok == m.Cfg.EOS {
					h := Hypothesis{Tokens: it.tokens, Score: c.score, Attention: att, Finished: true}
					h.Norm = normScore(h.Score, len(h.Tokens)+1, cfg.LengthPenalty)
					done[b] = append(done[b], h)
					continue
				}
				nr := b*W + len(nl)
				rows[nr] = it.row
				ys[nr] = float32(c.tok)
				nl = append(nl, beamItem{row: nr, tokens: append(append([]int(nil), it.tokens...), c.tok), att: att, score: c.score})
			}
			if len(done[b]) >= W {
				nl = nil
			}
			live[b] = nl
		}
		st = gatherState(next, rows, m.Cfg.Hidden, m.encDim(), S)
	}
	out := make([][]Hypothesis, B)
	for b := range done {
		sort.SliceStable(done[b], func(i, j int) bool { return done[b][i].Norm > done[b][j].Norm })
		out[b] = done[b][:min(cfg.NBest, len(done[b]))]
	}
	return out, nil
}

type cand struct {
	k, tok int
	score  float64
}

// better orders candidates by score, then parent, then token id, so ties
// break the same way as greedy argmax (lowest id first).
func (c cand) better(o cand) bool {
	if c.score != o.score {
		return c.score > o.score
	}
	if c.k != o.k {
		return c.k < o.k
	}
	return c.tok < o.tok
}

func normScore(score float64, n int, alpha float64) float64 {
	if alpha == 0 {
		return score
	}
	return score / math.Pow((5+float64(n))/6, alpha)
}

// topK returns the indices of the k largest values, largest first (ties:
// lowest index first).
func topK(row []float32, k int) []int {
	k = min(k, len(row))
	idx := make([]int, 0, k+1)
	for i, v := range row {
		if len(idx) == k && v <= row[idx[k-1]] {
			continue
		}
		j := len(idx)
		if j < k {
			idx = append(idx, i)
		} else {
			j = k - 1
			idx[j] = i
		}
		for j > 0 && row[idx[j-1]] < v {
			idx[j-1], idx[j] = idx[j], idx[j-1]
			j--
		}
	}
	return idx
}

func gatherState(st *state, rows []int, H, D, S int) *state {
	g := func(v []float32, w int) []float32 {
		if v == nil {
			return nil
		}
		out := make([]float32, len(rows)*w)
		for i, r := range rows {
			copy(out[i*w:(i+1)*w], v[r*w:(r+1)*w])
		}
		return out
	}
	return &state{seq: st.seq, keys: st.keys, lens: st.lens, h: g(st.h, H), c: g(st.c, H), ctx: g(st.ctx, D), prev: g(st.prev, S)}
}
